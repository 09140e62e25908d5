"""Generates the golden vectors in this folder from the real numpy and scikit-learn.

Run once (pip install numpy scikit-learn), commit the JSON it writes; the Rust tests read the
JSON and never need Python. The training reference below is the seed protocol (the article "Sigmoid vs ReLU Activation Functions: The Inference Cost of Losing Geometric Context", April 2026, and its companion notebook) in
numpy, float64, with every knob exposed, extended to report the article's analysis values
(hidden-space std, signal trace) besides the per-epoch loss and test accuracy.

    python3 tests/golden/make_golden.py
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.datasets import make_circles, make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, obj):
    obj["generated_by"] = f"make_golden.py with numpy {np.__version__}, scikit-learn {sklearn.__version__}"
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


# ---------------------------------------------------------------- numpy's legacy RandomState
def rng_golden():
    bg = np.random.MT19937()
    bg._legacy_seeding(42)
    raw = [int(v) for v in bg.random_raw(8)]

    rs = np.random.RandomState(42)
    uniform = rs.random_sample(5).tolist()

    # Gaussian cache across other draws: 7 normals leave one cached, a permutation does not
    # touch it, and the next normal returns it.
    rs = np.random.RandomState(123)
    randn_odd = rs.randn(7).tolist()
    perm_between = rs.permutation(10).tolist()
    randn_after = rs.randn(3).tolist()

    # The seed protocol's data-order stream: seed, 88 init draws, then one permutation per epoch.
    rs = np.random.RandomState(42)
    rs.randn(88)
    perms = [rs.permutation(300).tolist() for _ in range(2)]

    rs = np.random.RandomState(2**32 - 1)
    big_seed = rs.random_sample(3).tolist()
    return {
        "raw_seed42": raw,
        "uniform_seed42": uniform,
        "randn7_seed123": randn_odd,
        "perm10_after_randn7_seed123": perm_between,
        "randn3_after_perm_seed123": randn_after,
        "perm300_x2_after_randn88_seed42": perms,
        "uniform_seed_u32max": big_seed,
    }


# ---------------------------------------------------------------- make_moons and preprocessing
DATA_CASES = [
    {"n": 400, "noise": 0.18, "seed": 42, "test_size": 0.25},
    {"n": 101, "noise": 0.3, "seed": 7, "test_size": 0.3},
    {"n": 10, "noise": 0.0, "seed": 0, "test_size": 0.25},
]


def data_golden():
    cases = []
    for c in DATA_CASES:
        X, y = make_moons(n_samples=c["n"], noise=c["noise"], random_state=c["seed"])
        Xs = StandardScaler().fit_transform(X)
        Xtr, Xte, ytr, yte = train_test_split(Xs, y, test_size=c["test_size"], random_state=c["seed"])
        cases.append({**c, "X": X.tolist(), "y": y.tolist(), "X_scaled": Xs.tolist(),
                      "X_train": Xtr.tolist(), "y_train": ytr.tolist(),
                      "X_test": Xte.tolist(), "y_test": yte.tolist()})
    circles = []
    for c in [{"n": 200, "noise": 0.1, "seed": 3}, {"n": 51, "noise": 0.0, "seed": 9}]:
        X, y = make_circles(n_samples=c["n"], noise=c["noise"], random_state=c["seed"], factor=0.5)
        circles.append({**c, "X": X.tolist(), "y": y.tolist()})
    return {"cases": cases, "circles": circles}


# ---------------------------------------------------------------- the training protocol
def sig(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


class Net:
    def __init__(self, act, hidden, init_seed):
        self.act = act
        np.random.seed(init_seed)
        gain = 2.0 if act == "relu" else 1.0
        dims = [2] + list(hidden) + [1]
        self.W = [np.random.randn(dims[i], dims[i + 1]) * np.sqrt(gain / dims[i]) for i in range(len(dims) - 1)]
        self.b = [np.zeros((1, dims[i + 1])) for i in range(len(dims) - 1)]
        self.hist = []

    def h(self, z):
        return np.maximum(0, z) if self.act == "relu" else sig(z)

    def forward(self, X):
        a, zs, as_ = X, [], [X]
        L = len(self.W)
        for i in range(L):
            z = a @ self.W[i] + self.b[i]
            a = self.h(z) if i < L - 1 else sig(z)
            zs.append(z)
            as_.append(a)
        return a, zs, as_

    def step(self, X, y, lr):
        out, zs, as_ = self.forward(X)
        y = y.reshape(-1, 1)
        loss = -np.mean(y * np.log(out + 1e-9) + (1 - y) * np.log(1 - out + 1e-9))
        d = (out - y) / len(X)
        for i in reversed(range(len(self.W))):
            gW = as_[i].T @ d
            gb = d.sum(axis=0, keepdims=True)
            if i > 0:
                da = d @ self.W[i].T
                d = da * (zs[i - 1] > 0) if self.act == "relu" else da * as_[i] * (1 - as_[i])
            self.W[i] -= lr * gW
            self.b[i] -= lr * gb
        return loss


def farthest(X, y, cls, point):
    idx = np.where(y == cls)[0]
    return int(idx[np.argmax(np.linalg.norm(X[idx] - np.array(point), axis=1))])


def run(c):
    X, y = make_moons(n_samples=c["n"], noise=c["noise"], random_state=c["data_seed"])
    X = StandardScaler().fit_transform(X)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=c["test_size"], random_state=c["data_seed"])
    nets = [Net("sigmoid", c["hidden"], c["init_seed"]), Net("relu", c["hidden"], c["init_seed"])]
    B = c["batch"]
    for _ in range(c["epochs"]):
        idx = np.random.permutation(len(Xtr))
        for n in nets:
            n.hist.append(float(np.mean([n.step(Xtr[idx[i:i + B]], ytr[idx[i:i + B]], c["lr"])
                                         for i in range(0, len(idx), B)])))
    samples = [farthest(Xtr, ytr, 0, (-1.2, -0.3)), farthest(Xtr, ytr, 1, (1.2, 0.3))]
    out = {}
    for n in nets:
        test_out, _, test_as = n.forward(Xte)
        train_out = n.forward(Xtr)[0]
        traces = []
        for s in samples:
            _, zs, as_ = n.forward(Xtr[s:s + 1])
            trace = []
            for layer in range(len(zs) - 1):
                trace += [float(np.mean(np.abs(zs[layer]))), float(np.mean(np.abs(as_[layer + 1])))]
            trace.append(float(np.abs(zs[-1]).item()))
            traces.append(trace)
        out[n.act] = {
            "train_loss": n.hist,
            "test_accuracy": float(((test_out >= 0.5).ravel() == yte).mean()),
            "train_accuracy": float(((train_out >= 0.5).ravel() == ytr).mean()),
            "hidden_std": [float(a.std()) for a in test_as[1:-1]],
            "signal_trace": traces,
        }
    out["trace_samples"] = samples
    return out


BASE = {"n": 400, "noise": 0.18, "data_seed": 42, "init_seed": 42, "hidden": [8, 8],
        "lr": 0.05, "batch": 64, "epochs": 800, "test_size": 0.25}
PROTOCOL_CASES = [
    {"name": "seed-protocol"},
    {"name": "deeper-wider", "n": 300, "noise": 0.25, "data_seed": 7, "init_seed": 3,
     "hidden": [16, 16, 16], "lr": 0.1, "batch": 32, "epochs": 120},
    {"name": "one-layer-high-lr", "n": 200, "noise": 0.1, "data_seed": 1, "init_seed": 11,
     "hidden": [5], "lr": 0.5, "batch": 50, "epochs": 200, "test_size": 0.3},
    {"name": "odd-sizes", "n": 151, "noise": 0.35, "data_seed": 2026, "init_seed": 5,
     "hidden": [3, 7], "lr": 0.2, "batch": 17, "epochs": 60},
]


def protocol_golden():
    cases = []
    for case in PROTOCOL_CASES:
        c = {**BASE, **case}
        print("training", c["name"], file=sys.stderr)
        cases.append({"config": c, "result": run(c)})
    return {"cases": cases}


if __name__ == "__main__":
    write("numpy_rng.json", rng_golden())
    write("moons.json", data_golden())
    write("protocol.json", protocol_golden())
