#!/usr/bin/python3
"""
PyTorch peer for bench/trainer-speed.ts: the built-in trainer's models (src/train/models/mlp.ts and gpt.ts)
written the way a PyTorch user would, one thread. Prints one JSON line per config:
{model, config, steps_per_s, steps_per_cpu_s, steps, params, torch_version, blas, ...}.

Run with Debian's /usr/bin/python3 (python3-torch 1.13 lives there), for example:
  /usr/bin/python3 bench/peers/torch_speed.py --data DIR --configs '[{"model":"mlp","hidden":128,"depth":1,"optimizer":"sgd","batch":64}]'
  /usr/bin/python3 bench/peers/torch_speed.py --peak      (sgemm 2048 x 2048 through torch.mm, one thread)

Data: with --data, the built-in trainer's own training data as bench/peers/peer-data.ts wrote it, each batch
the next rows of a permutation reshuffled every epoch, gathered with index_select (the trainer's data path);
without it, one fixed random batch of the right shapes.

Each config: warm-up steps, then timed chunks of steps until at least --seconds of wall time have passed.
Wall time and this process's CPU time are both measured (the machine is often shared).
"""
import os

# Before torch loads: one thread everywhere (OpenMP, MKL, OpenBLAS), like the built-in trainer's ONNX Runtime.
for _k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_k] = "1"

import argparse
import ctypes
import json
import math
import platform
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


# ------------------------------------------------------------------------------------------------ models

class Mlp(nn.Module):
    """stem relu(x W0 + b0) [784 -> H]; D blocks h + relu(h W1 + b1) W2 + b2; head h Wh + bh [H -> 10]."""

    def __init__(self, inputs=784, hidden=128, depth=1, classes=10):
        super().__init__()
        self.stem = nn.Linear(inputs, hidden)
        self.blocks = nn.ModuleList(nn.ModuleDict({"w1": nn.Linear(hidden, hidden), "w2": nn.Linear(hidden, hidden)}) for _ in range(depth))
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        h = F.relu(self.stem(x))
        for b in self.blocks:
            h = h + b["w2"](F.relu(b["w1"](h)))
        return self.head(h)

    def loss(self, x, y):
        return F.cross_entropy(self(x), y)


class Block(nn.Module):
    """Pre-LayerNorm block: h + attn(ln1(h)); h + proj(gelu_tanh(fc(ln2(h))))."""

    def __init__(self, c, heads, ffn, block):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(c, eps=1e-5)
        # q, k and v projections as one [C -> 3C] Linear (nanoGPT's c_attn): the same parameters and the same
        # function as three [C -> C] Linears with biases, in one GEMM.
        self.qkv = nn.Linear(c, 3 * c)
        self.o = nn.Linear(c, c)
        self.ln2 = nn.LayerNorm(c, eps=1e-5)
        self.fc = nn.Linear(c, ffn)
        self.proj = nn.Linear(ffn, c)
        self.register_buffer("causal", torch.tril(torch.ones(block, block, dtype=torch.bool)), persistent=False)

    def attention(self, a):
        b, t, c = a.shape
        dh = c // self.heads
        q, k, v = self.qkv(a).split(c, dim=2)
        q = q.view(b, t, self.heads, dh).transpose(1, 2) * (1.0 / math.sqrt(dh))
        k = k.view(b, t, self.heads, dh).transpose(1, 2)
        v = v.view(b, t, self.heads, dh).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)).masked_fill(~self.causal[:t, :t], float("-inf"))
        mixed = (F.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, c)
        return self.o(mixed)

    def forward(self, h):
        h = h + self.attention(self.ln1(h))
        return h + self.proj(F.gelu(self.fc(self.ln2(h)), approximate="tanh"))


class Gpt(nn.Module):
    """Token + position embeddings, L pre-norm blocks, final LayerNorm, untied head C -> V with bias."""

    def __init__(self, vocab=28, block=16, embd=64, heads=4, layers=2, ffn=None):
        super().__init__()
        self.wte = nn.Embedding(vocab, embd)
        self.wpe = nn.Parameter(torch.randn(block, embd) * 0.02)
        self.blocks = nn.ModuleList(Block(embd, heads, ffn or 4 * embd, block) for _ in range(layers))
        self.lnf = nn.LayerNorm(embd, eps=1e-5)
        self.head = nn.Linear(embd, vocab)

    def forward(self, x):
        h = self.wte(x) + self.wpe[: x.shape[1]]
        for b in self.blocks:
            h = b(h)
        return self.head(self.lnf(h))

    def loss(self, x, y, mask):
        z = self(x)
        nll = F.cross_entropy(z.view(-1, z.shape[-1]), y.view(-1), reduction="none")
        m = mask.view(-1)
        return (nll * m).sum() / m.sum()


