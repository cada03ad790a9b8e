#!/usr/bin/env bash
# Installs the system programs the stack and its tests run (Prometheus, promtool, Alertmanager,
# VictoriaMetrics, docker-compose, Node.js and npm, and the browser the docs page test drives:
# chromium, chromedriver; wrk, the load generator of the benches) from Debian's packages when they are missing. With --check it only
# names what is missing.
set -euo pipefail

declare -A package_of=(
  [prometheus]=prometheus
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [victoria-metrics]=victoria-metrics
  [vmctl]=victoria-metrics
  [vmauth]=victoria-metrics
  [vmagent]=victoria-metrics
  [vmalert]=victoria-metrics
  [docker-compose]=docker-compose
  # The client tests run openapi-typescript, tsc and Redocly's linter (npm packages).
  [node]=nodejs
  [npm]=npm
  [chromium]=chromium
  [chromedriver]=chromium-driver
  [wrk]=wrk
)

missing=()
for binary in "${!package_of[@]}"; do
  command -v "$binary" >/dev/null 2>&1 || missing+=("${package_of[$binary]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')

if [ "${1:-}" = "--check" ]; then
  echo "missing system packages: $packages (apt-get install -y $packages)" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "missing system packages: $packages; install them as root: apt-get install -y $packages" >&2
  exit 1
fi

echo "installing $packages" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends $packages
