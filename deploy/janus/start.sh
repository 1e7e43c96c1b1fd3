#!/usr/bin/env bash
# Write a Janus configuration for Glimpse from deploy/janus/*.jcfg.in and run Janus in the
# foreground (exec). Settings from the environment:
#   GLIMPSE_JANUS_API_SECRET, GLIMPSE_JANUS_ADMIN_KEY  the secrets Glimpse uses (required: the same
#                                                      values the Glimpse instances are given)
#   JANUS_WS_PORT (8188), JANUS_WS_IP (127.0.0.1)      where Janus's WebSocket API listens
#   JANUS_RTP_PORTS (20000-40000)                      the UDP range of the media
#   JANUS_PUBLIC_IP                                    the address put in Janus's candidates (1:1 NAT)
#   JANUS_CONFIG_DIR (a new temporary folder)          where the configuration is written
#   JANUS_DEBUG_LEVEL (4), JANUS_LIB_DIR (Debian's /usr/lib/<arch>/janus)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${GLIMPSE_JANUS_API_SECRET:?set GLIMPSE_JANUS_API_SECRET (e.g. openssl rand -base64 32)}"
: "${GLIMPSE_JANUS_ADMIN_KEY:?set GLIMPSE_JANUS_ADMIN_KEY (e.g. openssl rand -base64 32)}"
config_dir="${JANUS_CONFIG_DIR:-$(mktemp -d -t glimpse-janus.XXXXXX)}"
lib="${JANUS_LIB_DIR:-/usr/lib/$(uname -m)-linux-gnu/janus}"  # Debian's plugins and transports

# Only the videoroom plugin and the WebSocket transport are loaded: folders with just those two.
mkdir -p "$config_dir/plugins" "$config_dir/transports" "$config_dir/none"
ln -sf "$lib/plugins/libjanus_videoroom.so" "$config_dir/plugins/"
ln -sf "$lib/transports/libjanus_websockets.so" "$config_dir/transports/"

nat_extra=""
[ -n "${JANUS_PUBLIC_IP:-}" ] && nat_extra="	nat_1_1_mapping = \"$JANUS_PUBLIC_IP\""
escape() { printf '%s' "$1" | sed -e 's/[\/&|]/\\&/g'; }
for template in "$here"/*.jcfg.in; do
  sed -e "s|@CONFIG_DIR@|$(escape "$config_dir")|g" \
      -e "s|@DEBUG_LEVEL@|${JANUS_DEBUG_LEVEL:-4}|g" \
      -e "s|@SERVER_NAME@|glimpse-janus-${JANUS_WS_PORT:-8188}|g" \
      -e "s|@API_SECRET@|$(escape "$GLIMPSE_JANUS_API_SECRET")|g" \
      -e "s|@ADMIN_KEY@|$(escape "$GLIMPSE_JANUS_ADMIN_KEY")|g" \
      -e "s|@RTP_PORTS@|${JANUS_RTP_PORTS:-20000-40000}|g" \
      -e "s|@NAT_EXTRA@|$(escape "$nat_extra")|g" \
      -e "s|@WS_PORT@|${JANUS_WS_PORT:-8188}|g" \
      -e "s|@WS_IP@|${JANUS_WS_IP:-127.0.0.1}|g" \
      "$template" >"$config_dir/$(basename "$template" .in)"
done
chmod 600 "$config_dir"/*.jcfg
echo "janus: ws://${JANUS_WS_IP:-127.0.0.1}:${JANUS_WS_PORT:-8188} (config in $config_dir)" >&2
exec janus --configs-folder="$config_dir" --config="$config_dir/janus.jcfg" --disable-colors
