#!/usr/bin/env bash
# Install the Debian packages the lab, the tests and the benchmark need. Idempotent:
# dpkg is asked first, and apt runs only for what is missing.
set -euo pipefail

packages=(
  docker.io          # the container engine for the lab
  debootstrap        # base image where no registry answers
  python3-venv       # the pinned virtual environments
  rsync              # clean copies of the collection for ansible-test
  shellcheck         # ansible-test sanity checks the shell scripts with it
  lua5.4             # Lua's own parser checks the Prosody config editor's output in unit tests
  testssl.sh sslscan # the peers in `make bench`
  chromium           # renders the HTML report in its tests
)

if [[ $(id -u) -ne 0 ]]; then
  echo "host-deps: run as root (apt-get and the Docker engine need it)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "host-deps: this needs a Debian-based machine with apt-get" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  echo "host-deps: all present"
  exit 0
fi
echo "host-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
