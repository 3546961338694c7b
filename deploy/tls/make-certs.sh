#!/bin/sh
# make-certs.sh — a private CA for netdiag agents, an agent's server certificate, and the client certificates of
# Prometheus and the netdiag CLI, with openssl. Nothing here is committed: run it on the machine that keeps the CA.
#
#   ./make-certs.sh DIR AGENT SAN...
#   ./make-certs.sh /etc/netdiag/pki web-1 DNS:web-1.lan IP:10.0.0.5
#
# DIR/ca.crt, ca.key             the CA (made once; kept and reused for every later agent — keep ca.key offline)
# DIR/AGENT.crt, AGENT.key       the agent's server certificate: every name and address clients dial it by (SAN...)
# DIR/prometheus.crt, .key       Prometheus's client certificate (CN prometheus), made once
# DIR/netdiag-cli.crt, .key      the CLI's client certificate (CN netdiag-cli, for --cert/--key), made once
#
# A SAN is DNS:name or IP:address; a bare word is taken as an IP when it looks like one, else as a DNS name.
# Keys are EC P-256, mode 0600. Certificates last DAYS days (default 825; the CA 3650).
set -eu

usage() {
  echo "usage: $0 DIR AGENT SAN... (e.g. $0 ./pki web-1 DNS:web-1.lan IP:10.0.0.5)" >&2
  exit 2
}
[ "$#" -ge 3 ] || usage
dir=$1
agent=$2
shift 2
case $agent in
  '' | *[!A-Za-z0-9._-]*) echo "$0: AGENT must be a file name (letters, digits, . _ -), not '$agent'" >&2; exit 2 ;;
  ca | prometheus | netdiag-cli) echo "$0: '$agent' is the name of another certificate here; name the agent otherwise" >&2; exit 2 ;;
esac

sans=
for san in "$@"; do
  case $san in
    DNS:?* | IP:?*) ;;
    *:*:* | *[0-9].*[0-9].*[0-9].*[0-9]) san="IP:$san" ;;
    *) san="DNS:$san" ;;
  esac
  sans="${sans:+$sans,}$san"
done

days=${DAYS:-825}
umask 077
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ ! -f ca.key ] || [ ! -f ca.crt ]; then
  key ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=netdiag agents CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
  echo "made the CA: $dir/ca.crt (keep $dir/ca.key offline)" >&2
fi

# sign NAME CN EXTENSIONS: a key and a certificate signed by the CA.
sign() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
  chmod 644 "$1.crt"
  echo "made $dir/$1.crt" >&2
}

sign "$agent" "$agent" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$sans"
for client in prometheus netdiag-cli; do
  [ -f "$client.crt" ] && [ -f "$client.key" ] && continue
  sign "$client" "$client" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
done
chmod 644 ca.crt
