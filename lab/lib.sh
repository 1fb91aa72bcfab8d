# Functions for lab/lab.sh (sourced, not run). Every failure ends in die(): one line, exit 1.
# shellcheck shell=bash

NET=xmpp-lab
SUBNET_PREFIX=${XMPP_LAB_SUBNET_PREFIX:-172.29.53}   # lab-network addresses end like the loopbacks
SUBNET=$SUBNET_PREFIX.0/24
SERVERS=(a b c)
CONTAINERS=(xmpp-lab-dns xmpp-lab-acme xmpp-lab-a xmpp-lab-b xmpp-lab-c)
IMAGES=${XMPP_LAB_IMAGE_PREFIX:-xmpp-lab} # another prefix builds a separate set (timing, CI)
BASE_IMAGE=$IMAGES/base:bookworm
BASE_RECIPE="debootstrap minbase bookworm v2, apt sources: bookworm bookworm-updates"

declare -A LOOPBACK=([a]=127.0.0.11 [b]=127.0.0.12 [c]=127.0.0.13 [dns]=127.0.0.14 [acme]=127.0.0.15)
declare -A LABIP=([a]=$SUBNET_PREFIX.11 [b]=$SUBNET_PREFIX.12 [c]=$SUBNET_PREFIX.13
  [dns]=$SUBNET_PREFIX.14 [acme]=$SUBNET_PREFIX.15)
