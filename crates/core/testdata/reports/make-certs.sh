#!/bin/sh
# Makes the fixture PKI with openssl: a root (RSA 2048), an issuing CA
# (ECDSA P-384) and a leaf for api.northwind.example (ECDSA P-256) issued at
# 2026-03-01T09:00:00Z, three hours before the reported failures. Each run
# makes new keys; run make-reports.py after it. The keys are not kept.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p certs
touch "$work/index.txt"
cat >"$work/ca.cnf" <<CNF
[ca]
default_ca = fixture
[fixture]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
organizationName = optional
[root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[issuing]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:api.northwind.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
echo 1000 >"$work/serial"

# name, subject, key options, issuer (self for the root), extensions, start, end
make() {
    name=$1 subject=$2 keyopts=$3 issuer=$4 ext=$5 start=$6 end=$7
    # shellcheck disable=SC2086 # keyopts is several words
    openssl genpkey $keyopts -out "$work/$name.key" 2>/dev/null
    openssl req -new -key "$work/$name.key" -subj "$subject" -out "$work/$name.csr"
    if [ "$issuer" = self ]; then
        set -- -selfsign -keyfile "$work/$name.key"
    else
        set -- -cert "certs/$issuer.pem" -keyfile "$work/$issuer.key"
    fi
    openssl ca -batch -config "$work/ca.cnf" -notext "$@" -extensions "$ext" \
        -startdate "$start" -enddate "$end" -in "$work/$name.csr" -out "certs/$name.pem" 2>/dev/null
}
make root "/O=Northwind Fixtures/CN=Northwind Fixture Root CA" \
    "-algorithm RSA -pkeyopt rsa_keygen_bits:2048" self root 20250101000000Z 20450101000000Z
make issuing "/O=Northwind Fixtures/CN=Northwind Fixture Issuing CA 1" \
    "-algorithm EC -pkeyopt ec_paramgen_curve:P-384" root issuing 20250101000000Z 20350101000000Z
make leaf "/CN=api.northwind.example" \
    "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" issuing leaf 20260301090000Z 20260530090000Z
# A key the app pins and its backup: the chain holds neither.
for k in pinned backup; do
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null |
        openssl pkey -pubout -outform DER -out "certs/$k-spki.der"
done
