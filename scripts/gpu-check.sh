#!/usr/bin/env bash
# gpu-check.sh -- runs every GPU check of issues 4 and 5 on a GPU host from the self-contained bundle (no JDK, no
# Maven needed) and writes one log per check, plus summary.txt, into LOGDIR.
#
#   scripts/gpu-check.sh LOGDIR [BUNDLE] [MNIST_DIR] [TEXT_FILE]
#
#   BUNDLE     the bundle folder (dist/quadrant-VERSION) or its .tar.gz; default $QUADRANT_BUNDLE, else the bundle
#              this script sits in (it is copied to the bundle's bin/gpu-check.sh), else the newest
#              dist/quadrant-*-linux-x86_64.tar.gz (or unpacked dist/quadrant-*/) of this repository
#              (build it with: mvn -q -B -DskipTests -Pbundle package)
#   MNIST_DIR  the MNIST IDX files; default $QUADRANT_MNIST, ../shared/datasets/mnist, /work/shared/datasets/mnist
#   TEXT_FILE  Tiny Shakespeare; default $QUADRANT_TEXT, ../shared/datasets/tinyshakespeare/input.txt, /work/shared/...
#
# Checks (each with a time limit):
#   issue 4: quadrant devices; the bundle smoke check; quadrant selftest in fp32, tf32 and bf16 (every Backend op
#            against a float64 reference on every GPU, plus a short training run: the conformance checks);
#            MNIST mlp:256 3 epochs on cuda:0 through `quadrant train` >= 0.97; GemmGpuBenchmark (fp32/TF32/bf16
#            rates for 4096^3 and the trainer's layer shapes)
#   issue 5: GpuChecks nccl (one NCCL rank on every GPU present), equivalence (allreduce and ps on cuda:0x2 and
#            cuda:0x4, and two-GPU layouts when present, equal cuda:0 after 50 steps), kill (a replica that throws or
#            hangs ends the run naming it, no hang), async (hogwild and gossip on cuda:0x4 >= 0.97 on MNIST);
#            `quadrant train` smoke runs of the four strategies on cuda:0x4 (and cuda:0x2,1x2 with two GPUs);
#            MultiReplicaGpuBenchmark (cuda:0x4 step time against cuda:0 with 4x the batch)
#   issue 9: the nanoGPT CPU configuration of a GPT on Tiny Shakespeare (2000 steps) on cuda:0 and on cuda:0x2,
#            val_loss <= 1.92 each; GptBenchmark on cuda:0 beside PyTorch on the same GPU (when python3 has torch with
#            CUDA); the new kernels against the float64 reference run in the selftest checks above
#   issue 10: the small ResNet (synchronised BatchNorm) on MNIST, 3 epochs, on cuda:0 and cuda:0x4, >= 0.985 each,
#            and quadrant eval of the saved model; the image and batch-norm kernels against the float64 reference in the
#            selftest checks above; ConvnetBenchmark on cuda:0 (lenet and resnet) beside PyTorch's
#            bench/torch/convnet.py on the same GPU (when python3 has torch with CUDA)
#   issue 11: GpuChecks nosync (no host wait inside a step of single, allreduce and ps on cuda:0 and cuda:0x2, and
#            cuda:0,1 with two GPUs, with --clip-norm 1 and both --on-nan policies; the poisoned steps still skipped or
#            named); the gradient-statistics and guarded-update kernels against the float64 reference run in the
#            selftest checks above; GpuChecks graphs (--cuda-graphs on gives the bits of off, and replays, on cuda:0,
#            cuda:0x2 and cuda:0,1); GptBenchmark at nanoGPT's GPU configuration, Quadrant eager and with graphs
#            beside PyTorch (when python3 has torch with CUDA)
#   optional: with QUADRANT_SOURCE=<checkout> and mvn on PATH, the JUnit gpu suite (mvn test -Dgroups=gpu)
#
# QUADRANT_CHECKS=REGEX runs only the checks whose names match (grep -E), e.g. 'selftest|no-host-sync'; the others are
# not run and not counted. Every check runs under `bash -o pipefail`: a command that fails fails its check even when
# its output goes through tee.
#
# Exit status: 0 all passed; 1 a check failed; 2 bad usage or no bundle; 3 nothing failed but a check was skipped
# (no MNIST data).
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
[ $# -ge 1 ] || { usage >&2; exit 2; }
case $1 in -h|--help) usage; exit 0 ;; esac