PROSODY_PORTS=(5222 5223 5269 5270)
ACME_PORTS=(14000 14001 15000 8055)

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
# XMPP_LAB_APT_ETC only exists so the "no mirror" error can be tested.
find_mirror() {
  local uri etc=${XMPP_LAB_APT_ETC:-/etc/apt}
  uri=$(grep -hE '^[[:space:]]*URIs:' "$etc"/sources.list.d/*.sources 2>/dev/null \
    | awk '{for (i = 2; i <= NF; i++) print $i}' | grep -E '^https?://' | grep -v -- '-security' | head -n1 || true)
  if [[ -z $uri ]]; then
    uri=$(grep -hE '^[[:space:]]*deb[[:space:]]' "$etc"/sources.list "$etc"/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -E '^https?://' | grep -v -- '-security' | head -n1 || true)
  fi
  printf '%s' "$uri"
}

image_label() {
  "$DOCKER" image inspect -f '{{ index .Config.Labels "xmpp-lab.recipe" }}' "$1" 2>/dev/null || true
}

# The apt sources of every lab image: the machine's mirror, for bookworm and its updates.
apt_sources() {
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$1" "$1"
}

# The base image: debian:bookworm where a registry answers, else debootstrap from the
# machine's apt mirror. Either way its apt sources name that mirror (when the machine has
# one), so the images built on it install their packages from it, offline too. The recipe
# hash covers the mirror: another mirror makes another base, and so rebuilds every image
# (their hash covers the base's id).
build_base() {
  local hash mirror
  mirror=$(find_mirror)
  hash=$(printf '%s\n%s' "$BASE_RECIPE" "$mirror" | sha256sum | cut -c1-16)
  [[ $(image_label "$BASE_IMAGE") == "$hash" ]] && return 0
  if timeout 20 "$DOCKER" pull -q debian:bookworm >/dev/null 2>&1; then
    say "base image from debian:bookworm"
    local context
    context=$(mktemp -d /var/tmp/xmpp-lab-base.XXXXXX)
    echo "FROM debian:bookworm" >"$context/Dockerfile"
    if [[ -n $mirror ]]; then
      apt_sources "$mirror" >"$context/sources.list"
      printf '%s\n' "COPY sources.list /etc/apt/sources.list" "RUN rm -f /etc/apt/sources.list.d/*" \
        >>"$context/Dockerfile"
    fi
    if ! "$DOCKER" build -q -t "$BASE_IMAGE" --label "xmpp-lab.recipe=$hash" "$context" >/dev/null; then
      rm -rf "$context"
      die "could not build $BASE_IMAGE from debian:bookworm"
    fi
    rm -rf "$context"
    return 0
  fi
  local rootfs
  [[ -n $mirror ]] || die "no image registry answers and no apt mirror is configured in /etc/apt/sources.list(.d); cannot debootstrap"
  command -v debootstrap >/dev/null || die "no image registry answers and debootstrap is not installed (run scripts/host-deps.sh)"
  rootfs=$(mktemp -d /var/tmp/xmpp-lab-rootfs.XXXXXX)
  say "no registry answers: debootstrap bookworm from the machine's apt mirror (about a minute)"
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$LAB_DIR/debootstrap.log" 2>&1; then
    rm -rf "$rootfs"
    die "debootstrap failed; see $LAB_DIR/debootstrap.log"
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/etc/apt/sources.list.d/*
  apt_sources "$mirror" >"$rootfs/etc/apt/sources.list"
  tar -C "$rootfs" -c . | "$DOCKER" import --change "LABEL xmpp-lab.recipe=$hash" - "$BASE_IMAGE" >/dev/null \
    || { rm -rf "$rootfs"; die "docker import of the base image failed"; }
  rm -rf "$rootfs"
}

# Build lab/images/NAME unless an image with the same recipe hash exists. The apt mirror
# comes with the base image (build_base), so the recipes need no build argument for it.
build_image() {
  local name=$1 dir=$LAB_SRC/images/$1 image=$IMAGES/$1:bookworm hash base_id
  base_id=$("$DOCKER" image inspect -f '{{.Id}}' "$BASE_IMAGE")
  hash=$( (
    cd "$dir" || exit 1
    find . -type f -print0 | sort -z | xargs -0 sha256sum
    echo "$base_id"
  ) | sha256sum | cut -c1-16)
  [[ $(image_label "$image") == "$hash" ]] && return 0
  local args=(--build-arg "BASE=$BASE_IMAGE" --label "xmpp-lab.recipe=$hash" -t "$image")
  local old_id
  old_id=$("$DOCKER" image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  say "building $image"
  "$DOCKER" build "${args[@]}" "$dir" >"$LAB_DIR/build-$name.log" 2>&1 \
    || die "building $image failed; see $LAB_DIR/build-$name.log"
  # Drop the superseded image; it stays if a container still uses it.
  if [[ -n $old_id && $old_id != $("$DOCKER" image inspect -f '{{.Id}}' "$image") ]]; then
    "$DOCKER" rmi "$old_id" >/dev/null 2>&1 || true
  fi
}

build_images() {
  build_base
  local name
  for name in prosody dns acme; do
    build_image "$name"
  done
}

# --- certificates (openssl on the host; the CAs are kept, leaves are made at every up) -----
make_ca() {
  local name=$1 subject=$2
  [[ -s $LAB_DIR/$name.pem && -s $LAB_DIR/$name.key ]] && return 0
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "$subject" \
      -keyout "$LAB_DIR/$name.key" -out "$LAB_DIR/$name.pem" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  ) || die "openssl could not make $name"
  chmod 0600 "$LAB_DIR/$name.key"
  chmod 0644 "$LAB_DIR/$name.pem"
}

# make_leaf OUT_DIR CN SAN CA|self : fullchain.pem + privkey.pem, RSA 2048, 90 days.
make_leaf() {
  local out=$1 cn=$2 san=$3 ca=$4 ext
  mkdir -p "$out"
  ext="subjectAltName=$san
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth"
  if [[ $ca == self ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 90 -subj "/CN=$cn" \
      -keyout "$out/privkey.pem" -out "$out/fullchain.pem" -addext "subjectAltName=$san" \
      -addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null || die "openssl could not make $cn"
  else
    openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=$cn" -keyout "$out/privkey.pem" 2>/dev/null \
      | openssl x509 -req -sha256 -days 90 -CA "$LAB_DIR/$ca.pem" -CAkey "$LAB_DIR/$ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -extfile <(printf '%s\n' "$ext") -out "$out/fullchain.pem" 2>/dev/null \
      || die "openssl could not make $cn"
  fi
  chmod 0600 "$out/privkey.pem"
}

make_certs() {
  make_ca lab-ca "/O=xmpp-lab/CN=xmpp-lab CA"
  make_ca pebble-minica "/O=xmpp-lab/CN=xmpp-lab Pebble listener CA"
  make_leaf "$LAB_DIR/acme/tls" acme.lab.test \
    "DNS:acme.lab.test,DNS:localhost,DNS:pebble,IP:${LOOPBACK[acme]},IP:${LABIP[acme]},IP:127.0.0.1" pebble-minica
  cp "$LAB_DIR/acme/tls/fullchain.pem" "$LAB_DIR/acme/listener.pem"
  cp "$LAB_DIR/acme/tls/privkey.pem" "$LAB_DIR/acme/listener.key"
  chmod 0644 "$LAB_DIR/acme/listener.key" # read inside the Pebble container only
  local s domain seed issuer
  for s in "${SERVERS[@]}"; do
    domain=$s.lab.test
    seed=$LAB_DIR/prosody/$s/seed
    issuer=lab-ca
    [[ $s == c ]] && issuer=self
    rm -rf "$seed/certs"
    make_leaf "$seed/certs/$domain" "$domain" "DNS:$domain,DNS:conference.$domain" "$issuer"
    mkdir -p "$seed/ca"
    cp "$LAB_DIR/lab-ca.pem" "$seed/ca/xmpp-lab-ca.crt"
  done
}

# --- containers ---------------------------------------------------------------------------
lab_containers() {
  "$DOCKER" ps -a --filter label=xmpp-lab.role --format '{{.Names}}'
}

remove_lab() {
  local names
  names=$(lab_containers)
  if [[ -n $names ]]; then
    # shellcheck disable=SC2086
    "$DOCKER" rm -f $names >/dev/null || die "could not remove the lab containers"
  fi
  if "$DOCKER" network inspect "$NET" >/dev/null 2>&1; then
    "$DOCKER" network rm "$NET" >/dev/null || die "could not remove the network $NET"
  fi
}

# One line per listener on the lab's addresses (or on a wildcard) that is not the lab's.
check_ports() {
  local listeners spec addr port proto hit
  listeners=$(ss -Hltnup 2>/dev/null | awk '{print $1, $5, $7}')
  local specs=()
  for s in "${SERVERS[@]}"; do
    for port in "${PROSODY_PORTS[@]}" 80; do
      [[ $port == 80 ]] && continue # port 80 stays inside the lab network
      specs+=("tcp ${LOOPBACK[$s]} $port")
    done
  done
  specs+=("tcp ${LOOPBACK[dns]} 53" "udp ${LOOPBACK[dns]} 53")
  for port in "${ACME_PORTS[@]}"; do specs+=("tcp ${LOOPBACK[acme]} $port"); done
  for spec in "${specs[@]}"; do
    read -r proto addr port <<<"$spec"
    hit=$(awk -v p="$proto" -v a="$addr:$port" -v port="$port" \
      '$1 == p && ($2 == a || $2 == "0.0.0.0:" port || $2 == "*:" port || $2 == "[::]:" port) {print $2, $3; exit}' \
      <<<"$listeners")
    [[ -z $hit ]] || die "port $proto $addr:$port is taken by something that is not the lab ($hit listens)"
  done
}

wait_for() {
  local what=$1 tries=$2
  shift 2
  local i
  for ((i = 0; i < tries; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "$what did not come up; see 'docker logs' of the lab containers"
}

start_dns() {
  mkdir -p "$LAB_DIR/dns/keys"
  "$DOCKER" run -d --name xmpp-lab-dns --hostname ns --label xmpp-lab.role=dns \
    --network "$NET" --ip "${LABIP[dns]}" \
    -p "${LOOPBACK[dns]}:53:53/udp" -p "${LOOPBACK[dns]}:53:53/tcp" \
    -v "$LAB_DIR/dns:/lab:ro" -v "$LAB_DIR/dns/keys:/var/lib/bind/keys" \
    "$IMAGES/dns:bookworm" >/dev/null || die "could not start xmpp-lab-dns"
}

# PEBBLE_AUTHZREUSE=0: every order proves its challenge again, so a test of a failing
# challenge cannot pass on an authorization left valid by an earlier order.
start_acme() {
  local ports=() port
  for port in "${ACME_PORTS[@]}"; do ports+=(-p "${LOOPBACK[acme]}:$port:$port"); done
  "$DOCKER" run -d --name xmpp-lab-acme --hostname acme --label xmpp-lab.role=acme \
    --network "$NET" --ip "${LABIP[acme]}" --dns "${LABIP[dns]}" "${ports[@]}" \
    -e "LAB_DNS=${LABIP[dns]}:53" -e PEBBLE_VA_NOSLEEP=1 -e PEBBLE_WFE_NONCEREJECT=0 \
    -e PEBBLE_AUTHZREUSE=0 \
    -v "$LAB_DIR/acme:/lab:ro" \
    "$IMAGES/acme:bookworm" >/dev/null || die "could not start xmpp-lab-acme"
}

# The rate-limit front answers once its /dir is Pebble's with newOrder pointing at itself.
ratelimit_front_answers() {
  python3 - "$LAB_DIR/pebble-minica.pem" "https://${LOOPBACK[acme]}:14001/dir" <<'EOF'
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[1])
with urllib.request.urlopen(sys.argv[2], context=ctx, timeout=5) as resp:
    sys.exit(0 if ":14001/" in json.load(resp)["newOrder"] else 1)
EOF
}

# The zone is signed once BIND answers its SOA with an RRSIG; then keep the CSK as anchor.
dnssec_signed() {
  "$DOCKER" exec xmpp-lab-dns dig +dnssec +norec +short @127.0.0.1 lab.test SOA | grep -q '^SOA '
}

write_trust_anchor() {
  local anchor=$LAB_DIR/dnssec-trust-anchor
  "$DOCKER" exec xmpp-lab-dns dig +noall +answer +norec @127.0.0.1 lab.test DNSKEY \
    | awk '$4 == "DNSKEY" && $5 == 257' >"$anchor.tmp"
  [[ -s $anchor.tmp ]] || die "the lab zone has no key-signing DNSKEY"
  mv "$anchor.tmp" "$anchor"
  "$DOCKER" exec -i xmpp-lab-dns dnssec-dsfromkey -2 -f - lab.test <"$anchor" >"$anchor.ds" \
    || die "could not derive the DS of the trust anchor"
}

start_prosody() {
  local s=$1 ports=() port name=xmpp-lab-$1
  for port in "${PROSODY_PORTS[@]}"; do ports+=(-p "${LOOPBACK[$s]}:$port:$port"); done
  cp "$LAB_DIR/pebble-root.pem" "$LAB_DIR/prosody/$s/seed/ca/xmpp-lab-pebble-root.crt"
  "$DOCKER" create --name "$name" --hostname "$name" --label xmpp-lab.role=prosody \
    --network "$NET" --ip "${LABIP[$s]}" --dns "${LABIP[dns]}" -e "LAB_DNS=${LABIP[dns]}" "${ports[@]}" \
    "$IMAGES/prosody:bookworm" >/dev/null || die "could not create $name"
  "$DOCKER" cp "$LAB_DIR/prosody/$s/seed" "$name:/lab-seed" || die "could not copy the seed into $name"
  "$DOCKER" start "$name" >/dev/null || die "could not start $name"
}

# A published port answers once the proxy reaches Prosody and Prosody sends a stream header.
stream_answers() {
  python3 - "$1" "$2" "$3" <<'PY'
import socket, sys
addr, port, domain = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with socket.create_connection((addr, port), timeout=2) as sock:
    sock.settimeout(2)
    sock.sendall(f"<?xml version='1.0'?><stream:stream to='{domain}' xmlns='jabber:client' "
                 "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>".encode())
    sys.exit(0 if b"<stream:stream" in sock.recv(4096) else 1)
PY
}

lab_up() {
  local started=$SECONDS s
  need_docker
  mkdir -p "$LAB_DIR"
  LAB_DIR=$(cd "$LAB_DIR" && pwd)
  remove_lab
  check_ports
  build_images
  python3 "$LAB_SRC/labgen.py" render "$LAB_DIR" || die "could not render the lab configuration"
  make_certs
  "$DOCKER" network create --driver bridge --subnet "$SUBNET" --gateway "$SUBNET_PREFIX.1" \
    --label xmpp-lab.role=network "$NET" >/dev/null \
    || die "could not create the network $NET ($SUBNET); does another network overlap it?"
  start_dns
  start_acme
  wait_for "the signed lab zone" 120 dnssec_signed
  write_trust_anchor
  python3 "$LAB_SRC/labgen.py" roots "$LAB_DIR" || die "could not fetch Pebble's root"
  wait_for "the rate-limited ACME directory on ${LOOPBACK[acme]}:14001" 60 ratelimit_front_answers
  for s in "${SERVERS[@]}"; do start_prosody "$s"; done
  for s in "${SERVERS[@]}"; do
    wait_for "xmpp-lab-$s" 120 "$DOCKER" exec "xmpp-lab-$s" test -f /run/lab-ready
    wait_for "Prosody on ${LOOPBACK[$s]}:5222" 60 stream_answers "${LOOPBACK[$s]}" 5222 "$s.lab.test"
  done
  python3 "$LAB_SRC/labgen.py" json "$LAB_DIR" || die "could not write lab.json"
  say "up in $((SECONDS - started)) s; description in $LAB_DIR/lab.json"
}

lab_down() {
  local if_up=$1
  need_docker
  if [[ -z $(lab_containers) ]] && ! "$DOCKER" network inspect "$NET" >/dev/null 2>&1; then
    if ((if_up)); then
      return 0
    fi
    die "lab is not up (nothing to take down; 'lab.sh down --if-up' succeeds quietly in that case)"
  fi
  remove_lab
  say "down"
}

lab_status() {
  need_docker
  local name state bad=0
  for name in "${CONTAINERS[@]}"; do
    state=$("$DOCKER" inspect -f '{{.State.Status}}' "$name" 2>/dev/null || echo missing)
    echo "$name $state"
    [[ $state == running ]] || bad=1
  done
  return "$bad"
}
