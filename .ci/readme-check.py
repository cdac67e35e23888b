#!/usr/bin/env python3
"""Runs the README's shell commands in the order printed, on a fresh clone, and fails if any fails.

Usage: .ci/readme-check.py [--repo DIR] [--keep] [--only SECTION-SUBSTRING]

Every ```bash block of README.md is run, command by command (a command is a line, with its `\\` continuations),
through `bash -e -o pipefail` in a fresh `git clone` of the repository (the committed state, as a new user gets it).
A ```yaml block whose first line is `# PATH` is written to PATH first, as the README asks the reader to.
The data sets are small copies: `../shared/datasets` beside the clone holds MNIST-format and Fashion-MNIST-format
files of 2,000 training and 500 test images (the first ones of the real files when they are present beside this
repository, random ones otherwise) and the first 60,000 characters of Tiny Shakespeare; so an `--epochs 3` command
runs in seconds and runs as written.

An HTML comment just before a block changes how the block is run; the README shows these comments only in its
source. `<!-- readme-check: ... -->` takes one of:
  append ARGS            append ARGS to every `bin/quadrant train` command of the block (e.g. `--steps 20`)
  skip REASON            do not run the block (the reason is printed)
  needs-gpu              without an NVIDIA GPU, each command must fail cleanly: exit status 2 and one `quadrant:`
                         error line, no stack trace
  needs-torch            run only where `/usr/bin/python3 -c 'import torch'` works; else skipped (and said so)
Several may be given, separated by `;`.
"""
import argparse
import gzip
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 900


def blocks(readme):
    """(kind, directives, lines, line number, heading) for each fenced block, in order."""
    out = []
    lines = readme.split("\n")
    i = 0
    pending = []
    heading = "(top)"
    while i < len(lines):
        line = lines[i]
        h = re.match(r"#+ (.*)$", line)
        if h:
            heading = h.group(1).strip()
        m = re.match(r"\s*<!--\s*readme-check:(.*?)-->\s*$", line)
        if m:
            pending = [d.strip() for d in m.group(1).split(";") if d.strip()]
            i += 1
            continue
        m = re.match(r"(\s*)```(\w*)\s*$", line)
        if m:
            indent, kind = m.group(1), m.group(2)
            start = i + 1
            body = []
            i += 1
            while i < len(lines) and not re.match(r"\s*```\s*$", lines[i]):
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
                i += 1
            out.append((kind, pending, body, start, heading))
            pending = []
        elif line.strip():
            pending = [] if not line.lstrip().startswith("<!--") else pending
        i += 1
    return out


def commands(body):
    """The block's commands: continuation lines joined, comment-only and blank lines dropped."""
    out = []
    cur = ""
    for line in body:
        if cur:
            cur += "\n" + line
        else:
            cur = line
        if line.rstrip().endswith("\\"):
            continue
        if cur.strip() and not cur.lstrip().startswith("#"):
            out.append(cur)
        cur = ""
    if cur.strip():
        out.append(cur)
    return out


def append_to_train(cmd, args):
    """`args` after the options of a `bin/quadrant train` command (before a trailing comment or redirection)."""
    if not re.search(r"\bbin/quadrant train\b", cmd):
        return cmd
    m = re.search(r"(\s+#[^\n]*|\s*>[^\n]*)$", cmd)
    if m:
        return cmd[:m.start()] + " " + args + cmd[m.start():]
    return cmd + " " + args


def write_idx(path, magic_dims, data):
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(struct.pack(">I", 0x0800 | len(magic_dims)))
        for d in magic_dims:
            f.write(struct.pack(">I", d))
        f.write(data)


def idx_subset(src, count):
    """The header dims and the first `count` records of an IDX file (gzipped or not)."""
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        ndim = magic & 0xFF
        dims = [struct.unpack(">I", f.read(4))[0] for _ in range(ndim)]
        per = 1
        for d in dims[1:]:
            per *= d
        n = min(count, dims[0])
        return [n] + dims[1:], f.read(n * per)