def mlp_params(inputs, hidden, depth, classes):
    return inputs * hidden + hidden + depth * 2 * (hidden * hidden + hidden) + hidden * classes + classes


def gpt_params(vocab, block, embd, layers, ffn):
    per_block = 2 * embd + 3 * (embd * embd + embd) + (embd * embd + embd) + 2 * embd + (embd * ffn + ffn) + (ffn * embd + embd)
    return vocab * embd + block * embd + layers * per_block + 2 * embd + embd * vocab + vocab


# -------------------------------------------------------------------------------------------------- BLAS

def mapped_blas():
    """The BLAS shared objects this process has mapped (resolved paths), e.g. .../openblas-pthread/libblas.so.3."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path)
                if any(s in name for s in ("blas", "mkl", "lapack")):
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(libs)


def openblas_info(libs):
    """OpenBLAS's own report (version/config string, the kernel it picked, its thread count), if it is mapped."""
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return {
                "library": path,
                "config": lib.openblas_get_config().decode(),
                "corename": lib.openblas_get_corename().decode(),
                "threads": lib.openblas_get_num_threads(),
            }
        except (OSError, AttributeError):
            continue
    return None


def blas_report():
    # A matrix product first, so the BLAS is surely loaded and initialised.
    torch.ones(64, 64) @ torch.ones(64, 64)
    libs = mapped_blas()
    ob = openblas_info(libs)
    config = torch.__config__.show()
    blas_info = next((l.strip() for l in config.splitlines() if "BLAS_INFO" in l), "")
    if ob:
        name = f"OpenBLAS ({ob['corename']} kernels, {ob['threads']} thread(s); {ob['library']})"
    elif libs:
        name = "reference or other BLAS: " + ", ".join(libs)
    else:
        name = "no BLAS library mapped"
    return {
        "name": name,
        "mapped": libs,
        "openblas": ob,
        "torch_build": blas_info,
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
    }


# ------------------------------------------------------------------------------------------ measurement

def param_groups(model, wd):
    """Weight decay on matrices (and the embeddings) only, as the built-in trainer does (ParamSpec.decay)."""
    decay = [p for p in model.parameters() if p.dim() > 1]
    rest = [p for p in model.parameters() if p.dim() <= 1]
    return [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}]


class Batches:
    """The next `batch` rows of a permutation of the training set, reshuffled at each epoch's end."""

    def __init__(self, tensors, batch, gen):
        self.tensors, self.batch, self.gen = tensors, batch, gen
        self.n = tensors[0].shape[0]
        self.perm = torch.randperm(self.n, generator=gen)
        self.cursor = 0

    def next(self):
        if self.cursor + self.batch > self.n:
            # The trainer wraps mid-batch; starting the new epoch at the batch boundary costs the same.
            self.perm = torch.randperm(self.n, generator=self.gen)
            self.cursor = 0
        idx = self.perm[self.cursor:self.cursor + self.batch]
        self.cursor += self.batch
        return tuple(t.index_select(0, idx) for t in self.tensors)


def read_data(data_dir):
    import numpy as np
    with open(os.path.join(data_dir, "data.json")) as f:
        info = json.load(f)
    raw = lambda name, dtype: torch.from_numpy(np.fromfile(os.path.join(data_dir, name), dtype=dtype))
    m, nm = info["mnist"], info["names"]
    return info, {
        "mlp": (raw("mnist-x.f32", np.float32).view(m["n"], m["pixels"]), raw("mnist-y.i64", np.int64)),
        "gpt": (raw("names-x.i64", np.int64).view(nm["n"], nm["block"]), raw("names-y.i64", np.int64).view(nm["n"], nm["block"]),
                raw("names-mask.f32", np.float32).view(nm["n"], nm["block"])),
    }


