#!/usr/bin/env bash
# Builds the self-contained bundle (jlink'd runtime + jars + launcher), checks the archive is at most 48 MiB, and runs
# `quadrant devices` and a short training run from the unpacked archive with no Java on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -Pbundle -DskipTests package
archive=$(ls dist/quadrant-*-linux-x86_64.tar.gz)
size=$(stat -c %s "$archive")
limit=$((48 * 1024 * 1024))
echo "bundle-check: $archive is $size bytes (limit $limit)"
[ "$size" -le "$limit" ] || { echo "bundle-check: archive larger than 48 MiB" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$archive" -C "$work"
root=$(ls -d "$work"/quadrant-*/)
# a PATH with the usual tools but no java
mkdir -p "$work/bin"
for f in /usr/bin/* /bin/*; do
  b=$(basename "$f")
  case "$b" in java|javac|jshell|jar|jlink|jcmd|keytool|jps|jstack) ;; *) ln -sf "$f" "$work/bin/$b" 2>/dev/null || true ;; esac
done
env -i PATH="$work/bin" HOME="$work" bash -c 'if command -v java >/dev/null; then echo "java still on PATH" >&2; exit 1; fi'
env -i PATH="$work/bin" HOME="$work" "$root/bin/quadrant" devices
env -i PATH="$work/bin" HOME="$work" "$root/bin/quadrant" train --steps 20 --threads 2 | tail -n 1
echo "bundle-check: ok"
