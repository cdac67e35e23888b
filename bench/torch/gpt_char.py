#!/usr/bin/python3
"""Character-level GPT in plain PyTorch: the same-machine reference for Quadrant's `--model gpt:...`.

Defaults are the configuration of the Quadrant run
    bin/quadrant train --data text:../shared/datasets/tinyshakespeare/input.txt \
        --model gpt:layers=4,heads=4,dim=128,ctx=64,dropout=0 --batch 12 --steps 2000 --optimizer adamw \
        --lr 1e-3 --betas 0.9,0.99 --weight-decay 0.1 --schedule cosine:100:1e-4 --clip-norm 1 --seed 1337
so `/usr/bin/python3 bench/torch/gpt_char.py` (from the repository root) is its PyTorch twin. Needs PyTorch
(Debian: `apt-get install python3-torch`) and, for a fair speed, OpenBLAS behind it: Debian's torch calls
whatever libblas.so.3 points to, which is the netlib reference BLAS (~25x slower GEMMs) unless
`apt-get install libopenblas0-openmp` (follows torch.set_num_threads) switches it. The start line and the JSON say
which BLAS was loaded. On a loaded shared host, OpenMP's default spin-waiting made steps 5-15x slower here than
OMP_WAIT_POLICY=PASSIVE (threads sleep when idle); GptBenchmark sets PASSIVE for this reason.

What a Java implementation must match (everything else, e.g. the random numbers, is free to differ):
  data      vocabulary = sorted distinct characters of the file (by code point); token id = index in it.
            The first floor(0.9 * n) characters are the training split, the rest validation.
  batch     B windows of ctx+1 characters; inputs are chars [i, i+ctx), targets [i+1, i+ctx].
            Training windows start at uniform random i in [0, n_split - ctx - 1] (seeded).
  model     GPT-2 pre-LayerNorm: x = wte[idx] + wpe[0..T); per block
                x = x + attn.c_proj(attention(ln_1(x)));  x = x + mlp.c_proj(gelu_tanh(mlp.c_fc(ln_2(x))))
            then ln_f and logits = x @ wte^T (head tied to the token embedding, no bias).
            LayerNorm: eps 1e-5, weight and bias, biased variance. Linear weights are [out, in], y = x W^T + b.
            attn.c_attn is one Linear(D, 3D): output columns [0, D) are q, [D, 2D) k, [2D, 3D) v; head h takes
            columns [h*D/H, (h+1)*D/H) of each. Scores q k^T / sqrt(D/H), causal mask (key <= query), softmax.
            GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  init      normal(0, 0.02) for every Linear and Embedding weight, zero biases, LayerNorm weight 1 bias 0;
            attn.c_proj.weight and mlp.c_proj.weight: normal(0, 0.02 / sqrt(2 * layers)).
  loss      mean cross-entropy over all B*T positions (natural log, nats per character).
  optimizer AdamW (PyTorch's): eps 1e-8, bias-corrected moments, decoupled decay p -= lr * wd * p applied
            before the Adam update, only on parameters with >= 2 dimensions (wte, wpe, every Linear weight);
            no decay on biases and LayerNorm parameters.
  clipping  the global L2 norm of all gradients (wte counted once), scaled by clip / (norm + 1e-6) if norm > clip.
  schedule  for optimizer step s = 0 .. S-1 (S = --steps, W = --warmup):
                s <  W:  lr_s = lr * (s + 1) / W
                s >= W:  p = (s - W) / max(1, S - 1 - W);  lr_s = min_lr + 0.5 (lr - min_lr) (1 + cos(pi p))
            so step W-1 and step W both use lr and the last step uses min_lr.
  eval      validation loss = mean loss over all positions of fixed windows of the validation split, in batches
            of B (the last one may be smaller):
              --eval-batches 0 (default): every target once, windows starting at k * ctx for
                                          k = 0 .. (n_val - 1) // ctx - 1 (all but the last (n_val - 1) % ctx targets);
              --eval-batches N > 0:       K = N * B windows starting at k * (n_val - ctx - 1) // (K - 1).
            train_loss in the final JSON is the second kind with --train-eval-batches (default 20) batches on the
            training split (deterministic, unlike the per-step losses). A 20-batch validation sample is noisy: on the
            full 2000-step run it read 1.868 where the whole split gives 1.889, for the same trained model.

Output: progress lines, then one JSON line (the last line of stdout)
    {"val_loss", "train_loss", "recent_train_loss" (mean step loss of the last --log-every steps),
     "tokens_per_second" (timed steps * B * ctx / their seconds; evaluation excluded; the timed steps are those
     after the first --timed-after, default 0: all), "seconds", "seconds_per_step",
     "params", ...}

Gradient dump (`--dump FILE`): builds the model (in float64) from the flags given, e.g.
    /usr/bin/python3 bench/torch/gpt_char.py --dump gpt-tiny.safetensors --layers 1 --heads 2 --dim 8 --ctx 5 \
        --batch 2 --seed 1
draws one training batch, runs forward and backward once and one clipped AdamW step at lr_0 (the schedule's step-0
rate), writes FILE and exits. FILE is safetensors (8-byte little-endian header length, JSON header, raw
little-endian data; written here without the safetensors package) holding
    param.NAME   F64   initial parameters (NAME as in the model: wte.weight, wpe.weight, h.0.ln_1.weight, ...,
                       h.0.attn.c_attn.weight [3D, D], ..., ln_f.weight, ln_f.bias; the head is wte.weight)
    grad.NAME    F64   d loss / d parameter at the initial parameters (wte.weight: embedding + head parts summed)
    after.NAME   F64   parameters after the one clipped AdamW step
    x, y         I32   [B, ctx] input and target token ids of the batch
    logits       F64   [B, ctx, V]
    loss         F64   [] mean cross-entropy
    grad_norm    F64   [] global gradient L2 norm before clipping
and __metadata__ with "config" (JSON of every flag), "vocab" (the vocabulary string) and "lr0".
"""
import argparse
import json
import math
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", default="../shared/datasets/tinyshakespeare/input.txt", help="text file")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--ctx", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.0,
                   help="after the embeddings, on attention weights and on both residual branches")
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--betas", default="0.9,0.99", help="beta1,beta2")
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--clip", type=float, default=1.0, help="global gradient norm; 0 = off")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N]: where the model trains (timings synchronise)")
    p.add_argument("--eval-batches", type=int, default=0,
                   help="validation batches of B evenly spaced windows; 0 = the whole split in windows of ctx")
    p.add_argument("--train-eval-batches", type=int, default=20,
                   help="batches of B evenly spaced training windows of the final train_loss")
    p.add_argument("--eval-every", type=int, default=0, help="also evaluate every N steps; 0 = only at the end")
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--timed-after", type=int, default=0,
                   help="tokens_per_second and seconds count the steps after the first N only (a warm-up)")
    p.add_argument("--dump", metavar="FILE", help="write the tiny-config forward/backward dump (see above) and exit")
    a = p.parse_args(argv)
    a.betas = tuple(float(b) for b in a.betas.split(","))
    if len(a.betas) != 2:
        p.error("--betas needs two numbers, e.g. 0.9,0.99")
    if a.dim % a.heads != 0:
        p.error(f"--dim {a.dim} is not a multiple of --heads {a.heads}")
    if min(a.layers, a.heads, a.dim, a.ctx, a.batch, a.steps, a.threads, a.train_eval_batches, a.log_every) < 1:
        p.error("layers, heads, dim, ctx, batch, steps, threads, train-eval-batches and log-every must be >= 1")
    if a.eval_batches < 0 or a.eval_every < 0 or a.warmup < 0:
        p.error("eval-batches, eval-every and warmup must be >= 0")
    if not 0 <= a.timed_after < a.steps:
        p.error("--timed-after must be >= 0 and below --steps")
    return a


