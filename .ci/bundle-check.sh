#!/usr/bin/env bash
# Builds the self-contained bundle (jlink'd runtime + jars + launcher), checks the archive is at most 48 MiB, and runs
# every subcommand (devices, selftest, train, eval, sample, plot, lab) from the unpacked archive with no Java on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf bundle/target/stage   # copy-dependencies never removes a jar, so a stale one would be bundled
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
q() { (cd "$work" && env -i PATH="$work/bin" HOME="$work" "$root/bin/quadrant" "$@"); }
# every subcommand of the bundle, each as a user runs it
q --version
q devices
q selftest | tail -n 1
q train --steps 20 --threads 2 --metrics "$work/runs/a.jsonl" --save "$work/runs/a.safetensors" \
  --checkpoint-dir "$work/runs/ck" | tail -n 1
q train --steps 20 --threads 2 --devices cpu:2 --strategy hogwild --metrics "$work/runs/b.jsonl" | tail -n 1
q eval --load "$work/runs/a.safetensors"
q eval --load "$work/runs/ck"
printf 'To be, or not to be, that is the question:\nWhether tis nobler in the mind to suffer\n%.0s' $(seq 40) > "$work/t.txt"
q train --data "text:$work/t.txt" --model gpt:layers=1,heads=2,dim=16,ctx=16 --batch 4 --steps 10 \
  --save "$work/runs/g.safetensors" | tail -n 1
q sample --load "$work/runs/g.safetensors" --tokens 40 --seed 1 >/dev/null
q plot --metrics "$work/runs/a.jsonl" "$work/runs/b.jsonl" --out "$work/runs/curves.png"
head -c 8 "$work/runs/curves.png" | od -An -c | grep -q 'P   N   G' || { echo "bundle-check: plot wrote no PNG" >&2; exit 1; }
echo "bundle-check: plot wrote $(stat -c %s "$work/runs/curves.png") bytes of PNG"
q lab --model mlp:16 --data synthetic:16x4x400 --batch 32 --devices cpu:1,2 --steps 4 --warmup 1 --reps 2 \
  --out "$work/runs/lab" | tail -n 1
[ -s "$work/runs/lab/step-time.png" ] && [ -s "$work/runs/lab/summary.md" ] || { echo "bundle-check: lab wrote no report" >&2; exit 1; }
echo "bundle-check: ok"
