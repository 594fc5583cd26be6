#!/usr/bin/env bash
# TLS protocol probes with `openssl s_client` against a running `trailmark serve`:
# TLS 1.0/1.1 refused, 1.2 and 1.3 accepted, ALPN picks h2 / http/1.1, no weak TLS 1.2 suites,
# and the generated development CA verifies the certificate for localhost and 127.0.0.1.
# Usage: tls_probes.sh TRAILMARK_BINARY
set -euo pipefail
bin=${1:?usage: tls_probes.sh TRAILMARK_BINARY}
data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$bin" serve --data "$data" --host 127.0.0.1 --port "$port" > "$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  [ -f "$data/tls/ca.pem" ] && (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done
failures=0
probe() {  # probe NAME EXPECT(ok|fail) PATTERN ARGS...
  local name=$1 expect=$2 pattern=$3; shift 3
  local out
  out=$(echo | timeout 10 openssl s_client -connect 127.0.0.1:$port -CAfile "$data/tls/ca.pem" "$@" 2>&1 | tr -d "\0" || true)
  if [ "$expect" = ok ] && grep -q "$pattern" <<< "$out"; then
    echo "ok   $name"
  elif [ "$expect" = fail ] && ! grep -q "$pattern" <<< "$out"; then
    echo "ok   $name (refused)"
  else
    echo "FAIL $name"; echo "$out" | head -20; failures=$((failures + 1))
  fi
}
handshake='^New, TLSv'
probe "TLS 1.0 refused" fail "$handshake" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
probe "TLS 1.1 refused" fail "$handshake" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
probe "TLS 1.2 accepted" ok "^New, TLSv1.2" -tls1_2 -servername localhost -verify_hostname localhost
probe "TLS 1.3 accepted" ok "^New, TLSv1.3" -tls1_3 -servername localhost -verify_hostname localhost
probe "TLS 1.3 preferred" ok "^New, TLSv1.3" -verify_ip 127.0.0.1
probe "certificate verifies for localhost" ok "Verify return code: 0 (ok)" -verify_hostname localhost -verify_return_error
probe "certificate refused for another name" fail "Verify return code: 0 (ok)" -verify_hostname example.com -verify_return_error
probe "ALPN h2 chosen first" ok "ALPN protocol: h2" -alpn 'http/1.1,h2'
probe "ALPN http/1.1" ok "ALPN protocol: http/1.1" -alpn 'http/1.1'
probe "ALPN unknown refused" fail "ALPN protocol" -alpn 'spdy/3'
probe "CBC suite refused (TLS 1.2)" fail "$handshake" -tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA'
probe "RSA key exchange refused" fail "$handshake" -tls1_2 -cipher 'AES128-GCM-SHA256'
probe "AEAD suite (TLS 1.2)" ok "Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" -tls1_2 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256'
if [ "$failures" -ne 0 ]; then echo "tls_probes: $failures failure(s)"; exit 1; fi
echo "tls_probes: all passed"
