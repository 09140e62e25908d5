"""Golden values for actlab-math's tests, from numpy, scipy and statsmodels.

Run once (the Rust tests read the JSON it writes and never call Python):

    python -m venv .venv && .venv/bin/pip install numpy scipy statsmodels
    .venv/bin/python tests/golden/make_math_golden.py

Writes, next to this file:
  quadrature.json  numpy's hermgauss / leggauss nodes and weights
  theory.json      Gaussian moments, fixed points and the tanh critical point, all by
                   scipy.integrate.quad: an implementation independent of the Rust quadrature
  paired.json      scipy.special.betainc, scipy.stats.t, ttest_rel, wilcoxon; statsmodels'
                   multipletests(method="holm")

The versions used are recorded in each file's "versions" entry.
"""

import json
import math
import pathlib
import warnings

import numpy as np
import scipy
import statsmodels
from scipy import integrate, optimize, special, stats
from statsmodels.stats.multitest import multipletests

HERE = pathlib.Path(__file__).resolve().parent
VERSIONS = {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__}
SELU_LAMBDA = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772
QUAD = dict(epsabs=1e-15, epsrel=1e-13, limit=400)
# quad warns that rounding keeps it from certifying 1e-13 on a few inner integrals (ELU); the
# results still agree with the Rust panels to ~1e-15, which is the check that matters.
warnings.filterwarnings("ignore", category=integrate.IntegrationWarning)


def write(name, payload):
    payload = {"versions": VERSIONS, **payload}
    (HERE / name).write_text(json.dumps(payload, indent=1) + "\n")
    print("wrote", name)


# --- quadrature rules --------------------------------------------------------------------------

def quadrature():
    hermite = {}
    for n in [1, 2, 3, 4, 5, 10, 20, 32, 50, 64, 100, 128, 150, 200]:
        x, w = np.polynomial.hermite.hermgauss(n)
        hermite[str(n)] = {"nodes": x.tolist(), "weights": w.tolist()}
    legendre = {}
    for n in [1, 2, 3, 5, 8, 16, 20, 32]:
        x, w = np.polynomial.legendre.leggauss(n)
        legendre[str(n)] = {"nodes": x.tolist(), "weights": w.tolist()}
    write("quadrature.json", {"hermite": hermite, "legendre": legendre})


# --- activations (as actlab-math defines them) -------------------------------------------------

def step(z):
    return 1.0 if z > 0 else 0.0


UNITS = {
    "sigmoid": (special.expit, lambda z: special.expit(z) * (1 - special.expit(z))),
    "tanh": (math.tanh, lambda z: 1 / math.cosh(z) ** 2 if abs(z) < 300 else 0.0),
    "relu": (lambda z: max(z, 0.0), step),
    "leaky-relu": (lambda z: z if z > 0 else 0.01 * z, lambda z: 1.0 if z > 0 else 0.01),
    "elu": (lambda z: z if z > 0 else math.expm1(z), lambda z: 1.0 if z > 0 else math.exp(z)),
    "gelu": (lambda z: z * special.ndtr(z), lambda z: special.ndtr(z) + z * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)),
    "silu": (lambda z: z * special.expit(z), lambda z: special.expit(z) * (1 + z * (1 - special.expit(z)))),
    "softplus": (lambda z: float(np.logaddexp(0.0, z)), special.expit),
    "identity": (lambda z: z, lambda z: 1.0),
    "selu": (lambda z: SELU_LAMBDA * (z if z > 0 else SELU_ALPHA * math.expm1(z)),
             lambda z: SELU_LAMBDA * (1.0 if z > 0 else SELU_ALPHA * math.exp(z))),
    "softsign": (lambda z: z / (1 + abs(z)), lambda z: 1 / (1 + abs(z)) ** 2),
    "erf": (math.erf, lambda z: 2 / math.sqrt(math.pi) * math.exp(-z * z)),
}


def pdf(z):
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def gauss1(g, q):
    """E[g(u)], u ~ N(0, q), split at the kink u = 0."""
    s = math.sqrt(q)
    f = lambda z: g(s * z) * pdf(z)
    return integrate.quad(f, -np.inf, 0, **QUAD)[0] + integrate.quad(f, 0, np.inf, **QUAD)[0]


def gauss2(f, g, q, c):
    """E[f(u1) g(u2)], variances q, correlation c; nested quad split at both kinks."""
    s = math.sqrt(q)
    r = math.sqrt(1 - c * c)

    def inner(z1):
        h = lambda z2: g(s * (c * z1 + r * z2)) * pdf(z2)
        kink = -c * z1 / r
        return integrate.quad(h, -np.inf, kink, **QUAD)[0] + integrate.quad(h, kink, np.inf, **QUAD)[0]

    outer = lambda z1: f(s * z1) * pdf(z1) * inner(z1)
    return integrate.quad(outer, -np.inf, 0, **QUAD)[0] + integrate.quad(outer, 0, np.inf, **QUAD)[0]