LOG=$(mkdir -p "$1" && cd "$1" && pwd) || { echo "gpu-check: cannot create $1" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")/.." && pwd)
BUNDLE=${2:-${QUADRANT_BUNDLE:-}}
if [ -z "$BUNDLE" ] && [ -x "$HERE/bin/quadrant" ] && [ -d "$HERE/runtime" ]; then
  BUNDLE=$HERE   # this script is the bundle's own bin/gpu-check.sh
fi
if [ -z "$BUNDLE" ]; then
  BUNDLE=$(ls -t "$HERE"/dist/quadrant-*-linux-x86_64.tar.gz 2>/dev/null | head -n 1)
  [ -n "$BUNDLE" ] || BUNDLE=$(ls -td "$HERE"/dist/quadrant-*/ 2>/dev/null | head -n 1)
fi
if [ -z "$BUNDLE" ] || [ ! -e "$BUNDLE" ]; then
  echo "gpu-check: no bundle found (pass BUNDLE or QUADRANT_BUNDLE; build it with mvn -q -B -DskipTests -Pbundle package)" >&2
  exit 2
fi
if [ -f "$BUNDLE" ]; then
  mkdir -p "$LOG/bundle"
  tar -xzf "$BUNDLE" -C "$LOG/bundle" || { echo "gpu-check: cannot unpack $BUNDLE" >&2; exit 2; }
  BUNDLE=$(ls -d "$LOG"/bundle/quadrant-*/ | head -n 1)
fi
BUNDLE=$(cd "$BUNDLE" && pwd)
Q="$BUNDLE/bin/quadrant"
[ -x "$Q" ] || { echo "gpu-check: $Q is missing or not executable" >&2; exit 2; }

MNIST=${3:-${QUADRANT_MNIST:-}}
if [ -z "$MNIST" ]; then
  for c in "$HERE/../shared/datasets/mnist" /work/shared/datasets/mnist; do
    [ -d "$c" ] && { MNIST=$(cd "$c" && pwd); break; }
  done
fi

TEXT=${4:-${QUADRANT_TEXT:-}}
if [ -z "$TEXT" ]; then
  for c in "$HERE/../shared/datasets/tinyshakespeare/input.txt" /work/shared/datasets/tinyshakespeare/input.txt; do
    [ -f "$c" ] && { TEXT=$(cd "$(dirname "$c")" && pwd)/input.txt; break; }
  done
fi

export QUADRANT_CACHE=${QUADRANT_CACHE:-$LOG/cache}
SUMMARY="$LOG/summary.txt"
: > "$SUMMARY"
failed=0
skipped=0
n=0

note() { echo "$*" | tee -a "$SUMMARY"; }

# run NAME LIMIT_SECONDS CMD... : runs CMD with a time limit, logs to LOG/NN-NAME.log, records PASS/FAIL
run() {
  local name=$1 limit=$2; shift 2
  if [ -n "${QUADRANT_CHECKS:-}" ] && ! grep -Eq -- "$QUADRANT_CHECKS" <<< "$name"; then
    return 0
  fi
  n=$((n + 1))
  local log; log=$(printf '%s/%02d-%s.log' "$LOG" "$n" "$name")
  local t0; t0=$(date +%s)
  { echo "\$ $*"; echo; } > "$log"
  timeout --kill-after=30 "$limit" bash -o pipefail -c '"$@"' gpu-check "$@" >> "$log" 2>&1
  local rc=$?
  local dt=$(( $(date +%s) - t0 ))
  if [ $rc -eq 0 ]; then
    note "PASS  $name (${dt}s)  $log"
  else
    [ $rc -eq 124 ] && echo "gpu-check: TIMED OUT after ${limit}s" >> "$log"
    note "FAIL  $name (exit $rc, ${dt}s)  $log"
    failed=$((failed + 1))
  fi
  return $rc
}

skip() {
  if [ -n "${QUADRANT_CHECKS:-}" ] && ! grep -Eq -- "$QUADRANT_CHECKS" <<< "$1"; then
    return 0
  fi
  n=$((n + 1))
  note "SKIP  $1: $2"
  skipped=$((skipped + 1))
}

# main class runner from the bundle
qmain() { local cls=$1; shift; QUADRANT_MAIN=$cls "$Q" "$@"; }

# last test_accuracy in a metrics file >= bar
accuracy_at_least() {
  local file=$1 bar=$2
  local acc; acc=$(tail -n 1 "$file" | sed -n 's/.*"test_accuracy":\([0-9.eE+-]*\).*/\1/p')
  echo "last test_accuracy: ${acc:-none} (bar $bar)"
  [ -n "$acc" ] && awk -v a="$acc" -v b="$bar" 'BEGIN { exit !(a >= b) }'
}

