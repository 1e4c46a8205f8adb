#!/usr/bin/env bash
# Builds the engine with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-asan/ and runs the given tap test files against it (default: the relay tests
# that exercise the native path). Node itself is not instrumented: libasan is preloaded,
# so ASan catches out-of-bounds and use-after-free in the engine; leak checking is off
# (LeakSanitizer cannot tell Node's exit-time allocations from ours: the libFuzzer run of
# fuzz/run.sh checks the engine's parsing for leaks instead).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/build-asan"
mkdir -p "$out"
napi="$(node -p "require('node-addon-api').include_dir")"
prefix="$(dirname "$(dirname "$(command -v node)")")"
g++ -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -fPIC -shared \
  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -I"$prefix/include/node" -I"$napi" \
  "$root/relay/native/src/addon.cc" "$root/relay/native/src/crypto.cc" "$root/relay/native/src/engine.cc" -o "$out/sovereign_relay_engine.node"
if [ "$#" -eq 0 ]; then
  set -- test/relay/node/native-plane.test.ts test/relay/proto/hmac.test.ts test/relay/e2e/relay-node.test.ts test/relay/node/socket-layer.test.ts test/relay/interop/node-datachannel.test.ts
fi
cd "$root"
export LD_PRELOAD="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:halt_on_error=1}"
export SOVEREIGN_NATIVE_ADDON="$out/sovereign_relay_engine.node" SOVEREIGN_DATA_PATH=native
exec npx tap --jobs 1 --timeout 600 "$@"
