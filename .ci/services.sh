#!/usr/bin/env bash
# Install and start what the test suite needs that pip and npm do not bring.
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
# Debian's nginx and coturn, for the scale-out tests (deploy/nginx.conf, deploy/turnserver.conf),
# and openssl, for the certificate of the TURN-over-TLS test.
if ! [ -x /usr/sbin/nginx ] || ! [ -x /usr/bin/turnserver ] || ! [ -x /usr/bin/openssl ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx coturn openssl >/dev/null
fi
# Debian's Chromium, for the web client's end-to-end tests (Playwright drives it; it downloads no browser),
# and a colour emoji font, so reactions render as emoji rather than boxes in the tests' screenshots.
if ! [ -x /usr/lib/chromium/chromium ] || ! [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi
# Debian's Janus (the SFU: its videoroom plugin), janus-tools (janus-pp-rec, for recordings) and
# ffmpeg (mixing a recording into one file; ffprobe checks it in the tests).
if ! [ -x /usr/bin/janus ] || ! [ -x /usr/bin/janus-pp-rec ] || ! [ -x /usr/bin/ffmpeg ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq janus janus-tools ffmpeg >/dev/null
fi
