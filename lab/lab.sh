#!/usr/bin/env bash
# The offline lab: three legacy Prosody servers, a DNSSEC-signed BIND and Pebble, in Docker.
#   lab/lab.sh up            build what is missing, (re)create the lab, write trust material
#   lab/lab.sh down          remove every lab container and the lab network (error if not up)
#   lab/lab.sh down --if-up  the same, but succeed quietly when the lab is not up (cleanup)
#   lab/lab.sh status        exit 0 when every lab container runs
#   lab/lab.sh build         only build the images that are missing or out of date
# State and trust material go to $XMPP_LAB_DIR (default: <repo>/.lab).
set -euo pipefail

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$LAB_SRC")
LAB_DIR=${XMPP_LAB_DIR:-$REPO/.lab}
DOCKER=${XMPP_LAB_DOCKER:-/usr/bin/docker} # XMPP_LAB_DOCKER: a stand-in for tests
[[ -x $DOCKER ]] || DOCKER=$(command -v docker || echo docker)

# shellcheck source=lab/lib.sh
source "$LAB_SRC/lib.sh"

usage() {
  echo "usage: lab/lab.sh up | down [--if-up] | status | build" >&2
  exit 2
}

# One lab per machine and engineers share it: up and down never run at the same time.
take_lock() {
  mkdir -p "$LAB_DIR" || die "cannot create the lab folder $LAB_DIR"
  exec 9>"$LAB_DIR/.lock"
  flock -w 600 9 || die "another lab.sh up/down has held $LAB_DIR/.lock for 10 minutes"
}

main() {
  local cmd=${1:-}
  shift || true
  [[ $cmd == up || $cmd == down || $cmd == build ]] && take_lock
  case $cmd in
    up)
      [[ $# -eq 0 ]] || usage
      lab_up
      ;;
    down)
      local if_up=0
      case ${1:-} in
        "") ;;
        --if-up) if_up=1 ;;
        *) usage ;;
      esac
      lab_down "$if_up"
      ;;
    status)
      [[ $# -eq 0 ]] || usage
      lab_status
      ;;
    build)
      [[ $# -eq 0 ]] || usage
      need_docker
      build_images
      ;;
    *) usage ;;
  esac
}

main "$@"