def make(cfg, gen, data=None):
    model_kind = cfg["model"]
    if model_kind == "mlp":
        hidden, depth, batch = cfg.get("hidden", 128), cfg.get("depth", 1), cfg.get("batch", 64)
        model = Mlp(784, hidden, depth, 10)
        expected = mlp_params(784, hidden, depth, 10)
        if data:
            batches = Batches(data[1]["mlp"], batch, gen).next
        else:
            fixed = (torch.rand(batch, 784, generator=gen), torch.randint(0, 10, (batch,), generator=gen))
            batches = lambda: fixed
        lr = cfg.get("lr", 1e-3)
    elif model_kind == "gpt":
        vocab, block, embd = cfg.get("vocab", 28), cfg.get("block", 16), cfg.get("embd", 64)
        heads, layers, batch = cfg.get("heads", 4), cfg.get("layers", 2), cfg.get("batch", 32)
        ffn = cfg.get("ffn", 4 * embd)
        model = Gpt(vocab, block, embd, heads, layers, ffn)
        expected = gpt_params(vocab, block, embd, layers, ffn)
        if data:
            if (data[0]["names"]["block"], data[0]["names"]["vocab"]) != (block, vocab):
                raise SystemExit(f"gpt: the data has block {data[0]['names']['block']} and vocab {data[0]['names']['vocab']}, the config {block} and {vocab}")
            batches = Batches(data[1]["gpt"], batch, gen).next
        else:
            x = torch.randint(0, vocab, (batch, block), generator=gen)
            y = torch.randint(0, vocab, (batch, block), generator=gen)
            # Names are short: about half the positions of a row are real targets, the rest padding.
            lengths = torch.randint(3, block + 1, (batch, 1), generator=gen)
            fixed = (x, y, (torch.arange(block).unsqueeze(0) < lengths).float())
            batches = lambda: fixed
        lr = cfg.get("lr", 3e-3)
    else:
        raise SystemExit(f"unknown model {model_kind!r}")
    params = sum(p.numel() for p in model.parameters())
    if params != expected:
        raise SystemExit(f"{model_kind}: {params} parameters, expected {expected}")
    if "expect_params" in cfg and params != cfg["expect_params"]:
        raise SystemExit(f"{model_kind}: {params} parameters, but the built-in trainer's model has {cfg['expect_params']}")
    wd = cfg.get("weight_decay", 0.01)
    opt_kind = cfg.get("optimizer", "adamw")
    foreach = cfg.get("foreach")  # None: torch 1.13's default (the per-tensor loop)
    if opt_kind == "sgd":
        opt = torch.optim.SGD(param_groups(model, wd), lr=lr, momentum=0.9, foreach=foreach)
    elif opt_kind == "adamw":
        opt = torch.optim.AdamW(param_groups(model, wd), lr=lr, betas=(0.9, 0.999), eps=1e-8, foreach=foreach)
    else:
        raise SystemExit(f"unknown optimizer {opt_kind!r}")
    return model, opt, batches, params


def measure(cfg, seconds, warmup, data):
    gen = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    model, opt, batches, params = make(cfg, gen, data)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(*batches())
        loss.backward()
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    steps = 0
    chunk = 10
    c0, t0 = time.process_time(), time.perf_counter()
    while True:
        for _ in range(chunk):
            step()
        steps += chunk
        wall = time.perf_counter() - t0
        if wall >= seconds:
            break
        chunk = max(chunk, int(steps * 0.25))
    cpu = time.process_time() - c0
    final = float(step().item())
    return {"steps": steps, "wall_s": wall, "cpu_s": cpu, "steps_per_s": steps / wall, "steps_per_cpu_s": steps / cpu,
            "params": params, "final_loss": final}


def sgemm_peak(n=2048, repetitions=5):
    """torch.mm on n x n float32 matrices (OpenBLAS sgemm here), one thread: best of the timed repetitions."""
    a = torch.rand(n, n, generator=torch.Generator().manual_seed(1)) - 0.5
    b = torch.full((n, n), 0.25)
    out = torch.empty(n, n)
    torch.mm(a, b, out=out)
    flop = 2.0 * n * n * n
    cpu = wall = 0.0
    for _ in range(repetitions):
        c0, t0 = time.process_time(), time.perf_counter()
        torch.mm(a, b, out=out)
        wall = max(wall, flop / (time.perf_counter() - t0) / 1e9)
        cpu = max(cpu, flop / (time.process_time() - c0) / 1e9)
    return {"gflops_cpu": cpu, "gflops_wall": wall, "n": n, "repetitions": repetitions}


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--configs", help="JSON list of configs: {model, hidden, depth, optimizer, batch, ...}")
    ap.add_argument("--data", help="the directory bench/peers/peer-data.ts wrote (default: one fixed random batch)")
    ap.add_argument("--seconds", type=float, default=3.0, help="timed wall seconds per config (at least)")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--peak", action="store_true", help="measure sgemm 2048 x 2048 instead of training")
    args = ap.parse_args()
    blas = blas_report()
    if args.peak:
        print(json.dumps({**sgemm_peak(), "torch_version": torch.__version__, "blas": blas}), flush=True)
        return
    if not args.configs:
        raise SystemExit("--configs is required (or --peak)")
    data = read_data(args.data) if args.data else None
    for cfg in json.loads(args.configs):
        r = measure(cfg, args.seconds, args.warmup, data)
        out = {"model": cfg["model"], "config": cfg, **r, "torch_version": torch.__version__, "threads": torch.get_num_threads(),
               "python": platform.python_version(), "executable": sys.executable, "blas": blas}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