def moments():
    one_d = []
    for name, (phi, dphi) in UNITS.items():
        for q in [0.25, 1.0, 3.0]:
            one_d.append({
                "unit": name, "q": q,
                "second_moment": gauss1(lambda u: phi(u) ** 2, q),
                "derivative_second_moment": gauss1(lambda u: dphi(u) ** 2, q),
                # d/dq E[phi(u)^2] = E[phi(u) phi'(u) u] / q
                "second_moment_slope": gauss1(lambda u: phi(u) * dphi(u) * u, q) / q,
            })
    two_d = []
    for name, (phi, dphi) in UNITS.items():
        for q, c in [(1.0, 0.5), (0.5, -0.4), (2.5, 0.9)]:
            two_d.append({
                "unit": name, "q": q, "c": c,
                "kernel": gauss2(phi, phi, q, c),
                "derivative_kernel": gauss2(dphi, dphi, q, c),
            })
        print("moments", name)
    return one_d, two_d


# --- fixed points and the tanh critical point --------------------------------------------------

def length_fixed_point(phi, sigma_w2, sigma_b2):
    """q* by brentq on L(q) - q, bracketed by the iterates of L from q = 1."""
    L = lambda q: sigma_w2 * gauss1(lambda u: phi(u) ** 2, q) + sigma_b2
    q = 1.0
    for _ in range(60):
        q = L(q)
    gap = lambda x: L(x) - x
    lo, hi = q * 0.9, q * 1.1
    return optimize.brentq(gap, lo, hi, xtol=1e-15, rtol=1e-15)


def chi_1(dphi, sigma_w2, q):
    return sigma_w2 * gauss1(lambda u: dphi(u) ** 2, q)


def fixed_points():
    cases = [
        ("tanh", 1.5, 0.05), ("tanh", 0.8, 0.3), ("sigmoid", 3.0, 0.5), ("elu", 1.5, 0.1),
        ("gelu", 1.6, 0.1), ("softsign", 2.0, 0.05), ("selu", 1.0, 0.0), ("softplus", 0.7, 0.2),
        ("silu", 1.8, 0.2),
    ]
    out = []
    for name, w, b in cases:
        phi, dphi = UNITS[name]
        q = length_fixed_point(phi, w, b)
        out.append({"unit": name, "sigma_w2": w, "sigma_b2": b, "q_star": q, "chi_1": chi_1(dphi, w, q)})
        print("fixed point", name, w, b, q)
    return out


