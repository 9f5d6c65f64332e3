#!/usr/bin/env bash
# Installs the Debian packages whose real servers and tools the tests use, when any is missing
# (Graphviz `dot` draws the plan report's architecture diagram).
set -euo pipefail
needed=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || needed+=(postgresql)
command -v redis-server  >/dev/null 2>&1 || needed+=(redis-server)
command -v promtool      >/dev/null 2>&1 || needed+=(prometheus)
command -v amtool        >/dev/null 2>&1 || needed+=(prometheus-alertmanager)
command -v dot           >/dev/null 2>&1 || needed+=(graphviz)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing ${needed[*]}; run as root or install them: apt-get install ${needed[*]}" >&2
  exit 1
fi
echo "Installing ${needed[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
# The packages start their services; the tests run their own instances on other ports.
for svc in postgresql redis-server prometheus prometheus-alertmanager; do
  (service "$svc" stop >/dev/null 2>&1 || true)
done
