#!/usr/bin/env bash
# Compiles every CUDA kernel family with nvcc for sm_90 (CUBIN), the way NVRTC compiles them at run time
# (common.cuh prepended, C++17, device code only). Fails on any error or warning, so a broken kernel fails CI on a
# machine without a GPU. Usage: .ci/compile-kernels.sh [nvcc]   (default: nvcc on PATH, else /usr/local/cuda/bin/nvcc)
set -euo pipefail
cd "$(dirname "$0")/.."
NVCC=${1:-${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}}
if [ ! -x "$NVCC" ]; then
  echo "compile-kernels: nvcc not found (looked for '$NVCC'); install the CUDA toolkit or pass its path" >&2
  exit 1
fi
SRC=kernels/src/main/resources/dev/quadrant/kernels
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
n=0; failed=0
for cu in "$SRC"/*.cu; do
  name=$(basename "$cu" .cu)
  log="$OUT/$name.log"
  if "$NVCC" -arch=sm_90 -cubin -std=c++17 -Werror all-warnings -Xptxas -Werror \
       -include "$SRC/common.cuh" -o "$OUT/$name.cubin" "$cu" >"$log" 2>&1 && [ ! -s "$log" ]; then
    printf 'compile-kernels: %-16s ok (%d bytes)\n' "$name.cu" "$(stat -c %s "$OUT/$name.cubin")"
  else
    echo "compile-kernels: $name.cu FAILED:" >&2
    cat "$log" >&2
    failed=$((failed + 1))
  fi
  n=$((n + 1))
done
if [ "$n" -eq 0 ]; then echo "compile-kernels: no .cu files under $SRC" >&2; exit 1; fi
echo "compile-kernels: $n families, $failed failed ($("$NVCC" --version | tail -1))"
[ "$failed" -eq 0 ]
