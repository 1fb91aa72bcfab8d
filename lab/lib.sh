# Functions for lab/lab.sh (sourced, not run). Every failure ends in die(): one line, exit 1.
# shellcheck shell=bash

NET=xmpp-lab
SUBNET_PREFIX=${XMPP_LAB_SUBNET_PREFIX:-172.29.53}   # lab-network addresses end like the loopbacks
SUBNET=$SUBNET_PREFIX.0/24
SERVERS=(a b c)
CONTAINERS=(xmpp-lab-dns xmpp-lab-acme xmpp-lab-a xmpp-lab-b xmpp-lab-c)
BASE_IMAGE=xmpp-lab/base:bookworm
BASE_RECIPE="debootstrap minbase bookworm v1"

declare -A LOOPBACK=([a]=127.0.0.11 [b]=127.0.0.12 [c]=127.0.0.13 [dns]=127.0.0.14 [acme]=127.0.0.15)
declare -A LABIP=([a]=$SUBNET_PREFIX.11 [b]=$SUBNET_PREFIX.12 [c]=$SUBNET_PREFIX.13
  [dns]=$SUBNET_PREFIX.14 [acme]=$SUBNET_PREFIX.15)
PROSODY_PORTS=(5222 5223 5269 5270)
ACME_PORTS=(14000 15000 8055)

die() {
  echo "lab: $*" >&2
  exit 1
}

say() {
  echo "lab: $*"
}

need_docker() {
  timeout 15 "$DOCKER" info >/dev/null 2>&1 \
    || die "no Docker engine answers (start one with scripts/docker-engine.sh or 'make engine')"
}

# The first http(s) URI of the machine's own apt sources for Debian's main archive.
find_mirror() {
  local uri
  uri=$(grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '{for (i = 2; i <= NF; i++) print $i}' | grep -E '^https?://' | grep -v -- '-security' | head -n1 || true)
  if [[ -z $uri ]]; then
    uri=$(grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -E '^https?://' | grep -v -- '-security' | head -n1 || true)
  fi
  printf '%s' "$uri"
}

image_label() {
  "$DOCKER" image inspect -f '{{ index .Config.Labels "xmpp-lab.recipe" }}' "$1" 2>/dev/null || true
}

build_base() {
  local hash
  hash=$(printf '%s' "$BASE_RECIPE" | sha256sum | cut -c1-16)
  [[ $(image_label "$BASE_IMAGE") == "$hash" ]] && return 0
  if timeout 20 "$DOCKER" pull -q debian:bookworm >/dev/null 2>&1; then
    say "base image from debian:bookworm"
    "$DOCKER" build -q -t "$BASE_IMAGE" --label "xmpp-lab.recipe=$hash" - >/dev/null <<<"FROM debian:bookworm" \
      || die "could not tag debian:bookworm as $BASE_IMAGE"
    return 0
  fi
  local mirror rootfs
  mirror=$(find_mirror)
  [[ -n $mirror ]] || die "no image registry answers and no apt mirror is configured in /etc/apt/sources.list(.d); cannot debootstrap"
  command -v debootstrap >/dev/null || die "no image registry answers and debootstrap is not installed (run scripts/host-deps.sh)"
  rootfs=$(mktemp -d /var/tmp/xmpp-lab-rootfs.XXXXXX)
  say "no registry answers: debootstrap bookworm from the machine's apt mirror (about a minute)"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$LAB_DIR/debootstrap.log" 2>&1; then
    rm -rf "$rootfs"
    die "debootstrap failed; see $LAB_DIR/debootstrap.log"
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | "$DOCKER" import --change "LABEL xmpp-lab.recipe=$hash" - "$BASE_IMAGE" >/dev/null \
    || { rm -rf "$rootfs"; die "docker import of the base image failed"; }
  rm -rf "$rootfs"
}

# Build lab/images/NAME unless an image with the same recipe hash exists.
build_image() {
  local name=$1 dir=$LAB_SRC/images/$1 image=xmpp-lab/$1:bookworm hash base_id mirror
  base_id=$("$DOCKER" image inspect -f '{{.Id}}' "$BASE_IMAGE")
  hash=$( (
    cd "$dir"
    find . -type f -print0 | sort -z | xargs -0 sha256sum
    echo "$base_id"
  ) | sha256sum | cut -c1-16)
  [[ $(image_label "$image") == "$hash" ]] && return 0
  mirror=$(find_mirror)
  local args=(--build-arg "BASE=$BASE_IMAGE" --label "xmpp-lab.recipe=$hash" -t "$image")
  [[ -n $mirror ]] && args+=(--build-arg "MIRROR=$mirror")
  say "building $image"
  "$DOCKER" build "${args[@]}" "$dir" >"$LAB_DIR/build-$name.log" 2>&1 \
    || die "building $image failed; see $LAB_DIR/build-$name.log"
}

build_images() {
  build_base
  local name
  for name in prosody dns acme; do
    build_image "$name"
  done
}
