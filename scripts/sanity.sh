#!/usr/bin/env bash
# ansible-test sanity on a clean copy of the collection, offline.
# ansible-test wants the collection at ansible_collections/NAMESPACE/NAME and flags files that
# are not the collection's (a venv, build output), so it runs on a copy of the tracked files.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin="$repo/.venv/bin"
copy_root="$repo/.build/sanity"
copy="$copy_root/ansible_collections/xmpp/encryption"

# ansible-test fetches a pip bootstrap script unless a cached copy exists.
pip_version=$("$bin/python" - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="3.11"))["pip"])
PY
)
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
cp "$repo/scripts/get_pip_offline.py" "$cache"

rm -rf "$copy_root"
mkdir -p "$copy"
(cd "$repo" && git ls-files -co --exclude-standard -z) |
  rsync -a --from0 --files-from=- "$repo/" "$copy/"
# A repository of its own keeps ansible-test to the copied files.
git -C "$copy" init -q && git -C "$copy" add -A

cd "$copy"
"$bin/ansible-test" sanity --local --python 3.11 --color no "$@"
