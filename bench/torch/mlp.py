#!/usr/bin/python3
"""The MLP workloads of Quadrant's CPU throughput goals in plain PyTorch: the same-machine reference for
`quadrant train --model mlp:1024-1024 --optimizer momentum --lr 0.01` (W1: batch 256, W2: batch 64).

Training steps (forward, mean softmax cross-entropy, backward, SGD with momentum 0.9, no dampening, no weight
decay) of an MLP 784-1024-1024-10 with ReLU on random features (uniform [0, 1)) and random labels of 10 classes,
generated before the clock starts; --warmup untimed steps, then --steps timed ones, each step on the next batch of a
pool of --pool-batches batches (as Quadrant's trainer gathers each step's rows from a data set). CpuThroughputBenchmark
runs this and Quadrant's same steps, interleaved:

    /usr/bin/python3 bench/torch/mlp.py --batch 256 --steps 200 --threads 2

Needs PyTorch (Debian: `apt-get install python3-torch`, and `libopenblas0-openmp` for a fair GEMM speed; see
gpt_char.py). Output: progress on stderr, then one JSON line (the last line of stdout):
  {"model", "samples_per_second" (steps * batch / timed seconds), "seconds", "seconds_per_step", "batch", "steps",
   "warmup", "threads", "params", "final_loss", "torch", "blas"}
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from gpt_char import blas_library, is_reference_blas   # the same BLAS check as the GPT reference


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--features", type=int, default=784)
    p.add_argument("--hidden", default="1024-1024", help="hidden widths, dash-separated")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--warmup", type=int, default=30, help="untimed steps first")
    p.add_argument("--steps", type=int, default=200, help="timed steps")
    p.add_argument("--pool-batches", type=int, default=16, help="distinct batches the steps go round")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    if min(a.batch, a.threads, a.steps, a.pool_batches, a.features, a.classes) < 1 or a.warmup < 0:
        p.error("batch, threads, steps, pool-batches, features and classes must be >= 1, warmup >= 0")
    try:
        a.widths = [int(w) for w in a.hidden.split("-")]
    except ValueError:
        p.error("--hidden: expected widths such as 1024-1024, got " + a.hidden)
    return a


def main(argv):
    a = parse_args(argv)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    layers = []
    width = a.features
    for w in a.widths:
        layers += [nn.Linear(width, w), nn.ReLU()]
        width = w
    layers.append(nn.Linear(width, a.classes))
    model = nn.Sequential(*layers)
    if is_reference_blas(blas_library()):
        print("warning: PyTorch is running on the netlib reference BLAS, ~25x slower GEMMs than OpenBLAS; for a fair "
              "reference: apt-get install libopenblas0-openmp", file=sys.stderr, flush=True)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
    g = torch.Generator().manual_seed(a.seed)
    xs = torch.rand(a.pool_batches, a.batch, a.features, generator=g)
    ys = torch.randint(0, a.classes, (a.pool_batches, a.batch), generator=g)

    def step(i):
        x, y = xs[i % a.pool_batches], ys[i % a.pool_batches]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for i in range(a.warmup):
        step(i)
    start = time.perf_counter()
    loss = None
    for i in range(a.steps):
        loss = step(a.warmup + i)
    seconds = time.perf_counter() - start
    final = float(loss.item())
    print("mlp %s batch %d: %.1f samples/s" % (a.hidden, a.batch, a.steps * a.batch / seconds), file=sys.stderr)
    print(json.dumps({
        "model": "mlp:" + a.hidden, "samples_per_second": a.steps * a.batch / seconds, "seconds": seconds,
        "seconds_per_step": seconds / a.steps, "batch": a.batch, "steps": a.steps, "warmup": a.warmup,
        "threads": a.threads, "params": sum(p.numel() for p in model.parameters()), "final_loss": final,
        "torch": torch.__version__, "blas": blas_library()}))


if __name__ == "__main__":
    main(sys.argv[1:])
