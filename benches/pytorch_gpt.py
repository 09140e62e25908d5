#!/usr/bin/env python3
"""PyTorch reference for actlab's char-level GPT (Tiny Shakespeare) benchmark row.

What it measures
----------------
Seconds per training iteration of nanoGPT's README CPU recipe for Tiny
Shakespeare (``train.py config/train_shakespeare_char.py --device=cpu
--compile=False --block_size=64 --batch_size=12 --n_layer=4 --n_head=4
--n_embd=128 --dropout=0.0``), in PyTorch eager mode on the CPU with a fixed
thread count (``torch.set_num_threads`` and ``torch.set_num_interop_threads``).

The model is a compact copy of nanoGPT's ``GPT`` written in this file: a
char-level GPT with 4 layers, 4 heads, n_embd 128, block_size 64, vocab 65,
no dropout, no biases anywhere (``bias=False``: Linear layers without bias and
nanoGPT's own LayerNorm with a weight and no bias), token embedding tied to
the output head, a 4x GELU MLP, pre-norm residual blocks with a final
LayerNorm, and causal self-attention through
``F.scaled_dot_product_attention(is_causal=True)`` as nanoGPT's "flash" path
does.  Initialisation is GPT-2's: normal(0, 0.02) for Linear and Embedding
weights, and normal(0, 0.02/sqrt(2*n_layer)) for the ``c_proj`` weights.

One training iteration is, as in nanoGPT's loop: draw a batch of 12 random
windows of 64+1 characters, forward, cross-entropy loss, backward, gradient
clipping to norm 1.0 (``torch.nn.utils.clip_grad_norm_``), AdamW step
(lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on parameters with dim >= 2
and 0 on the others, ``fused=False``, ``foreach`` left at its default), and
``zero_grad(set_to_none=True)``.  The learning rate is held at 1e-3: nanoGPT's
warm-up/cosine schedule changes only a scalar and not the work done, so it is
not modelled.  The batch draw is inside the timed loop, as in nanoGPT.

Each repeat builds a freshly initialised model (``torch.manual_seed(1337)``)
and a fresh batch generator (``torch.Generator`` seeded 1337), runs
``--warmup`` untimed iterations, then times ``--iters`` iterations as one
block; seconds per iteration is that block's time divided by ``--iters``.
Every repeat thus does identical work.  The median over repeats is reported.

Data
----
The Tiny Shakespeare corpus from ``data/tinyshakespeare.txt.gz`` (gzip, read
with the standard library).  The vocabulary is the sorted distinct characters
(65), each character is mapped to its index, and the first 90% of the ids are
the training split (nanoGPT's ``prepare.py``).  A batch is 12 windows starting
at ``torch.randint(len(train) - 64, (12,))``; inputs are ``train[i:i+64]`` and
targets ``train[i+1:i+65]``.  Nothing is downloaded.

Output
------
One line of JSON on stdout, e.g.::

  {"framework": "pytorch", "version": "2.x", "dtype": "float32", "threads": 2,
   "n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 64,
   "batch_size": 12, "vocab_size": 65, "parameters": 804096,
   "parameters_non_embedding": 795904, "warmup": 10, "iters": 200,
   "seconds_per_iter_median": 0.05, "all": [0.05, 0.051, 0.049],
   "tokens_per_second": 15360.0, "first_loss": 4.2, "final_loss": 2.6,
   "peak_rss_mb": 400.0, "load_avg_1m": [..]}

``all`` holds seconds per iteration for each repeat; ``tokens_per_second`` is
12*64 divided by the median seconds per iteration.  ``parameters`` counts
every parameter once (the tied embedding/head once); ``parameters_non_embedding``
is that minus the position embedding, the number nanoGPT prints as "number of
parameters: 0.80M".  ``first_loss`` is the loss of the first (warm-up)
iteration, about ln(65) = 4.17 at initialisation, and ``final_loss`` the loss
of the last timed iteration of the last repeat (sanity checks, not part of the
timing).  ``peak_rss_mb`` is the process's peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss / 1024``, Linux reports KiB).
``load_avg_1m`` is the 1-minute load average sampled before and after the
measurement, so a loaded machine is visible.

Usage
-----
  python3 benches/pytorch_gpt.py --threads 2 --dtype float32
  python3 benches/pytorch_gpt.py --threads 2 --dtype float64 --iters 100 --repeats 5

Requires torch and numpy (``pip install torch numpy``).
"""

import argparse
import gzip
import json
import math
import os
import resource
import statistics
import sys
import time

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "data", "tinyshakespeare.txt.gz")

