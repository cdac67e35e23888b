#!/usr/bin/env bash
# Builds the stub CUDA libraries from the shared notes (shared/notes/javacpp-cuda/fakes) into <out> and, when a local
# nvidia-cuda-nvrtc wheel is at hand, extracts the real NVRTC next to them; then the "fakes" tests run with
#   mvn -B -o -Pfakes -Dquadrant.fakes=<out> -pl native-bindings,kernels -am test
# The stubs treat host memory as device memory and compute saxpy, GEMM and NCCL sums on the host, so the Java
# wrappers' argument passing runs end to end without a GPU; NVRTC compiles the real kernels for real.
# Usage: setup-fakes.sh <out> [fakes-source-dir] [nvrtc-wheel]
set -euo pipefail
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${2:-}
if [ -z "$SRC" ]; then
  for c in "$HERE/../../../../../shared/notes/javacpp-cuda/fakes" "$HERE/../../../../shared/notes/javacpp-cuda/fakes" \
           /work/shared/notes/javacpp-cuda/fakes; do
    if [ -f "$c/build_fakes.sh" ]; then SRC=$c; break; fi
  done
fi
[ -n "$SRC" ] && [ -f "$SRC/build_fakes.sh" ] || { echo "setup-fakes: fakes sources not found (pass their folder)" >&2; exit 1; }
rm -rf "$OUT/src" && mkdir -p "$OUT/src" && cp "$SRC"/*.c "$SRC"/*.txt "$SRC"/build_fakes.sh "$OUT/src/"
# Two additions the shared stubs lack, kept here: ncclReduce, emulated as an all-reduce (every rank's recv gets the
# sum, where NCCL leaves the non-root recv buffers alone: callers must not rely on either), and cudaEventQuery (every
# event is complete: the stubs run all work at once). The stub generator sees them as implemented.
cat >> "$OUT/src/fake_nccl.c" <<'C'
int ncclReduce(const void* s, void* r, size_t n, int t, int op, int root, comm_t* c, void* st) { return submit(0, s, r, n, t, op, root, c, st); }
C
cat >> "$OUT/src/fake_cudart_shim.c" <<'C'
cudaError_t cudaEventQuery(cudaEvent_t e) { return cudaSuccess; }
C
(cd "$OUT/src" && bash build_fakes.sh >/dev/null)
rm -rf "$OUT/lib" && mv "$OUT/src/lib" "$OUT/lib"
WHEEL=${3:-$(ls /opt/pypi-more/files/nvidia_cuda_nvrtc-13*.whl 2>/dev/null | head -1 || true)}
rm -rf "$OUT/nvrtc" && mkdir -p "$OUT/nvrtc"
if [ -n "$WHEEL" ] && [ -f "$WHEEL" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && "${JAVA_HOME:+$JAVA_HOME/bin/}jar" xf "$WHEEL")
  find "$tmp" -name 'libnvrtc*.so*' -exec cp {} "$OUT/nvrtc/" \;
  rm -rf "$tmp"
  echo "setup-fakes: NVRTC from $(basename "$WHEEL"): $(ls "$OUT/nvrtc" | tr '\n' ' ')"
else
  echo "setup-fakes: no nvidia-cuda-nvrtc wheel: NVRTC tests will be skipped"
fi
echo "setup-fakes: stubs in $OUT/lib: $(ls "$OUT/lib" | tr '\n' ' ')"
echo "run: mvn -B -o -Pfakes -Dquadrant.fakes=$OUT -pl native-bindings,kernels -am test"