selftest_gpu() {   # PRECISION: the self-test must have run on the GPUs, not fallen back to the CPU
  "$Q" selftest --precision "$1" | tee "$LOG/selftest-$1.out" && ! grep -q '^cuda: not usable' "$LOG/selftest-$1.out"
}

mnist_cuda0() {
  "$Q" train --data "idx:$MNIST" --model mlp:256 --epochs 3 --batch 128 --optimizer adam --lr 2e-3 --seed 1 \
    --devices cuda:0 --metrics "$LOG/mnist-cuda0.jsonl" --save "$LOG/mnist-cuda0.safetensors" &&
  accuracy_at_least "$LOG/mnist-cuda0.jsonl" 0.97
}

cli_smoke() {   # DEVICES STRATEGY: a short `quadrant train` whose metrics carry the step breakdown
  local m="$LOG/smoke-$2-${1//[:,]/_}.jsonl"
  "$Q" train --data synthetic:784x10x20000 --model mlp:512-256 --steps 200 --batch 512 --devices "$1" \
    --strategy "$2" --metrics "$m" && grep -q '"comm_exposed_ms"' "$m"
}

# last val_loss in a metrics file <= bar
val_loss_at_most() {
  local file=$1 bar=$2
  local v; v=$(tail -n 1 "$file" | sed -n 's/.*"val_loss":\([0-9.eE+-]*\).*/\1/p')
  echo "last val_loss: ${v:-none} (bar $bar)"
  [ -n "$v" ] && awk -v a="$v" -v b="$bar" 'BEGIN { exit !(a <= b) }'
}

resnet_mnist() {   # DEVICES: the small ResNet (synchronised BatchNorm), 3 epochs, Adam 1e-3, batch 128, >= 0.985; eval agrees
  local tag="resnet-${1//[:,]/_}"
  "$Q" train --data "idx:$MNIST" --model resnet --epochs 3 --batch 128 --optimizer adam --lr 1e-3 --seed 1 \
    --devices "$1" --metrics "$LOG/$tag.jsonl" --save "$LOG/$tag.safetensors" &&
  accuracy_at_least "$LOG/$tag.jsonl" 0.985 &&
  "$Q" eval --data "idx:$MNIST" --load "$LOG/$tag.safetensors" --devices cuda:0
}

gpt_shakespeare() {   # DEVICES: nanoGPT's CPU configuration, 2000 steps, val_loss <= 1.92
  local m="$LOG/gpt-${1//[:,]/_}.jsonl"
  "$Q" train --data "text:$TEXT" --model gpt:layers=4,heads=4,dim=128,ctx=64,dropout=0 --batch 12 --steps 2000 \
    --optimizer adamw --lr 1e-3 --betas 0.9,0.99 --weight-decay 0.1 --schedule cosine:100:1e-4 --clip-norm 1 \
    --seed 1337 --eval-every 500 --devices "$1" --metrics "$m" --save "$LOG/gpt-${1//[:,]/_}.safetensors" &&
  val_loss_at_most "$m" 1.92 &&
  "$Q" sample --load "$LOG/gpt-${1//[:,]/_}.safetensors" --prompt "ROMEO:" --tokens 200 --temperature 0.8 \
    --top-k 40 --seed 1 --devices "$1"
}

gpt_benchmark() {   # Quadrant and PyTorch on cuda:0, interleaved
  qmain dev.quadrant.examples.bench.GptBenchmark --device cuda:0 --steps 500 --repeats 2 --data "$TEXT" \
    --script "$BUNDLE/bench/torch/gpt_char.py" --python "$(command -v python3)"
}

gpt_graphs_benchmark() {   # issue 11: nanoGPT's GPU configuration, Quadrant eager and with CUDA graphs, beside PyTorch
  qmain dev.quadrant.examples.bench.GptBenchmark --device cuda:0 --layers 6 --heads 6 --dim 384 --ctx 256 --batch 64 \
    --steps 200 --repeats 2 --cuda-graphs both --data "$TEXT" --script "$BUNDLE/bench/torch/gpt_char.py" \
    --python "$(command -v python3)"
}

convnet_benchmark() {   # Quadrant's lenet and resnet against PyTorch's, both on cuda:0, interleaved
  qmain dev.quadrant.examples.bench.ConvnetBenchmark --device cuda:0 --models 'lenet;resnet' --steps 200 \
    --warmup 20 --repeats 2 --script "$BUNDLE/bench/torch/convnet.py" --python "$(command -v python3)"
}

junit_gpu() {
  (cd "$QUADRANT_SOURCE" && mvn -B -Dtest.excludedGroups= -Dgroups=gpu ${MNIST:+-Dquadrant.datasets=$(dirname "$MNIST")} test)
}

