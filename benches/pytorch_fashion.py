#!/usr/bin/env python3
"""PyTorch reference for actlab's Fashion-MNIST MLP benchmark row.

What it measures
----------------
A 784-256-256-10 MLP (ReLU hidden activations by default) trained with plain
SGD (lr 0.05, no momentum, no weight decay) and cross-entropy loss, batch 128,
over one epoch of the 60,000 Fashion-MNIST training images, on the CPU with a
fixed thread count.  It is the PyTorch side of the row "a Fashion-MNIST MLP
784-256-256-10 (batch 128, one epoch of 60,000, float32 and float64) on the
Burn engine, measured beside PyTorch on the CPU with the same thread count, on
the same machine".

Only the training loop is timed: forward + loss + backward + optimizer step for
every batch of the epoch.  The data are decoded, scaled to [0, 1] and shuffled
once (fixed order from seed 0) into in-memory tensors of the requested dtype
before the clock starts; each batch is a contiguous slice of those tensors.
Each repeat builds a freshly initialised model (seed 0), so every repeat does
identical work.  The median over repeats is reported.  The last batch of the
epoch has 60,000 - 468*128 = 96 rows, i.e. 469 steps per epoch.

Data
----
The gzipped IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) as installed by Debian's
``dataset-fashion-mnist`` package in /usr/share/datasets/fashion-mnist/.  They
are read with gzip + numpy; torchvision is not needed.

Output
------
One line of JSON on stdout, e.g.::

  {"framework": "pytorch", "version": "2.x", "dtype": "float32", "threads": 2,
   "activation": "relu", "epochs": 1, "batch_size": 128,
   "seconds_per_epoch_median": 1.23, "all": [1.2, 1.23, 1.3],
   "final_train_loss": 0.45, "test_accuracy": 0.83, "load_avg_1m": [..]}

``all`` holds seconds per epoch for each repeat; ``final_train_loss`` is the
loss of the last batch of the last epoch of the last repeat, and
``test_accuracy`` is that model's accuracy on the 10,000 test images (a sanity
check, not part of the timing).  ``load_avg_1m`` is the 1-minute load average
sampled before and after the measurement, so a loaded machine is visible.

Usage
-----
  python3 benches/pytorch_fashion.py --threads 2 --dtype float32
  python3 benches/pytorch_fashion.py --threads 2 --dtype float64 --repeats 5
  python3 benches/pytorch_fashion.py --threads 2 --seeds 10

With ``--seeds N`` the output is instead ``seconds_all_seeds`` (the N models'
training, one epoch each, one after another, each from its own seed, on its
own shuffled copy of the data made outside the timing, after an untimed
warm-up of 20 batches) and ``mean_test_accuracy``.

Requires torch and numpy (``pip install torch numpy``).
"""

import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2,
                   help="intra-op and inter-op threads (default 2)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--epochs", type=int, default=1, help="epochs per repeat (default 1)")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats (default 3)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--activation", choices=["relu", "sigmoid"], default="relu",
                   help="hidden activation (default relu)")
    p.add_argument("--seeds", type=int, default=0,
                   help="instead: train this many models one after another, model s from "
                        "torch.manual_seed(s) in seed s's order, one epoch each, and time "
                        "them all (how a PyTorch user runs seeds)")
    p.add_argument("--data", default=DEFAULT_DATA,
                   help=f"folder with the gzipped IDX files (default {DEFAULT_DATA})")
    return p.parse_args()


# Thread settings must reach OpenMP/MKL before torch is imported, so the
# arguments are parsed and the environment set at import time of this script.
ARGS = parse_args()
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


def read_idx(path):
    """Decode one gzipped IDX file into a numpy uint8 array of its shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {dims}, got {arr.size} bytes")
    return arr.reshape(dims)


def load_split(folder, prefix, dtype):
    images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.reshape(images.shape[0], -1).astype(np.float64) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x.to(dtype).contiguous(), y


def build_model(activation, dtype):
    act = nn.ReLU if activation == "relu" else nn.Sigmoid
    return nn.Sequential(
        nn.Linear(784, 256), act(),
        nn.Linear(256, 256), act(),
        nn.Linear(256, 10),
    ).to(dtype)


def train_epoch(model, opt, loss_fn, x, y, batch_size):
    loss = None
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size]
        yb = y[start:start + batch_size]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    return loss


@torch.no_grad()
def accuracy(model, x, y):
    return (model(x).argmax(dim=1) == y).to(torch.float64).mean().item()


def load_avg():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def many_seeds(args, dtype, loss_fn, train, test):
    """Trains args.seeds models one after another; prints the total training time."""
    (x_train, y_train), (x_test, y_test) = train, test
    orders = [torch.randperm(x_train.shape[0], generator=torch.Generator().manual_seed(s))
              for s in range(args.seeds)]
    # Warm-up, untimed: 20 batches of a throwaway model, so that the first timed model does
    # not pay the library's start-up.
    warm = build_model(args.activation, dtype)
    train_epoch(warm, torch.optim.SGD(warm.parameters(), lr=args.lr), loss_fn,
                x_train[:20 * args.batch_size], y_train[:20 * args.batch_size], args.batch_size)
    load_before = load_avg()
    total, accuracies = 0.0, []
    for s, perm in enumerate(orders):
        torch.manual_seed(s)
        model = build_model(args.activation, dtype)
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.0)
        xs, ys = x_train[perm].contiguous(), y_train[perm].contiguous()
        t0 = time.perf_counter()
        train_epoch(model, opt, loss_fn, xs, ys, args.batch_size)
        total += time.perf_counter() - t0
        accuracies.append(accuracy(model, x_test, y_test))
    print(json.dumps({
        "framework": "pytorch",
        "version": torch.__version__,
        "dtype": args.dtype,
        "threads": torch.get_num_threads(),
        "seeds": args.seeds,
        "seconds_all_seeds": round(total, 4),
        "mean_test_accuracy": round(sum(accuracies) / len(accuracies), 4),
        "load_avg_1m": [load_before, load_avg()],
    }))
    return 0


def main():
    args = ARGS
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    dtype = getattr(torch, args.dtype)

    x_train, y_train = load_split(args.data, "train", dtype)
    x_test, y_test = load_split(args.data, "t10k", dtype)

    loss_fn = nn.CrossEntropyLoss()
    if args.seeds > 0:
        return many_seeds(args, dtype, loss_fn, (x_train, y_train), (x_test, y_test))

    # One fixed shuffled order (seed 0), applied once, outside the timing.
    perm = torch.randperm(x_train.shape[0], generator=torch.Generator().manual_seed(0))
    x_train = x_train[perm].contiguous()
    y_train = y_train[perm].contiguous()

    load_before = load_avg()
    times = []
    model = loss = None
    for _ in range(args.repeats):
        torch.manual_seed(0)
        model = build_model(args.activation, dtype)
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.0)
        t0 = time.perf_counter()
        for _ in range(args.epochs):
            loss = train_epoch(model, opt, loss_fn, x_train, y_train, args.batch_size)
        times.append((time.perf_counter() - t0) / args.epochs)
    load_after = load_avg()

    result = {
        "framework": "pytorch",
        "version": torch.__version__,
        "dtype": args.dtype,
        "threads": torch.get_num_threads(),
        "activation": args.activation,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "seconds_per_epoch_median": round(statistics.median(times), 4),
        "all": [round(t, 4) for t in times],
        "final_train_loss": round(loss.item(), 6),
        "test_accuracy": round(accuracy(model, x_test, y_test), 4),
        "load_avg_1m": [load_before, load_after],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