def small_datasets(target, real):
    """MNIST-format sets of 2,000 + 500 images and a short Tiny Shakespeare under `target`."""
    rng = random.Random(1)
    names = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 2000),
             "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 500)}
    for ds in ("mnist", "fashion-mnist"):
        os.makedirs(os.path.join(target, ds), exist_ok=True)
        for images, labels, n in names.values():
            srcs = [os.path.join(real, ds, f) for f in (images, labels)] if real else []
            found = [s if os.path.exists(s) else (s[:-3] if os.path.exists(s[:-3]) else None) for s in srcs]
            if srcs and all(found):
                dims, data = idx_subset(found[0], n)
                write_idx(os.path.join(target, ds, images), dims, data)
                dims, data = idx_subset(found[1], n)
                write_idx(os.path.join(target, ds, labels), dims, data)
            else:
                write_idx(os.path.join(target, ds, images), [n, 28, 28],
                          bytes(rng.randrange(256) for _ in range(n * 784)))
                write_idx(os.path.join(target, ds, labels), [n], bytes(rng.randrange(10) for _ in range(n)))
    os.makedirs(os.path.join(target, "tinyshakespeare"), exist_ok=True)
    src = os.path.join(real, "tinyshakespeare", "input.txt") if real else None
    if src and os.path.exists(src):
        text = open(src, encoding="utf-8").read()[:60000]
    else:
        words = ["ROMEO:", "JULIET:", "the", "and", "of", "to", "my", "lord", "thou", "art", "love", "night", "\n"]
        text = " ".join(rng.choice(words) for _ in range(12000))
    with open(os.path.join(target, "tinyshakespeare", "input.txt"), "w", encoding="utf-8") as f:
        f.write(text)


def has_gpu():
    return shutil.which("nvidia-smi") is not None and subprocess.run(
        ["nvidia-smi", "-L"], capture_output=True).returncode == 0


def has_torch():
    return os.path.exists("/usr/bin/python3") and subprocess.run(
        ["/usr/bin/python3", "-c", "import torch"], capture_output=True).returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--only", help="run only the blocks under a heading containing this text")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="readme-check-")
    clone = os.path.join(work, "quadrant")
    subprocess.run(["git", "clone", "-q", a.repo, clone], check=True)
    real = os.path.join(os.path.dirname(os.path.abspath(a.repo)), "shared", "datasets")
    small_datasets(os.path.join(work, "shared", "datasets"), real if os.path.isdir(real) else None)
    print(f"readme-check: fresh clone in {clone}; small data sets in {work}/shared/datasets"
          f" ({'cut from the real files' if os.path.isdir(real) else 'random, the real files are not beside the repository'})")

    readme = open(os.path.join(clone, "README.md"), encoding="utf-8").read()
    gpu, torch = has_gpu(), has_torch()
    ran = failed = skipped = 0
    t_all = time.time()
    for kind, directives, body, line, heading in blocks(readme):
        if a.only and a.only.lower() not in heading.lower():
            continue
        if kind == "yaml" and body and body[0].startswith("# "):
            path = os.path.join(clone, body[0][2:].strip())
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(body) + "\n")
            print(f"readme-check: [{heading}] wrote {body[0][2:].strip()} (README line {line})")
            continue
        if kind != "bash":
            continue
        append = " ".join(d[len("append "):] for d in directives if d.startswith("append "))
        skip = [d for d in directives if d.startswith("skip")]
        if skip:
            print(f"readme-check: [{heading}] skipped block at README line {line}: {skip[0][4:].strip()}")
            skipped += len(commands(body))
            continue
        if "needs-torch" in directives and not torch:
            print(f"readme-check: [{heading}] skipped block at README line {line}: no PyTorch at /usr/bin/python3")
            skipped += len(commands(body))
            continue
        expect_clean_failure = "needs-gpu" in directives and not gpu
        for cmd in commands(body):
            run = append_to_train(cmd, append) if append else cmd
            shown = run.replace("\\\n", " ").replace("\n", " ")
            shown = re.sub(r"\s+", " ", shown)
            print(f"readme-check: [{heading}] $ {shown}", flush=True)
            t0 = time.time()
            try:
                p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", run], cwd=clone, capture_output=True,
                                   text=True, timeout=TIMEOUT_S)
                code, out, err = p.returncode, p.stdout, p.stderr
            except subprocess.TimeoutExpired as e:
                code, out, err = 124, e.stdout or "", (e.stderr or "") + f"\n(timed out after {TIMEOUT_S} s)"
            ran += 1
            if expect_clean_failure:
                lines = [l for l in err.strip().split("\n") if l.strip()]
                ok = code == 2 and any(l.startswith("quadrant: ") for l in lines) and "\tat " not in err
                what = "fails cleanly without a GPU" if ok else f"should fail cleanly without a GPU (exit {code})"
            else:
                ok = code == 0
                what = "ok" if ok else f"FAILED with exit status {code}"
            print(f"readme-check:     {what} ({time.time() - t0:.1f} s)")
            if not ok:
                failed += 1
                sys.stdout.write("".join("      | " + l + "\n" for l in (out + err).strip().split("\n")[-25:]))
    print(f"readme-check: {ran} commands run, {failed} failed, {skipped} skipped, {time.time() - t_all:.0f} s")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"readme-check: kept {work}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