def tanh_chaotic_correlation(sigma_w2, sigma_b2):
    """c* of tanh in the chaotic phase: root of the correlation map C(c) = c below 1."""
    phi, _ = UNITS["tanh"]
    q = length_fixed_point(phi, sigma_w2, sigma_b2)
    C = lambda c: (sigma_w2 * gauss2(phi, phi, q, c) + sigma_b2) / q
    c_star = optimize.brentq(lambda c: C(c) - c, 0.0, 0.999, xtol=1e-13)
    return {"sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "q_star": q, "c_star": c_star}


def tanh_critical(sigma_b2):
    """sigma_w^2 where chi_1(q*) = 1, by brentq over sigma_w^2 with quad inside."""
    phi, dphi = UNITS["tanh"]

    def excess(w):
        return chi_1(dphi, w, length_fixed_point(phi, w, sigma_b2)) - 1

    w = optimize.brentq(excess, 1.0, 3.0, xtol=1e-13, rtol=1e-15)
    q = length_fixed_point(phi, w, sigma_b2)
    return {"sigma_b2": sigma_b2, "sigma_w2": w, "q_star": q, "chi_1": chi_1(dphi, w, q)}


def theory():
    one_d, two_d = moments()
    write("theory.json", {
        "moments_1d": one_d,
        "moments_2d": two_d,
        "fixed_points": fixed_points(),
        "tanh_correlation": tanh_chaotic_correlation(2.0, 0.05),
        "tanh_critical": [tanh_critical(b) for b in [0.05, 0.2]],
    })


# --- paired statistics -------------------------------------------------------------------------

def wilcoxon_method(d):
    """Which null distribution scipy's method='auto' uses (see scipy/stats/_wilcoxon.py)."""
    n = len(d)
    nz = np.abs(d[d != 0])
    has_ties = len(np.unique(nz)) < len(nz)
    has_zeros = np.any(d == 0)
    if n > 50:
        return "normal"
    if not (has_ties or has_zeros):
        return "exact"
    return "permutation" if n <= 13 else "normal"


def paired_cases():
    rng = np.random.default_rng(20240611)
    cases = []

    def add(name, x, y):
        x, y = np.asarray(x, float), np.asarray(y, float)
        d = x - y
        t = stats.ttest_rel(x, y)
        ci = t.confidence_interval(0.95)
        w = stats.wilcoxon(x, y)
        cases.append({
            "name": name, "x": x.tolist(), "y": y.tolist(),
            "mean_difference": float(np.mean(d)), "std_difference": float(np.std(d, ddof=1)),
            "t": float(t.statistic), "df": float(t.df), "t_p_value": float(t.pvalue),
            "ci95": [float(ci.low), float(ci.high)],
            "wilcoxon_statistic": float(w.statistic), "wilcoxon_p_value": float(w.pvalue),
            "wilcoxon_method": wilcoxon_method(d),
        })

    acc = lambda n, mean: np.clip(rng.normal(mean, 0.04, n), 0, 1)
    # Ties need exactly equal differences: values on a dyadic grid subtract exactly.
    grid = lambda v: np.round(np.asarray(v) * 128) / 128
    steps = lambda choices, n: grid(rng.choice(choices, n))
    add("n5_exact", acc(5, 0.82), acc(5, 0.80))
    x = grid(acc(5, 0.85))
    add("n5_zero_permutation", x, x - grid([0.03, 0.0, -0.01, 0.05, 0.02]))
    x = grid(acc(8, 0.8))
    add("n8_ties_permutation", x, x - grid([0.02, 0.02, -0.01, 0.03, 0.01, 0.02, -0.01, 0.04]))
    add("n10_exact", acc(10, 0.75), acc(10, 0.70))
    x = grid(acc(13, 0.9))
    add("n13_ties_zeros_permutation", x, x - steps([-0.02, -0.01, 0.0, 0.01, 0.02, 0.03], 13))
    x = grid(acc(14, 0.9))
    add("n14_ties_normal", x, x - steps([-0.02, -0.01, 0.01, 0.02, 0.03], 14))
    add("n20_exact", acc(20, 0.71), acc(20, 0.72))
    add("n30_tiny_p_exact", acc(30, 0.9), acc(30, 0.6))
    x = grid(acc(30, 0.8))
    add("n30_ties_zeros_normal", x, x - grid(rng.normal(0.01, 0.02, 30)))
    add("n50_exact", acc(50, 0.8), acc(50, 0.79))
    add("n51_normal", acc(51, 0.8), acc(51, 0.79))
    add("n60_normal", acc(60, 0.7), acc(60, 0.72))
    x = grid(acc(60, 0.7))
    add("n60_ties_zeros_normal", x, x + grid(rng.normal(0.005, 0.015, 60)))
    add("n2_exact", [0.9, 0.8], [0.85, 0.82])
    for case in cases:
        assert case["name"].split("_")[-1] == case["wilcoxon_method"], case["name"]
    return cases


def holm_cases():
    rng = np.random.default_rng(7)
    lists = [
        [0.01, 0.04, 0.03, 0.005],
        [0.02, 0.02, 0.5, 0.001],
        [0.3, 0.6, 0.9],
        [0.04],
        [0.0, 1.0, 0.5, 0.25],
        rng.uniform(0, 0.2, 20).tolist(),
    ]
    return [{"p": p, "adjusted": multipletests(p, method="holm")[1].tolist()} for p in lists]


def special_cases():
    beta = []
    for a in [0.5, 1.0, 2.5, 10.0, 30.0]:
        for b in [0.5, 1.0, 3.0, 29.5]:
            for x in [1e-6, 0.01, 0.3, 0.5, 0.9, 0.999]:
                beta.append({"a": a, "b": b, "x": x, "value": float(special.betainc(a, b, x))})
    t_cdf = []
    t_ppf = []
    for df in [1.0, 2.0, 4.0, 9.0, 29.0, 59.0, 200.0]:
        for t in [-40.0, -3.0, -0.5, 0.0, 0.7, 2.1, 8.0]:
            t_cdf.append({"t": t, "df": df, "cdf": float(stats.t.cdf(t, df)), "sf": float(stats.t.sf(t, df))})
        for p in [1e-10, 0.001, 0.025, 0.3, 0.5, 0.9, 0.975, 0.999999]:
            t_ppf.append({"p": p, "df": df, "ppf": float(stats.t.ppf(p, df))})
    return {"betainc": beta, "t_cdf": t_cdf, "t_ppf": t_ppf}


def paired():
    write("paired.json", {"cases": paired_cases(), "holm": holm_cases(), "special": special_cases()})


if __name__ == "__main__":
    quadrature()
    paired()
    theory()
