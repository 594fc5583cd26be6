#!/usr/bin/env bash
# `make security`: testssl.sh (Debian package `testssl.sh`) against `trailmark serve` with its
# generated certificate; fails when any finding is rated HIGH or CRITICAL.
# Usage: security.sh TRAILMARK_BINARY
set -euo pipefail
bin=${1:?usage: security.sh TRAILMARK_BINARY}
command -v testssl > /dev/null || { echo "security: testssl not installed (scripts/install-deps.sh)"; exit 1; }
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$bin" serve --data "$data" --host 127.0.0.1 --port "$port" > "$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done
for _ in $(seq 1 100); do [ -f "$data/tls/ca.pem" ] && break; sleep 0.1; done
# --add-ca: the generated development CA is the trust anchor, as for any client given --cacert.
testssl --quiet --color 0 --warnings off --fast --add-ca "$data/tls/ca.pem" \
  --jsonfile "$data/testssl.json" "127.0.0.1:$port" > "$data/testssl.txt" 2>&1 || true
[ -s "$data/testssl.json" ] || { echo "security: testssl produced no report"; cat "$data/testssl.txt"; exit 1; }
# cert_revocation (no CRL/OCSP URI) concerns the generated development certificate, which
# has no revocation service by design; production certificates come from --cert/--key.
bad=$(/usr/bin/python3 - "$data/testssl.json" <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))
for f in findings:
    if f.get("severity") in ("HIGH", "CRITICAL") and f.get("id") != "cert_revocation":
        print(f"{f['id']}: {f['severity']}: {f.get('finding', '')}")
PY
)
if [ -n "$bad" ]; then
  echo "security: testssl found HIGH/CRITICAL issues:"
  echo "$bad"
  exit 1
fi
echo "security: testssl found no HIGH or CRITICAL issue ($(grep -c '"id"' "$data/testssl.json") checks)"
