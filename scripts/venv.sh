#!/usr/bin/env bash
# Create (or bring up to date) a virtual environment from a pinned requirements file.
# Usage: scripts/venv.sh VENV_DIR REQUIREMENTS_FILE
set -euo pipefail
venv=$1
requirements=$2
# The pip the tests run with; this script is part of the stamp, so a new pin remakes the venv.
pip_version=26.3
stamp="$venv/.requirements.sha256"
want=$(cat "$requirements" requirements.txt "$0" | sha256sum | cut -d' ' -f1)
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "venv $venv is up to date"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet "pip==$pip_version"
"$venv/bin/python" -m pip install --quiet -r "$requirements"
echo "$want" >"$stamp"
