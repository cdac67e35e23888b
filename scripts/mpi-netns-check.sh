#!/usr/bin/env bash
# mpi-netns-check.sh -- issue 15, must-show 2: two "hosts" on this machine, as two network namespaces joined by a
# veth pair (10.77.0.1 and 10.77.0.2, nothing else reachable), one Quadrant process in each, launched by one mpirun
# the way it launches on two real hosts (-H hostA:1,hostB:1; its rsh agent, normally ssh, is here `ip netns exec`).
# Trains MNIST in the two namespaces (cpu:1 each) and in one process (cpu:2) with the same options and compares the
# saved parameters (CompareParameters, 1e-5 of the largest) and the test accuracies. Needs root, iproute2, Open MPI,
# `mvn -q -DskipTests package` (bin/quadrant). Removes the namespaces it made, also on failure.
#
#   scripts/mpi-netns-check.sh [MNIST_DIR] [LOGDIR]     (extra train options: QUADRANT_NETNS_ARGS, e.g. "--epochs 3")
#
# QUADRANT_CMD and QUADRANT_EXAMPLE_CMD replace bin/quadrant and bin/quadrant-example (MpiNetnsTest runs the test
# class path through them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quadrant="${QUADRANT_CMD:-$root/bin/quadrant}"
example="${QUADRANT_EXAMPLE_CMD:-$root/bin/quadrant-example}"
mnist="${1:-}"
if [ -z "$mnist" ]; then
  for d in "$root/../shared/datasets/mnist" /work/shared/datasets/mnist; do [ -d "$d" ] && mnist="$d" && break; done
fi
[ -n "$mnist" ] && [ -d "$mnist" ] || { echo "mpi-netns-check: no MNIST directory (pass it as the first argument)" >&2; exit 2; }
mnist="$(cd "$mnist" && pwd)"
logdir="${2:-$(mktemp -d /tmp/mpi-netns-XXXXXX)}"
mkdir -p "$logdir"
logdir="$(cd "$logdir" && pwd)"
args=(train --data "idx:$mnist" --model mlp:128 --batch 64 --optimizer adam --lr 1e-3 --seed 7 --threads 1
      ${QUADRANT_NETNS_ARGS:---epochs 1})
a=qnetA$$ b=qnetB$$
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$a"
ip netns add "$b"
ip link add "va$$" type veth peer name "vb$$"
ip link set "va$$" netns "$a"
ip link set "vb$$" netns "$b"
ip -n "$a" addr add 10.77.0.1/24 dev "va$$"
ip -n "$b" addr add 10.77.0.2/24 dev "vb$$"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "va$$" up
ip -n "$b" link set "vb$$" up
echo "mpi-netns-check: hosts 10.77.0.1 (namespace $a) and 10.77.0.2 (namespace $b), joined by a veth pair"

# mpirun's remote launcher: called as AGENT HOST COMMAND...; HOST 10.77.0.2 is namespace b
agent="$logdir/netns-agent.sh"
cat >"$agent" <<AGENT
#!/bin/sh
host="\$1"; shift
case "\$host" in 10.77.0.2) ns=$b ;; 10.77.0.1) ns=$a ;; *) echo "netns-agent: unknown host \$host" >&2; exit 1 ;; esac
echo "netns-agent: host \$host is namespace \$ns: \$1" >> "$logdir/agent.log"
exec ip netns exec "\$ns" /bin/sh -c "\$*"
AGENT
chmod +x "$agent"

as_root=()
[ "$(id -u)" = 0 ] && as_root=(--allow-run-as-root)
cd "$logdir"
"$quadrant" "${args[@]}" --devices cpu:2 --save one.safetensors --metrics one.jsonl >one.log 2>&1
ip netns exec "$a" mpirun "${as_root[@]}" -H 10.77.0.1:1,10.77.0.2:1 -np 2 \
  --mca plm_rsh_agent "$agent" --mca btl self,tcp \
  --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
  -x PATH -wdir "$logdir" \
  "$quadrant" "${args[@]}" --devices cpu:1 --save two.safetensors --metrics two.jsonl --verbose \
  >two.log 2>&1 || { echo "mpi-netns-check: the two-namespace job failed:"; tail -30 two.log; exit 1; }
grep -h "job: rank" two.log || true
cut -c1-100 "$logdir/agent.log"
acc() { sed -n 's/.*"test_accuracy":\([0-9.]*\).*/\1/p' "$1" | tail -1; }
echo "one process (cpu:2): test_accuracy $(acc one.jsonl); two namespaces (cpu:1 each): test_accuracy $(acc two.jsonl)"
ip -n "$a" -s link show "va$$" | awk 'NR == 4 { rx = $1 } NR == 6 { tx = $1 } END { print "veth of 10.77.0.1: " rx " bytes in, " tx " bytes out" }'
"$example" CompareParameters one.safetensors two.safetensors | tail -1
[ "$(acc one.jsonl)" = "$(acc two.jsonl)" ] || { echo "mpi-netns-check: the accuracies differ"; exit 1; }
echo "mpi-netns-check: ok (logs in $logdir)"
