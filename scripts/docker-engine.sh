#!/usr/bin/env bash
# Make sure a Docker engine answers; start Debian's dockerd when none does.
set -euo pipefail

log=/var/log/dockerd.log
docker_cli=/usr/bin/docker   # Debian's client, matching Debian's engine
[[ -x $docker_cli ]] || docker_cli=$(command -v docker || true)
if [[ -z $docker_cli ]]; then
  echo "docker-engine: no docker client; run 'make host-deps' first" >&2
  exit 1
fi
if "$docker_cli" info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null; then
  echo "docker-engine: no Docker engine (dockerd) is installed and none answers" >&2
  exit 1
fi
echo "docker-engine: starting dockerd (log: $log)"
# setsid: the engine must outlive the make that started it.
setsid dockerd >"$log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if "$docker_cli" info >/dev/null 2>&1; then
    echo "docker-engine: ready"
    exit 0
  fi
  sleep 1
done
echo "docker-engine: dockerd did not answer within 60 s; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