# the steps run in a child bash (under timeout): it needs these
export -f qmain accuracy_at_least selftest_gpu mnist_cuda0 resnet_mnist cli_smoke junit_gpu val_loss_at_most gpt_shakespeare \
  gpt_benchmark convnet_benchmark
export Q LOG MNIST TEXT BUNDLE
export QUADRANT_SOURCE=${QUADRANT_SOURCE:-}

note "gpu-check $(date -u +%FT%TZ) on $(hostname); bundle $BUNDLE; MNIST ${MNIST:-not found}; logs in $LOG"
nvidia-smi > "$LOG/00-nvidia-smi.log" 2>&1 || true
GPUS=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
note "GPUs seen by nvidia-smi: ${GPUS:-0}"

# ---- issue 4 -----------------------------------------------------------------------------------------------------
run devices 300 "$Q" devices
run bundle-check 300 qmain dev.quadrant.bundle.BundleCheck
for p in fp32 tf32 bf16; do
  run "selftest-$p" 1200 selftest_gpu "$p"
done
if [ -n "$MNIST" ]; then
  run mnist-cuda0-3-epochs 1800 mnist_cuda0
  run resnet-mnist-cuda0 1800 resnet_mnist cuda:0
  run resnet-mnist-cuda0x4 1800 resnet_mnist cuda:0x4
else
  skip mnist-cuda0-3-epochs "no MNIST data (pass MNIST_DIR or QUADRANT_MNIST)"
fi
run gemm-benchmark 1800 qmain dev.quadrant.examples.bench.GemmGpuBenchmark

# ---- issue 5 -----------------------------------------------------------------------------------------------------
run nccl-every-gpu 900 qmain dev.quadrant.examples.gpu.GpuChecks nccl
run equivalence-sync-strategies 1800 qmain dev.quadrant.examples.gpu.GpuChecks equivalence
run killed-and-hung-replicas 900 qmain dev.quadrant.examples.gpu.GpuChecks kill
run no-host-sync 900 qmain dev.quadrant.examples.gpu.GpuChecks nosync
run cuda-graphs-exact 900 qmain dev.quadrant.examples.gpu.GpuChecks graphs
if [ -n "$MNIST" ]; then
  run async-mnist-cuda0x4 3600 qmain dev.quadrant.examples.gpu.GpuChecks async --mnist "$MNIST"
else
  skip async-mnist-cuda0x4 "no MNIST data (pass MNIST_DIR or QUADRANT_MNIST)"
fi
layouts="cuda:0x4"
[ "${GPUS:-0}" -ge 2 ] && layouts="$layouts cuda:0x2,1x2 cuda:all"
for devices in $layouts; do
  for strategy in allreduce ps hogwild gossip; do
    run "train-$strategy-${devices//[:,]/_}" 900 cli_smoke "$devices" "$strategy"
  done
done
run multi-replica-benchmark 1800 qmain dev.quadrant.examples.bench.MultiReplicaGpuBenchmark

# ---- issue 9 -----------------------------------------------------------------------------------------------------
if [ -n "$TEXT" ]; then
  run gpt-shakespeare-cuda0 1800 gpt_shakespeare cuda:0
  run gpt-shakespeare-cuda0x2 1800 gpt_shakespeare cuda:0x2
  if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    run gpt-benchmark-vs-pytorch 1800 gpt_benchmark
    run gpt-cuda-graphs-vs-eager-vs-pytorch 1800 gpt_graphs_benchmark
  else
    skip gpt-benchmark-vs-pytorch "python3 has no PyTorch with CUDA"
    skip gpt-cuda-graphs-vs-eager-vs-pytorch "python3 has no PyTorch with CUDA"
  fi
else
  skip gpt-shakespeare "no Tiny Shakespeare text (pass TEXT_FILE or QUADRANT_TEXT)"
fi

# ---- convnets ------------------------------------------------------------------------------------------------------
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  run convnet-benchmark-vs-pytorch 1800 convnet_benchmark
else
  skip convnet-benchmark-vs-pytorch "python3 has no PyTorch with CUDA"
fi

# ---- optional: the JUnit gpu suite from a source checkout -----------------------------------------------------------
if [ -n "$QUADRANT_SOURCE" ] && command -v mvn >/dev/null 2>&1; then
  run junit-gpu-suite 5400 junit_gpu
fi

note "gpu-check: $n checks, $failed failed, $skipped skipped"
[ $failed -eq 0 ] || exit 1
[ $skipped -eq 0 ] || exit 3
exit 0
