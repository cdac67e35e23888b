#!/usr/bin/python3
"""LeNet and small ResNets in plain PyTorch: the same-machine reference for Quadrant's `--model lenet` and
`--model resnet[:widths=16-32-64][,blocks=1][,norm=batch|batch-local|layer|none]`.

Two modes (run from the repository root; needs PyTorch and numpy, Debian: `apt-get install python3-torch`, and for a
fair speed `libopenblas0-openmp`, see gpt_char.py):

  --mode throughput   training steps (forward, mean cross-entropy, backward, Adam step) on random
                      [batch, 1, 28, 28] images with random labels of 10 classes, generated before the clock starts;
                      --warmup untimed steps, then --steps timed ones. ConvnetBenchmark runs this and Quadrant's same
                      steps, interleaved:
                          /usr/bin/python3 bench/torch/convnet.py --mode throughput --model lenet --steps 50
  --mode mnist        the accuracy recipe on real MNIST IDX files (--data DIR holding train-images-idx3-ubyte[.gz]
                      and the other three): pixels byte / 255 in [0, 1] as Quadrant's IdxReader makes them, no other
                      normalisation, no augmentation; Adam lr 1e-3 (betas 0.9,0.999, eps 1e-8, no weight decay),
                      batch 128 (the last batch of an epoch may be smaller), the training set shuffled each epoch,
                      --epochs 3; test accuracy on the 10000 test images after each epoch:
                          /usr/bin/python3 bench/torch/convnet.py --mode mnist --model lenet \
                              --data ../shared/datasets/mnist

The architectures (what Quadrant's LeNetSpec and ResNetSpec build; initialisation is PyTorch's default and does not
have to match):
  lenet     conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2, flatten, Linear 120, ReLU,
            Linear 84, ReLU, Linear 10. (Quadrant's images are channels-last [H, W, C] and flatten in that order;
            here they are [C, H, W]: the same network up to a permutation of fc120's inputs.)
  resnet    stem conv 3x3 pad 1 of widths[0] channels, norm, ReLU; per width a stage of `blocks` torchvision
            BasicBlocks (conv 3x3 stride s - norm - ReLU - conv 3x3 - norm, plus the shortcut, ReLU), the first block
            of every stage after the first with stride 2 and a projection shortcut (conv 1x1 stride 2 - norm), also
            whenever the width changes; global average pooling; Linear to 10. Convolutions have a bias only with
            norm=none. norm: batch and batch-local = BatchNorm2d (eps 1e-5, momentum 0.1; one process, so the two are
            the same here), layer = LayerNorm over the channels of each position (Quadrant's norm=layer), none =
            identity.

Output: progress lines, then one JSON line (the last line of stdout):
  throughput: {"mode", "model", "images_per_second" (steps * batch / timed seconds), "seconds", "seconds_per_step",
               "batch", "steps", "warmup", "threads", "device", "params", "final_loss", "torch", "blas"}
  mnist:      {"mode", "model", "test_accuracy" (a list, one per epoch), "final_test_accuracy", "train_seconds",
               "params", "epochs", "batch", "lr", "threads", "seed", "torch", "blas"}
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = 10


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--mode", choices=["throughput", "mnist"], default="throughput")
    p.add_argument("--model", default="lenet", help="lenet | resnet[:widths=16-32-64][,blocks=1][,norm=...]")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--warmup", type=int, default=20, help="throughput: untimed steps first")
    p.add_argument("--steps", type=int, default=50, help="throughput: timed steps")
    p.add_argument("--epochs", type=int, default=3, help="mnist: passes over the training set")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", default="../shared/datasets/mnist", help="mnist: directory of the four IDX files")
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N] (timings synchronise)")
    a = p.parse_args(argv)
    if min(a.batch, a.threads, a.steps, a.epochs) < 1 or a.warmup < 0:
        p.error("batch, threads, steps and epochs must be >= 1, warmup >= 0")
    return a


def blas_library():
    """Path of the libblas.so.3 this process loaded (see gpt_char.py: the netlib one is ~25x slower)."""
    try:
        with open("/proc/self/maps") as f:
            paths = [line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]]
    except OSError:
        return "unknown"
    first = [x for x in paths if x.rsplit("/", 1)[-1].startswith("libblas")]
    return (first or paths or ["unknown"])[0]


# --------------------------------------------------------------------------------------------------------- models

class LeNet(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(),   # 28x28 inputs: [16, 5, 5] here
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, CLASSES))

    def forward(self, x):
        return self.layers(x)


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channels of each position of [N, C, H, W] (Quadrant's norm=layer on [H, W, C])."""

    def __init__(self, channels):
        super().__init__()
        self.ln = nn.LayerNorm(channels, eps=1e-5)

    def forward(self, x):
        return self.ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def make_norm(kind, channels):
    if kind in ("batch", "batch-local"):
        return nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1)
    if kind == "layer":
        return ChannelLayerNorm(channels)
    return nn.Identity()


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, norm):
        super().__init__()
        bias = norm == "none"
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=bias)
        self.bn1 = make_norm(norm, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=bias)
        self.bn2 = make_norm(norm, cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=bias), make_norm(norm, cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    def __init__(self, channels, widths, blocks, norm):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, widths[0], 3, padding=1, bias=norm == "none")
        self.bn1 = make_norm(norm, widths[0])
        stages = []
        width = widths[0]
        for s, w in enumerate(widths):
            stage = []
            for b in range(blocks):
                stage.append(BasicBlock(width, w, 2 if s > 0 and b == 0 else 1, norm))
                width = w
            stages.append(nn.Sequential(*stage))
        self.layers = nn.Sequential(*stages)
        self.fc = nn.Linear(width, CLASSES)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(x.mean(dim=(2, 3)))


