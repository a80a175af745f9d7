#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's end-to-end tests (Playwright drives it via executable_path);
# does nothing when it is already there. `make test` runs it; it needs root (apt-get) the first time only.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-browser: /usr/bin/chromium missing; run 'apt-get install -y chromium' as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "ensure-browser: installed $(/usr/bin/chromium --version)"
