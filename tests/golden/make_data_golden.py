"""Writes the real-data golden fixtures in this folder from the reference packages themselves.

Run once (pip install numpy scipy scikit-learn mnist1d), commit the JSON it writes; the Rust
tests read the JSON and never need Python. Large arrays are pinned by SHA-256 of their float64
bytes (little-endian, row-major) plus per-row sums and a few full rows, to keep the files small.

    python3 tests/golden/make_data_golden.py

The MNIST-1D values depend on the CPU numpy runs on in the last bits (numpy's float64 exp uses
AVX-512F code where available, the C library's elsewhere); these fixtures were made on x86-64
with AVX-512F, the case the Rust constants reproduce.
"""
import gzip
import hashlib
import json
import os
import platform

import mnist1d
import numpy as np
import scipy
import sklearn
from mnist1d.data import get_dataset_args, get_templates, make_dataset
from mnist1d.transform import transform
from scipy.interpolate import interp1d
from scipy.ndimage import _filters, correlate1d, gaussian_filter, gaussian_filter1d
from sklearn.datasets import load_digits

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, obj):
    obj["generated_by"] = (
        f"make_data_golden.py with numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, mnist1d {getattr(mnist1d, '__version__', '0.0.2.post1')}, "
        f"on {platform.machine()}"
    )
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=None, separators=(",", ":"))
        f.write("\n")


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f8").tobytes()).hexdigest()


def digits_str(labels):
    return "".join(str(int(v)) for v in labels)


# ---------------------------------------------------------------- numpy's legacy draws
def rng_golden():
    out = {}
    rs = np.random.RandomState(5)
    out["randint_0_48_seed5"] = [int(rs.randint(0, 48)) for _ in range(20)]
    out["randint_m5_7"] = [int(rs.randint(-5, 7)) for _ in range(10)]
    out["randint_0_2pow33"] = [int(rs.randint(0, 2**33)) for _ in range(5)]
    out["randint_0_2pow32"] = [int(rs.randint(0, 2**32)) for _ in range(5)]
    out["randint_10_11_then_rand"] = [int(rs.randint(10, 11)) for _ in range(3)] + [rs.rand()]

    rs = np.random.RandomState(11)
    out["choice_48_seed11"] = [int(rs.choice(48)) for _ in range(20)]
    out["uniform_m2_3_seed11"] = [float(rs.uniform(-2.0, 3.0)) for _ in range(5)]
    out["rand_seed11"] = [float(rs.rand()) for _ in range(3)]
    out["normal_loc_scale_seed11"] = [float(rs.normal(1.5, 0.25)) for _ in range(3)]

    # An interleaved stream like MNIST-1D's: a cached Gaussian survives rand and choice draws.
    rs = np.random.RandomState(42)
    mixed = []
    for _ in range(3):
        mixed.append(float(rs.rand()))
        mixed.append(float(rs.choice(48)))
        mixed.extend(rs.randn(3).tolist())
    out["mixed_seed42"] = mixed
    return out