N_LAYER = 4
N_HEAD = 4
N_EMBD = 128
BLOCK_SIZE = 64
BATCH_SIZE = 12
SEED = 1337


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2,
                   help="intra-op and inter-op threads (default 2)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--iters", type=int, default=200,
                   help="timed training iterations per repeat (default 200)")
    p.add_argument("--warmup", type=int, default=10,
                   help="untimed iterations before each timed block (default 10)")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats (default 3)")
    p.add_argument("--data", default=DEFAULT_DATA,
                   help="gzipped Tiny Shakespeare text (default data/tinyshakespeare.txt.gz)")
    args = p.parse_args()
    if args.iters < 1 or args.repeats < 1 or args.warmup < 0 or args.threads < 1:
        p.error("--iters, --repeats and --threads must be >= 1, --warmup >= 0")
    return args


# Thread settings must reach OpenMP/MKL before torch is imported, so the
# arguments are parsed and the environment set at import time of this script.
ARGS = parse_args()
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402


# --------------------------------------------------------------------------
# Model: a compact nanoGPT (model.py), bias=False, dropout=0.
# --------------------------------------------------------------------------

class LayerNorm(nn.Module):
    """nanoGPT's LayerNorm with an optional bias; here always without one."""

    def __init__(self, ndim, bias=False):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        assert n_embd % n_head == 0
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=False)
        self.n_head = n_head
        self.n_embd = n_embd

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        hs = C // self.n_head
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None,
                                           dropout_p=0.0, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=False)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=False)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = LayerNorm(n_embd, bias=False)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.ln_2 = LayerNorm(n_embd, bias=False)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd):
        super().__init__()
        self.block_size = block_size
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab_size, n_embd),
            wpe=nn.Embedding(block_size, n_embd),
            h=nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)]),
            ln_f=LayerNorm(n_embd, bias=False),
        ))
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        # Weight tying, as nanoGPT does it.
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self, non_embedding=True):
        n = sum(p.numel() for p in self.parameters())  # tied weight counted once
        if non_embedding:
            n -= self.transformer.wpe.weight.numel()
        return n

    def forward(self, idx, targets):
        _, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                               ignore_index=-1)


def configure_optimizer(model, weight_decay=0.1, lr=1e-3, betas=(0.9, 0.99)):
    """nanoGPT's configure_optimizers: decay on dim >= 2 tensors only."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, fused=False)


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

def load_train(path):
    """Tiny Shakespeare -> (train ids as int64 tensor, vocab size)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    ids = np.fromiter((stoi[c] for c in text), dtype=np.int64, count=len(text))
    n_train = int(len(ids) * 0.9)
    return torch.from_numpy(ids[:n_train].copy()), len(chars)


def get_batch(train, gen):
    ix = torch.randint(len(train) - BLOCK_SIZE, (BATCH_SIZE,), generator=gen)
    x = torch.stack([train[i:i + BLOCK_SIZE] for i in ix])
    y = torch.stack([train[i + 1:i + 1 + BLOCK_SIZE] for i in ix])
    return x, y


def train_step(model, opt, train, gen):
    x, y = get_batch(train, gen)
    loss = model(x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    return loss


def load_avg():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def main():
    args = ARGS
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    dtype = getattr(torch, args.dtype)

    train, vocab_size = load_train(args.data)

    load_before = load_avg()
    times = []
    first_loss = loss = None
    n_params = n_params_non_emb = None
    for _ in range(args.repeats):
        torch.manual_seed(SEED)
        model = GPT(vocab_size, BLOCK_SIZE, N_LAYER, N_HEAD, N_EMBD).to(dtype)
        model.train()
        n_params = model.num_params(non_embedding=False)
        n_params_non_emb = model.num_params(non_embedding=True)
        opt = configure_optimizer(model)
        gen = torch.Generator().manual_seed(SEED)
        for i in range(args.warmup):
            loss = train_step(model, opt, train, gen)
            if i == 0 and first_loss is None:
                first_loss = loss.item()
        t0 = time.perf_counter()
        for _ in range(args.iters):
            loss = train_step(model, opt, train, gen)
        loss_value = loss.item()  # forces completion before the clock stops
        times.append((time.perf_counter() - t0) / args.iters)
        if first_loss is None:
            first_loss = loss_value  # only when --warmup 0 (then: first block's end)
    load_after = load_avg()

    sec = statistics.median(times)
    result = {
        "framework": "pytorch",
        "version": torch.__version__,
        "dtype": args.dtype,
        "threads": torch.get_num_threads(),
        "n_layer": N_LAYER,
        "n_head": N_HEAD,
        "n_embd": N_EMBD,
        "block_size": BLOCK_SIZE,
        "batch_size": BATCH_SIZE,
        "vocab_size": vocab_size,
        "parameters": n_params,
        "parameters_non_embedding": n_params_non_emb,
        "warmup": args.warmup,
        "iters": args.iters,
        "seconds_per_iter_median": round(sec, 6),
        "all": [round(t, 6) for t in times],
        "tokens_per_second": round(BATCH_SIZE * BLOCK_SIZE / sec, 1),
        "first_loss": round(first_loss, 6),
        "final_loss": round(loss.item(), 6),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_avg_1m": [load_before, load_after],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