def parse_model(spec):
    """The model of a Quadrant --model text (lenet or resnet:...); errors name the text."""
    kind, _, body = spec.partition(":")
    if kind == "lenet" and not body:
        return lambda: LeNet(1)
    if kind != "resnet":
        sys.exit(f"--model '{spec}': expected lenet or resnet[:widths=16-32-64][,blocks=1][,norm=batch|...]")
    opts = {"widths": "16-32-64", "blocks": "1", "norm": "batch"}
    for part in filter(None, body.split(",")):
        k, eq, v = part.partition("=")
        if not eq or k not in opts:
            sys.exit(f"--model '{spec}': '{part}' is not key=value with a key of {sorted(opts)}")
        opts[k] = v
    widths = [int(w) for w in opts["widths"].split("-")]
    blocks = int(opts["blocks"])
    if opts["norm"] not in ("batch", "batch-local", "layer", "none"):
        sys.exit(f"--model '{spec}': norm={opts['norm']} is not one of batch, batch-local, layer, none")
    return lambda: ResNet(1, widths, blocks, opts["norm"])


def build(a):
    return parse_model(a.model)().to(a.device)


def synchronize(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


# ----------------------------------------------------------------------------------------------------- throughput

def throughput(a):
    gen = torch.Generator().manual_seed(a.seed)
    x = torch.rand(a.batch, 1, 28, 28, generator=gen).to(a.device)
    y = torch.randint(0, CLASSES, (a.batch,), generator=gen).to(a.device)
    model = build(a)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    params = sum(p.numel() for p in model.parameters())
    print(f"convnet throughput: {a.model} ({params:,} parameters), batch {a.batch}, {a.warmup} + {a.steps} steps, "
          f"{a.threads} threads, device {a.device}, torch {torch.__version__}, BLAS {blas_library()}", flush=True)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(a.warmup):
        step()
    synchronize(a.device)
    t0 = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    final = loss.item()   # waits for the last step
    synchronize(a.device)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "mode": "throughput", "model": a.model, "images_per_second": a.steps * a.batch / seconds,
        "seconds": seconds, "seconds_per_step": seconds / a.steps, "batch": a.batch, "steps": a.steps,
        "warmup": a.warmup, "threads": a.threads, "device": a.device, "params": params, "final_loss": final,
        "torch": torch.__version__, "blas": blas_library()}))


# ---------------------------------------------------------------------------------------------------------- mnist

def read_idx(directory, stem):
    """The array of an IDX file (raw preferred over .gz, as Quadrant's IdxReader does)."""
    path = os.path.join(directory, stem)
    opener = open
    if not os.path.exists(path):
        path += ".gz"
        opener = gzip.open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file (magic {data[:4].hex()})")
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(directory, prefix):
    images = read_idx(directory, f"{prefix}-images-idx3-ubyte").astype(np.float32) / 255.0   # [N, 28, 28] in [0, 1]
    labels = read_idx(directory, f"{prefix}-labels-idx1-ubyte").astype(np.int64)              # [N]
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)                      # [N, 1, 28, 28]


def accuracy(model, x, y, device, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch].to(device)).argmax(1) == y[i:i + batch].to(device)).sum().item()
    model.train()
    return correct / len(x)


def mnist(a):
    torch.manual_seed(a.seed)
    train_x, train_y = load_mnist(a.data, "train")
    test_x, test_y = load_mnist(a.data, "t10k")
    model = build(a)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    params = sum(p.numel() for p in model.parameters())
    print(f"convnet mnist: {a.model} ({params:,} parameters), {len(train_x)} + {len(test_x)} images from {a.data}, "
          f"{a.epochs} epochs, Adam lr {a.lr}, batch {a.batch}, {a.threads} threads, device {a.device}, "
          f"torch {torch.__version__}", flush=True)
    accuracies = []
    train_seconds = 0.0
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(train_x))
        total = 0.0
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            loss = F.cross_entropy(model(train_x[idx].to(a.device)), train_y[idx].to(a.device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        train_seconds += time.perf_counter() - t0
        accuracies.append(accuracy(model, test_x, test_y, a.device))
        print(f"epoch {epoch + 1}: train loss {total / len(order):.4f}, test accuracy {accuracies[-1]:.4f}, "
              f"{train_seconds:.0f} s of training", flush=True)
    print(json.dumps({
        "mode": "mnist", "model": a.model, "test_accuracy": accuracies, "final_test_accuracy": accuracies[-1],
        "train_seconds": train_seconds, "params": params, "epochs": a.epochs, "batch": a.batch, "lr": a.lr,
        "threads": a.threads, "seed": a.seed, "torch": torch.__version__, "blas": blas_library()}))


def main(argv):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.mode == "throughput":
        throughput(a)
    else:
        mnist(a)


if __name__ == "__main__":
    main(sys.argv[1:])
