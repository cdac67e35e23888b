#!/usr/bin/env bash
# Assembles the bundle (called by bundle/pom.xml in the package phase; runnable alone):
#   make-bundle.sh <jar-dir> <launcher> <out-dir> <tgz> <modules> <max-bytes> [more jars...]
# <jar-dir> holds every runtime jar; more jars (the bundle module's own) are copied as they are. Out: <out-dir>/{runtime,lib,bin} and <tgz>; fails if <tgz> exceeds <max-bytes>.
# Unused native glue is removed from the platform jars: the CUDA presets keep only cudart, cuBLAS, NVRTC and NCCL
# glue; OpenBLAS keeps the no-LAPACK glue that dev.quadrant.bindings.OpenBlas loads (not the LAPACK variants).
set -euo pipefail
JARS=$1 LAUNCHER=$2 OUT=$3 TGZ=$4 MODULES=$5 MAX=$6
shift 6
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
JAR="$JAVA_HOME/bin/jar"
JLINK="$JAVA_HOME/bin/jlink"
rm -rf "$OUT" "$TGZ"
mkdir -p "$OUT/lib" "$OUT/bin"

# strip <jar> <out> <pattern...>: copy of the jar without the entries whose paths match a pattern (shell glob)
strip() {
  local src=$1 dst=$2; shift 2
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && "$JAR" xf "$src")
  local manifest; manifest=$(mktemp)
  mv "$tmp/META-INF/MANIFEST.MF" "$manifest"
  local removed=0
  for pat in "$@"; do
    for f in $tmp/$pat; do
      if [ -e "$f" ]; then rm -f "$f"; removed=$((removed + 1)); fi
    done
  done
  "$JAR" --create --file "$dst" --manifest "$manifest" -C "$tmp" .
  rm -rf "$tmp" "$manifest"
  echo "make-bundle: $(basename "$src"): removed $removed native libraries ($(du -k "$src" | cut -f1) KiB -> $(du -k "$dst" | cut -f1) KiB)"
}

for j in "$JARS"/*.jar; do
  name=$(basename "$j")
  case $name in
    cuda-*-linux-x86_64.jar)
      keep='libjnicudart.so libjnicublas.so libjninvrtc.so libjninccl.so'
      pats=()
      for f in $("$JAR" tf "$j" | grep -E '^org/bytedeco/cuda/linux-x86_64/lib.*\.so'); do
        case " $keep " in *" $(basename "$f") "*) ;; *) pats+=("$f") ;; esac
      done
      strip "$j" "$OUT/lib/$name" "${pats[@]}"
      ;;
    openblas-*-linux-x86_64.jar)
      strip "$j" "$OUT/lib/$name" 'org/bytedeco/openblas/linux-x86_64/libjniopenblas.so' \
        'org/bytedeco/openblas/linux-x86_64/libjniopenblas_full.so' \
        'org/bytedeco/openblas/linux-x86_64/include/*.h'   # C headers: for compiling against OpenBLAS, not for running
      ;;
    *) cp "$j" "$OUT/lib/" ;;
  esac
done

for j in "$@"; do cp "$j" "$OUT/lib/"; done
cp "$LAUNCHER" "$OUT/bin/quadrant"
chmod 755 "$OUT/bin/quadrant"
if [ -n "${GPU_CHECK:-}" ] && [ -f "$GPU_CHECK" ]; then   # scripts/gpu-check.sh: the GPU checks, run from the bundle
  cp "$GPU_CHECK" "$OUT/bin/gpu-check.sh"
  chmod 755 "$OUT/bin/gpu-check.sh"
fi
if [ -n "${TORCH_REF:-}" ] && [ -d "$TORCH_REF" ]; then   # bench/torch/*.py: the same-GPU PyTorch references
  mkdir -p "$OUT/bench/torch"
  cp "$TORCH_REF"/*.py "$OUT/bench/torch/"   # gpt_char.py (GptBenchmark), convnet.py (ConvnetBenchmark)
fi

# headless AWT only (plots are drawn into PNGs): no X11 toolkit, splash screen or sound. The modules image is left
# uncompressed (--compress=0): the archive's gzip compresses it better than jlink's per-resource zip, which gzip
# cannot shrink further (measured: 24.6 MB against 30.4 MB of archive for the runtime; 72 MB instead of 48 MB
# unpacked).
"$JLINK" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=0 \
  --exclude-files='**/libawt_xawt.so,**/libsplashscreen.so,**/libjsound.so' \
  --output "$OUT/runtime"
echo "make-bundle: runtime with $("$OUT/runtime/bin/java" --list-modules | tr '\n' ' ')"

tar -C "$(dirname "$OUT")" -cf - "$(basename "$OUT")" | gzip -9 > "$TGZ"
size=$(stat -c %s "$TGZ")
echo "make-bundle: $(du -sh "$OUT/runtime" | cut -f1) runtime, $(du -sh "$OUT/lib" | cut -f1) jars -> $TGZ ($((size / 1024 / 1024)) MiB, $size bytes, limit $MAX)"
if [ "$size" -gt "$MAX" ]; then
  echo "make-bundle: $TGZ is $size bytes, over the limit of $MAX" >&2
  exit 1
fi
