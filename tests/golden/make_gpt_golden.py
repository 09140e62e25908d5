"""Generates gpt.json in this folder: golden vectors for the tiny decoder-only transformer (GPT).

A nanoGPT-style pre-norm GPT in PyTorch, float64 throughout, for four configurations (GELU,
ReLU, sigmoid and SwiGLU feed-forwards; learned or rotary positions; layer or RMS norm; with or
without biases; tied or separate lm head). Its weights are drawn from numpy's legacy
RandomState in a fixed order, so the Rust side can draw the same ones from its own port of that
stream (the first values of every drawn tensor are recorded in "first_weights" to check that
first). For each configuration the file holds the forward logits, the mean cross-entropy loss and
the gradient of that loss with respect to every parameter, all from torch autograd. Weights are
stored [in, out] (y = x @ W + b) and every array is flattened row-major.

Run once (pip install torch numpy), commit the JSON it writes; the Rust tests read the JSON and
never need Python.

    python3 tests/golden/make_gpt_golden.py
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

torch.set_default_dtype(torch.float64)

VOCAB = 11
BLOCK_SIZE = 8
N_LAYER = 2
N_HEAD = 2
N_EMBD = 16
HEAD_DIM = N_EMBD // N_HEAD
BATCH = 3
SEQ = 8
SEED = 42
DATA_SEED = 7
NORM_EPS = 1e-5
ROPE_THETA = 10000.0

CONFIGS = [
    {"name": "gelu", "ffn": "gelu", "position": "learned", "norm": "layer", "bias": True,
     "tie_embeddings": True},
    {"name": "relu", "ffn": "relu", "position": "learned", "norm": "layer", "bias": True,
     "tie_embeddings": True},
    {"name": "sigmoid", "ffn": "sigmoid", "position": "learned", "norm": "layer", "bias": False,
     "tie_embeddings": False},
    {"name": "swiglu", "ffn": "swiglu", "position": "rotary", "norm": "rms", "bias": False,
     "tie_embeddings": False},
]

GATED = {"swiglu"}


def write(name, obj):
    obj = {"generated_by": f"make_gpt_golden.py with torch {torch.__version__}, numpy {np.__version__}",
           **obj}
    with open(os.path.join(HERE, name), "w") as f:
        # Compact separators keep the file small; json prints floats as repr (round-trip exact).
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def hidden_size(cfg):
    if cfg["ffn"] in GATED:
        # Shazeer's 2/3 rule rounded to a multiple of 8: 8 * round(64 * 2/3 / 8) = 8 * 5 = 40.
        return 8 * round((2 / 3) * 4 * N_EMBD / 8)
    return 4 * N_EMBD


# ---------------------------------------------------------------- parameters
def init_params(cfg):
    """Returns (params, drawn): name -> float64 tensor in insertion order, and the drawn names.

    Drawn weights come from one RandomState(SEED) with rng.normal(0, std, size=shape), in exactly
    the order below; biases are zeros, norm weights ones and norm biases zeros (not drawn).
    """
    rng = np.random.RandomState(SEED)
    C, V, H, L = N_EMBD, VOCAB, hidden_size(cfg), N_LAYER
    resid_std = 0.02 / math.sqrt(2 * L)
    bias = cfg["bias"]
    gated = cfg["ffn"] in GATED
    params, drawn = {}, []

    def draw(name, shape, std):
        params[name] = torch.tensor(rng.normal(0.0, std, size=shape))
        drawn.append(name)

    def zeros(name, n):
        params[name] = torch.zeros(n)

    def norm(prefix):
        params[f"{prefix}.weight"] = torch.ones(C)
        if cfg["norm"] == "layer" and bias:
            zeros(f"{prefix}.bias", C)

    draw("wte", (V, C), 0.02)
    if cfg["position"] == "learned":
        draw("wpe", (BLOCK_SIZE, C), 0.02)
    for l in range(L):
        p = f"blocks.{l}"
        draw(f"{p}.attn.qkv.weight", (C, 3 * C), 0.02)
        draw(f"{p}.attn.proj.weight", (C, C), resid_std)
        if gated:
            draw(f"{p}.ffn.gate.weight", (C, H), 0.02)
            draw(f"{p}.ffn.value.weight", (C, H), 0.02)
        else:
            draw(f"{p}.ffn.fc.weight", (C, H), 0.02)
        draw(f"{p}.ffn.proj.weight", (H, C), resid_std)
        if bias:
            zeros(f"{p}.attn.qkv.bias", 3 * C)
            zeros(f"{p}.attn.proj.bias", C)
            if gated:
                zeros(f"{p}.ffn.gate.bias", H)
                zeros(f"{p}.ffn.value.bias", H)
            else:
                zeros(f"{p}.ffn.fc.bias", H)
            zeros(f"{p}.ffn.proj.bias", C)
        norm(f"{p}.norm1")
        norm(f"{p}.norm2")
    norm("norm_f")
    if not cfg["tie_embeddings"]:
        draw("head.weight", (C, V), 0.02)
    return params, drawn


# ---------------------------------------------------------------- rotary (Burn 0.21 RotaryEncoding)
def rotary_cos_sin(seq_len, d):
    """cos and sin tables [seq_len, d/2] as Burn 0.21's RotaryEncoding builds them (d_model = d).

    Burn: theta_i = recip(exp((arange_step(0, d, 2) / d) * ln(theta))) with ln(theta) computed on
    an f32 (`self.theta.ln()`, theta: f32) and then used as a scalar; angle(p, i) = p * theta_i.
    """
    ln_theta = float(np.log(np.float32(ROPE_THETA)))
    exponent = torch.arange(0, d, 2, dtype=torch.float64) / d
    inv_freq = 1.0 / torch.exp(exponent * ln_theta)  # [d/2]
    angle = torch.arange(seq_len, dtype=torch.float64)[:, None] * inv_freq[None, :]
    return torch.cos(angle), torch.sin(angle)


def apply_rotary(x, cos, sin):
    """Rotates interleaved pairs of x [..., T, d], as Burn's RotaryEncoding::apply does.

    Burn reshapes x to [.., T, d/2, 2], multiplies each pair (a, b) = (x[2i], x[2i+1]) by
    [[1, 0, 0, 1], [0, -1, 1, 0]] giving (a, -b, b, a), views it as [.., T, d, 2], multiplies by
    freq_complex[p, 2i + r] = (cos(p*theta_i), sin(p*theta_i)) for r = 0, 1, and sums the last dim:
        out[2i]   = x[2i] * cos(p*theta_i) - x[2i+1] * sin(p*theta_i)
        out[2i+1] = x[2i+1] * cos(p*theta_i) + x[2i] * sin(p*theta_i)
    """
    a = x[..., 0::2]
    b = x[..., 1::2]
    out_even = a * cos - b * sin
    out_odd = b * cos + a * sin
    return torch.stack([out_even, out_odd], dim=-1).reshape(x.shape)


# ---------------------------------------------------------------- forward
def linear(params, prefix, x, bias):
    y = x @ params[f"{prefix}.weight"]
    if bias:
        y = y + params[f"{prefix}.bias"]
    return y


def norm_fwd(cfg, params, prefix, x):
    w = params[f"{prefix}.weight"]
    if cfg["norm"] == "layer":
        return F.layer_norm(x, (N_EMBD,), w, params.get(f"{prefix}.bias"), NORM_EPS)
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + NORM_EPS) * w


def attn_fwd(cfg, params, prefix, x):
    B, T, C = x.shape
    bias = cfg["bias"]
    qkv = linear(params, f"{prefix}.qkv", x, bias)

    def heads(t):
        return t.reshape(B, T, N_HEAD, HEAD_DIM).transpose(1, 2)  # [B, nh, T, D]

    q, k, v = heads(qkv[..., 0:C]), heads(qkv[..., C:2 * C]), heads(qkv[..., 2 * C:3 * C])
    if cfg["position"] == "rotary":
        cos, sin = rotary_cos_sin(T, HEAD_DIM)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
    scores = q @ k.transpose(-2, -1) / math.sqrt(HEAD_DIM)
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # j > i
    scores = scores.masked_fill(future, float("-inf"))
    y = torch.softmax(scores, dim=-1) @ v
    y = y.transpose(1, 2).reshape(B, T, C)
    return linear(params, f"{prefix}.proj", y, bias)


def ffn_fwd(cfg, params, prefix, x):
    bias = cfg["bias"]
    act = cfg["ffn"]
    if act in GATED:
        zg = linear(params, f"{prefix}.gate", x, bias)
        zv = linear(params, f"{prefix}.value", x, bias)
        a = (zg * torch.sigmoid(zg)) * zv  # swiglu: silu(gate) * value
    else:
        z = linear(params, f"{prefix}.fc", x, bias)
        if act == "gelu":
            a = F.gelu(z, approximate="none")
        elif act == "relu":
            a = torch.relu(z)
        elif act == "sigmoid":
            a = torch.sigmoid(z)
        else:
            raise ValueError(act)
    return linear(params, f"{prefix}.proj", a, bias)


def forward(cfg, params, x):
    B, T = x.shape
    h = params["wte"][x]
    if cfg["position"] == "learned":
        h = h + params["wpe"][torch.arange(T)]
    for l in range(N_LAYER):
        p = f"blocks.{l}"
        h = h + attn_fwd(cfg, params, f"{p}.attn", norm_fwd(cfg, params, f"{p}.norm1", h))
        h = h + ffn_fwd(cfg, params, f"{p}.ffn", norm_fwd(cfg, params, f"{p}.norm2", h))
    h = norm_fwd(cfg, params, "norm_f", h)
    if cfg["tie_embeddings"]:
        return h @ params["wte"].T
    return h @ params["head.weight"]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def check_causality(cfg, params, x):
    """Changing token 5 of every sequence must leave the logits of positions 0..4 unchanged."""
    with torch.no_grad():
        base = forward(cfg, params, x)
        x2 = x.clone()
        x2[:, 5] = (x2[:, 5] + 1) % VOCAB
        changed = forward(cfg, params, x2)
    diff = (base[:, :5] - changed[:, :5]).abs().max().item()
    assert diff <= 1e-15, f"{cfg['name']}: causality violated, max diff {diff}"
    assert (base[:, 5:] - changed[:, 5:]).abs().max().item() > 0, f"{cfg['name']}: change had no effect"


def gpt_golden():
    rs = np.random.RandomState(DATA_SEED)
    data = rs.randint(0, VOCAB, size=(BATCH, SEQ + 1))
    x = torch.tensor(data[:, :SEQ], dtype=torch.long)
    y = torch.tensor(data[:, 1:], dtype=torch.long)

    configs = []
    for cfg in CONFIGS:
        params, drawn = init_params(cfg)
        first = {n: flat(params[n])[:5] for n in drawn}
        check_causality(cfg, params, x)
        for t in params.values():
            t.requires_grad_(True)
        logits = forward(cfg, params, x)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        loss.backward()
        grads = {n: flat(t.grad) for n, t in params.items()}
        configs.append({**cfg, "hidden": hidden_size(cfg), "logits": flat(logits),
                        "loss": float(loss.item()), "grads": grads, "first_weights": first})
        print(f"{cfg['name']:8s} loss {loss.item():.17g} ({len(params)} parameter tensors, "
              f"{sum(t.numel() for t in params.values())} values)")

    return {"vocab": VOCAB, "block_size": BLOCK_SIZE, "n_layer": N_LAYER, "n_head": N_HEAD,
            "n_embd": N_EMBD, "seed": SEED, "data": data.tolist(), "configs": configs}


if __name__ == "__main__":
    write("gpt.json", gpt_golden())