def blas_library():
    """Path of the libblas.so.3 this process loaded: Debian's torch takes sgemm_ from it (liblapack.so.3 may pull in
    OpenBLAS as well, so the first libblas is the one that counts)."""
    try:
        with open("/proc/self/maps") as f:
            paths = [line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]]
    except OSError:
        return "unknown"
    first = [x for x in paths if x.rsplit("/", 1)[-1].startswith("libblas")]
    return (first or paths or ["unknown"])[0]


def is_reference_blas(path):
    """True for Debian's netlib reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3): ~25x slower GEMM."""
    return "/blas/libblas" in path


# ---------------------------------------------------------------------------------------------------------- data

def load_text(path):
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_train = int(0.9 * len(ids))
    return "".join(vocab), ids[:n_train], ids[n_train:]


def windows(split, starts, ctx):
    """[len(starts), ctx] inputs and targets of the windows starting at `starts`."""
    offsets = torch.arange(ctx + 1)
    w = split[starts[:, None] + offsets[None, :]]
    return w[:, :-1], w[:, 1:]


def random_batch(split, batch, ctx, gen):
    return windows(split, torch.randint(0, len(split) - ctx, (batch,), generator=gen), ctx)


def eval_starts(split, count, ctx):
    """count > 0: evenly spaced starts k * (n - ctx - 1) // (count - 1), k = 0 .. count-1; count = 0: k * ctx, every
    target of the split once (k = 0 .. (n - 1) // ctx - 1)."""
    if count == 0:
        return torch.arange((len(split) - 1) // ctx) * ctx
    last = len(split) - ctx - 1
    if count == 1:
        return torch.zeros(1, dtype=torch.long)
    return torch.tensor([k * last // (count - 1) for k in range(count)], dtype=torch.long)


# --------------------------------------------------------------------------------------------------------- model

class CausalSelfAttention(nn.Module):
    def __init__(self, dim, heads, ctx, dropout):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(dim, 3 * dim)  # weight [3D, D]: rows q | k | v
        self.c_proj = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(dropout)
        self.resid_drop = nn.Dropout(dropout)
        self.register_buffer("mask", torch.tril(torch.ones(ctx, ctx, dtype=torch.bool)), persistent=False)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.c_attn(x).split(d, dim=2)
        q = q.view(b, t, self.heads, hd).transpose(1, 2)  # [B, H, T, hd]
        k = k.view(b, t, self.heads, hd).transpose(1, 2)
        v = v.view(b, t, self.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))  # [B, H, T, T]
        att = att.masked_fill(~self.mask[:t, :t], float("-inf"))
        att = self.attn_drop(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, d)
        return self.resid_drop(self.c_proj(y))


class Mlp(nn.Module):
    def __init__(self, dim, dropout):
        super().__init__()
        self.c_fc = nn.Linear(dim, 4 * dim)
        self.c_proj = nn.Linear(4 * dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class Block(nn.Module):
    def __init__(self, dim, heads, ctx, dropout):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = CausalSelfAttention(dim, heads, ctx, dropout)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = Mlp(dim, dropout)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, vocab, layers, heads, dim, ctx, dropout):
        super().__init__()
        self.ctx = ctx
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(ctx, dim)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList([Block(dim, heads, ctx, dropout) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim, eps=1e-5)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * layers))

    def forward(self, idx):
        t = idx.shape[1]
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(t, device=idx.device)))
        for block in self.h:
            x = block(x)
        return F.linear(self.ln_f(x), self.wte.weight)  # [B, T, V], tied head, no bias


