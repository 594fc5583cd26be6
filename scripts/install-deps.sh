#!/usr/bin/env bash
# Installs the Debian packages Trailmark builds and tests with, only those missing.
# Runs `apt-get update` once, quietly, and only when something is missing.
set -euo pipefail

packages=(
  libnghttp2-dev   # HTTP/2 (the transport's C library)
  libssl-dev       # OpenSSL 3 (TLS, ALPN)
  pkg-config       # finds both for SwiftPM
  nghttp2-client   # nghttp and h2load: interop tests and benchmarks
  nghttp2-server   # nghttpd: client interop and the benchmark anchor
  curl             # end-to-end tests and the README's examples
  jq               # the seed recipes' queries
  python3-h2       # raw-frame HTTP/2 test client (runs on /usr/bin/python3)
  python3-pytest   # runs the end-to-end suites in Tests/e2e on /usr/bin/python3
  procps           # ps/pkill for the process tests
  testssl.sh       # make security: TLS configuration scan (transport)
  openssl          # s_client protocol probes (transport)
  python3-venv     # the engine benchmark's DuckDB anchor runs in a venv
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing missing packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
