#!/usr/bin/env bash
# Rebuilds kernels.wasm from kernels.c. The .wasm is committed, so neither the service nor its
# tests need a C compiler; run this after changing kernels.c (Debian: apt-get install clang lld).
# clang 14 with wasm-ld, wasm32 with SIMD128 and bulk memory, no libc (kernels.c defines exp/erf).
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--export=__heap_base -Wl,--strip-all \
  -o kernels.wasm kernels.c
echo "kernels.wasm: $(wc -c < kernels.wasm) bytes, sha256 $(sha256sum kernels.wasm | cut -d' ' -f1)"
