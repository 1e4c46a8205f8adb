#!/usr/bin/env bash
# Fuzzes the native engine's datagram parsing and forwarding decisions with libFuzzer,
# under AddressSanitizer and UndefinedBehaviorSanitizer. Needs clang with libFuzzer
# (Debian: apt-get install clang libclang-rt-14-dev, or the libclang-rt-N-dev of your clang). Usage: run.sh [seconds, default 60] [extra libFuzzer flags]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-60}"
shift || true
out="$here/out"
mkdir -p "$out/corpus"
command -v clang++ >/dev/null || { echo "fuzz:native needs clang++ with libFuzzer (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
# Seeds: a ChannelData frame, a STUN header, a short and a truncated frame.
printf '\x01\x00\x10\x03\x00\x01\x02\x03\x01\x02\x00\x00\x40\x00\x00\x04abcd' > "$out/corpus/seed-channel-data"
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x21\x12\xa4\x42' > "$out/corpus/seed-stun"
printf '\x40' > "$out/corpus/seed-short"
printf '\x01\xff\xff\x01\x40\x00\xff\xff\x00\x00\x00\x00\x01\xff\xff\x00\x00\x00\x00\x00\x40\x00\x00\x64xyz' > "$out/corpus/seed-truncated"
clang++ -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$here/../src" "$here/fuzz-forward.cc" "$here/../src/engine.cc" -lpthread -o "$out/fuzz-forward"
cd "$out"
exec ./fuzz-forward -max_total_time="$seconds" -max_len=70000 -print_final_stats=1 "$@" corpus