def loss_of(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def make_optimizer(model, a):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=a.lr, betas=a.betas, eps=1e-8)


def lr_at(step, a):
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    p = (step - a.warmup) / max(1, a.steps - 1 - a.warmup)
    return a.min_lr + 0.5 * (a.lr - a.min_lr) * (1.0 + math.cos(math.pi * min(1.0, p)))


@torch.no_grad()
def estimate_loss(model, split, batches, a):
    model.eval()
    starts = eval_starts(split, batches * a.batch, a.ctx)
    total = 0.0
    for chunk in starts.split(a.batch):
        x, y = windows(split, chunk, a.ctx)
        x, y = x.to(a.device), y.to(a.device)
        total += loss_of(model(x), y).item() * len(chunk)
    model.train()
    return total / len(starts)


# ------------------------------------------------------------------------------------------------------ training

def train(a):
    torch.manual_seed(a.seed)
    vocab, train_ids, val_ids = load_text(a.data)
    model = Gpt(len(vocab), a.layers, a.heads, a.dim, a.ctx, a.dropout).to(a.device)
    params = sum(p.numel() for p in model.parameters())
    opt = make_optimizer(model, a)
    gen = torch.Generator().manual_seed(a.seed)
    tokens_per_step = a.batch * a.ctx
    print(f"gpt layers={a.layers} heads={a.heads} dim={a.dim} ctx={a.ctx} vocab={len(vocab)} params={params}; "
          f"train {len(train_ids)} val {len(val_ids)} chars; batch {a.batch}, {a.steps} steps, "
          f"{a.threads} threads, device {a.device}, torch {torch.__version__}, BLAS {blas_library()}", flush=True)
    if is_reference_blas(blas_library()):
        print("warning: PyTorch is running on the netlib reference BLAS, ~25x slower GEMMs than OpenBLAS; for a fair "
              "reference: apt-get install libopenblas0-openmp", file=sys.stderr, flush=True)

    train_seconds = 0.0
    recent = []
    for step in range(a.steps):
        t0 = time.perf_counter()
        lr = lr_at(step, a)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = random_batch(train_ids, a.batch, a.ctx, gen)
        x, y = x.to(a.device), y.to(a.device)
        loss = loss_of(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        step_loss = loss.item()   # waits for the step (a GPU synchronises here)
        if step >= a.timed_after:
            train_seconds += time.perf_counter() - t0

        recent.append(step_loss)
        recent = recent[-a.log_every:]
        done = step + 1
        if done % a.log_every == 0 or done == a.steps:
            print(f"step {done}/{a.steps} loss {sum(recent) / len(recent):.4f} lr {lr:.3e} "
                  f"{max(1, done - a.timed_after) * tokens_per_step / max(train_seconds, 1e-9):.0f} tok/s "
                  f"{1e3 * train_seconds / max(1, done - a.timed_after):.1f} ms/step", flush=True)
        if a.eval_every > 0 and done % a.eval_every == 0 and done != a.steps:
            print(f"step {done} val_loss {estimate_loss(model, val_ids, a.eval_batches, a):.4f}", flush=True)

    val_loss = estimate_loss(model, val_ids, a.eval_batches, a)
    train_loss = estimate_loss(model, train_ids, a.train_eval_batches, a)
    print(f"step {a.steps} val_loss {val_loss:.4f} train_loss {train_loss:.4f}", flush=True)
    print(json.dumps({
        "val_loss": val_loss,
        "train_loss": train_loss,
        "recent_train_loss": sum(recent) / len(recent),
        "tokens_per_second": (a.steps - a.timed_after) * tokens_per_step / train_seconds,
        "seconds": train_seconds,
        "seconds_per_step": train_seconds / (a.steps - a.timed_after),
        "timed_after": a.timed_after,
        "params": params,
        "val_windows": len(eval_starts(val_ids, a.eval_batches * a.batch, a.ctx)),
        "steps": a.steps,
        "threads": a.threads,
        "torch": torch.__version__,
        "blas": blas_library(),
    }), flush=True)


# ---------------------------------------------------------------------------------------------------------- dump

def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float64: "F64", torch.int32: "I32"}[t.dtype]
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def dump(a):
    torch.manual_seed(a.seed)
    vocab, train_ids, _ = load_text(a.data)
    model = Gpt(len(vocab), a.layers, a.heads, a.dim, a.ctx, a.dropout).double()
    gen = torch.Generator().manual_seed(a.seed)
    x, y = random_batch(train_ids, a.batch, a.ctx, gen)
    out = {"param." + n: p.detach().clone() for n, p in model.named_parameters()}
    logits = model(x)
    loss = loss_of(logits, y)
    loss.backward()
    grad_norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
    out.update({"grad." + n: p.grad.detach().clone() for n, p in model.named_parameters()})
    opt = make_optimizer(model, a)
    lr0 = lr_at(0, a)
    for g in opt.param_groups:
        g["lr"] = lr0
    if a.clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
    opt.step()
    out.update({"after." + n: p.detach().clone() for n, p in model.named_parameters()})
    out.update({"x": x.to(torch.int32), "y": y.to(torch.int32), "logits": logits.detach(),
                "loss": loss.detach(), "grad_norm": grad_norm.detach()})
    config = {k: v for k, v in vars(a).items() if k != "dump"}
    write_safetensors(a.dump, out, {"config": json.dumps(config), "vocab": vocab, "lr0": repr(lr0),
                                    "torch": torch.__version__})
    print(f"wrote {a.dump}: {len(out)} tensors, vocab {len(vocab)}, loss {loss.item():.6f}, "
          f"grad_norm {grad_norm.item():.6f}")


def main(argv):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.dump:
        dump(a)
    else:
        train(a)


if __name__ == "__main__":
    main(sys.argv[1:])
