#!/usr/bin/env bash
# Two Glimpse instances behind nginx on this machine, in the foreground, and two Janus (the SFU)
# when Debian's janus is installed (CLUSTER_JANUS=0: none; CLUSTER_JANUS_PORTS: their WebSocket
# ports, default "8188 8189"); Ctrl-C stops them all.
# The README's "Scaling out" set-up, run by `make cluster`:
#   http://127.0.0.1:${CLUSTER_PORT:-8080} -> nginx (deploy/nginx.conf) -> instances on
#   ${CLUSTER_INSTANCE_PORTS:-8001 8002}, sharing GLIMPSE_DATABASE_URL, GLIMPSE_BUS_URL and the
#   token-signing secret (GLIMPSE_SECRET_KEY, or one generated into the shared GLIMPSE_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

export GLIMPSE_DATABASE_URL="${GLIMPSE_DATABASE_URL:-postgresql://127.0.0.1:5432/test}"
export GLIMPSE_BUS_URL="${GLIMPSE_BUS_URL:-redis://127.0.0.1:6379/0}"
export GLIMPSE_DATA_DIR="${GLIMPSE_DATA_DIR:-data/cluster}"
export GLIMPSE_HOST=127.0.0.1
port="${CLUSTER_PORT:-8080}"
read -r first second <<<"${CLUSTER_INSTANCE_PORTS:-8001 8002}"
glimpse=.venv/bin/glimpse

run_dir="$(mktemp -d -t glimpse-cluster.XXXXXX)"
trap 'kill $(jobs -p) 2>/dev/null || true; wait; rm -rf "$run_dir"' EXIT
trap 'exit 0' INT TERM

mkdir -p "$run_dir/logs" "$run_dir/temp"
sed -e "s/127\.0\.0\.1:8080;/127.0.0.1:$port;/" \
    -e "s/127\.0\.0\.1:8001 /127.0.0.1:$first /" \
    -e "s/127\.0\.0\.1:8002 /127.0.0.1:$second /" \
    deploy/nginx.conf >"$run_dir/nginx.conf"

# nginx needs no privilege here (a port above 1024, files in run_dir): as root, drop to nobody.
as_nginx=()
if [ "$(id -u)" = 0 ]; then
  chown -R nobody:nogroup "$run_dir"
  as_nginx=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi

mkdir -p "$GLIMPSE_DATA_DIR"
if [ "${CLUSTER_JANUS:-1}" != 0 ] && command -v janus >/dev/null; then
  # Two Janus with secrets of this run (deploy/janus/start.sh), used by both instances.
  GLIMPSE_JANUS_API_SECRET="$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
  GLIMPSE_JANUS_ADMIN_KEY="$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
  export GLIMPSE_JANUS_API_SECRET GLIMPSE_JANUS_ADMIN_KEY
  urls="" i=0
  for janus_port in ${CLUSTER_JANUS_PORTS:-8188 8189}; do
    mkdir -p "$run_dir/janus$i"
    JANUS_WS_PORT="$janus_port" JANUS_RTP_PORTS="$((20000 + 1000 * i))-$((20999 + 1000 * i))" \
      JANUS_CONFIG_DIR="$run_dir/janus$i" deploy/janus/start.sh >"$run_dir/janus$i/janus.log" 2>&1 &
    urls="$urls${urls:+,}ws://127.0.0.1:$janus_port"
    i=$((i + 1))
  done
  export GLIMPSE_JANUS_URLS="$urls"
  sleep 1  # Janus starts in well under a second; the instances retry anyway
  echo "janus: $urls (logs in $run_dir/janus*/janus.log)" >&2
fi
GLIMPSE_PORT="$first" "$glimpse" serve &
GLIMPSE_PORT="$second" "$glimpse" serve &
"${as_nginx[@]}" nginx -p "$run_dir" -c "$run_dir/nginx.conf" -e stderr -g 'daemon off;' &
echo "glimpse cluster: http://127.0.0.1:$port (instances on $first and $second)" >&2

wait  # until Ctrl-C; an instance that dies (try kill -9) leaves the others serving