# ---------------------------------------------------------------- scipy / numpy pieces
def pieces_golden():
    out = {}
    t = get_templates()
    out["templates_x"] = t["x"].tolist()
    out["templates_t"] = t["t"].tolist()
    out["kernel_sigma2"] = _filters._gaussian_kernel1d(2, 0, 8).tolist()
    out["kernel_sigma1_5_radius6"] = _filters._gaussian_kernel1d(1.5, 0, 6).tolist()

    rs = np.random.RandomState(3)
    noise72 = 0.25 * rs.randn(72)
    short5 = rs.randn(5)
    one = rs.randn(1)
    line30 = rs.randn(30)
    out["filter_inputs"] = {"noise72": noise72.tolist(), "short5": short5.tolist(),
                            "one": one.tolist(), "line30": line30.tolist()}
    out["gaussian_filter_2"] = {
        "noise72": gaussian_filter(noise72, 2).tolist(),
        "short5": gaussian_filter(short5, 2).tolist(),
        "one": gaussian_filter(one, 2).tolist(),
    }
    out["gaussian_filter1d_1_5"] = gaussian_filter1d(line30, 1.5).tolist()
    out["correlate1d"] = {
        "asymmetric_1_2_3": correlate1d(line30, [1.0, 2.0, 3.0]).tolist(),
        "antisymmetric_1_0_m1": correlate1d(line30, [1.0, 0.0, -1.0]).tolist(),
        "even_0_25_0_75": correlate1d(line30, [0.25, 0.75]).tolist(),
    }

    y = rs.randn(72)
    xp = np.linspace(0, 1, 72)
    x_new = np.linspace(0, 1, 40)
    a = np.interp(x_new, xp, y)
    b = interp1d(xp, y, axis=0, kind="linear")(x_new)
    assert np.array_equal(a, b), "interp1d no longer delegates to np.interp"
    xq = np.array([-0.5, 0.0, xp[5], 0.3, 0.999, 1.0, 1.5])
    out["interp"] = {"y": y.tolist(), "x40": a.tolist(),
                     "xq": xq.tolist(), "yq": np.interp(xq, xp, y).tolist()}
    out["linspace"] = {
        "m0_5_0_5_72": np.linspace(-0.5, 0.5, 72).tolist(),
        "0_1_57": np.linspace(0, 1, 57).tolist(),
        "m5_5_12": np.linspace(-5, 5, 12).tolist(),
    }

    # Sums over RandomState(seed).randn(n), regenerated in Rust from the same stream.
    sums = []
    for seed, n in [(1, 5), (2, 12), (3, 17), (4, 100), (5, 129), (6, 1000), (7, 8193),
                    (8, 20000), (9, 200000)]:
        v = np.random.RandomState(seed).randn(n) * 3.0
        sums.append({"seed": seed, "n": n, "sum": float(v.sum()), "mean": float(v.mean()),
                     "std": float(v.std())})
    out["sums_of_3_randn"] = sums

    # One transform from RandomState(0), template 3, default args.
    np.random.seed(0)
    args = get_dataset_args()
    tx, tt = transform(t["x"][3], t["t"], args)
    out["transform_seed0_digit3"] = {"x": tx.tolist(), "t": tt.tolist()}
    return out


# ---------------------------------------------------------------- whole data sets
CUSTOM = {"num_samples": 1000, "train_split": 0.75, "template_len": 14, "padding": [20, 41],
          "scale_coeff": 0.5, "max_translation": 30, "corr_noise_scale": 0.4,
          "iid_noise_scale": 0.05, "shear_scale": 1.0, "shuffle_seq": True,
          "final_seq_length": 57, "seed": 1}


def dataset_case(args_dict, n_train_rows, n_test_rows):
    args = get_dataset_args()
    for k, v in args_dict.items():
        setattr(args, k, v)
    d = make_dataset(args)
    return {
        "args": {k: v for k, v in vars(args).items() if k != "url"},
        "n_train": len(d["y"]), "n_test": len(d["y_test"]),
        "y_train": digits_str(d["y"]), "y_test": digits_str(d["y_test"]),
        "x_train_rows": d["x"][:n_train_rows].tolist(),
        "x_test_rows": d["x_test"][:n_test_rows].tolist(),
        # Row sums of C-ordered copies (a shuffled set is column-major; numpy would sum it so).
        "x_train_row_sums": np.ascontiguousarray(d["x"]).sum(axis=1).tolist(),
        "x_test_row_sums": np.ascontiguousarray(d["x_test"]).sum(axis=1).tolist(),
        "x_train_sha256": sha(d["x"]), "x_test_sha256": sha(d["x_test"]),
        "t": d["t"].tolist(),
    }


def mnist1d_golden():
    return {"default": dataset_case({}, 50, 20), "custom": dataset_case(CUSTOM, 30, 20)}


# ---------------------------------------------------------------- scikit-learn's digits
def digits_golden():
    path = os.path.join(os.path.dirname(sklearn.datasets.__file__), "data", "digits.csv.gz")
    with open(path, "rb") as f:
        gz = f.read()
    X, y = load_digits(return_X_y=True)
    return {
        "n": int(X.shape[0]), "features": int(X.shape[1]),
        "csv_gz_sha256": hashlib.sha256(gz).hexdigest(),
        "csv_sha256": hashlib.sha256(gzip.decompress(gz)).hexdigest(),
        "x_sha256": sha(X), "labels": digits_str(y),
        "row_sums": [int(v) for v in X.sum(axis=1)],
        "rows": {str(i): X[i].astype(int).tolist() for i in [0, 1, 2, 100, 1796]},
        "total": int(X.sum()),
    }


if __name__ == "__main__":
    write("numpy_rng_extra.json", rng_golden())
    write("mnist1d_pieces.json", pieces_golden())
    write("mnist1d.json", mnist1d_golden())
    write("digits.json", digits_golden())
