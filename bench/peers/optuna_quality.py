#!/usr/bin/python3
"""
Optuna peer for bench/search-quality.ts: one sampler (random, TPE, multivariate TPE) on the black-box test
functions of bench/problems.ts (Branin, Hartmann-6; the same formulas, written again here), every seed in
this one process. Prints one JSON object on stdout:

  {"optuna_version", "python", "executable", "method", "fix_logpdf", "trials",
   "runs": [{"problem", "seed", "best": {"<checkpoint>": best value after that many trials}, "cpu_s", "wall_s"}]}

cpu_s / wall_s: this process's CPU time (time.process_time) and wall time spent inside Optuna for the whole
study (create_study, ask, suggest_float, tell), the objective's own evaluation excluded.

Run with Debian's /usr/bin/python3 (python3-optuna 3.1 lives there), for example:
  /usr/bin/python3 bench/peers/optuna_quality.py --method tpe --seeds 0,1,2 --trials 100 --checkpoints 50,100

--fix-logpdf: run Optuna with one known bug of its TPE fixed, for an apples-to-apples comparison with ours.
Optuna 3.1 computes a continuous kernel's truncated-normal log-density without its -log(scale) term
(optuna/samplers/_tpe/_truncnorm.py logpdf; github.com/optuna/optuna/issues/5109, fixed upstream by pull
request #5110, merged November 2023), so its Parzen mixtures are not normalised: a wide kernel counts more
than a narrow one of the same weight. Our TPE computes the normalised density. The flag replaces that one
function, in this process only, by the fixed one (the same minus log(scale)); nothing else changes.

Samplers, with Optuna 3.1's defaults written out (they are the values bench/search-quality.ts gives ours):
  random  RandomSampler(seed)
  tpe     TPESampler(seed, n_startup_trials=10, n_ei_candidates=24, prior_weight=1.0, consider_magic_clip=True,
          consider_endpoints=False, constant_liar=False)
  tpe-mv  the same with multivariate=True
"""
import argparse
import json
import math
import platform
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # multivariate=True is an ExperimentalWarning in 3.1

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

# ------------------------------------------------------------------------------------------------ problems

_B = 5.1 / (4 * math.pi ** 2)
_C = 5 / math.pi
_T = 1 / (8 * math.pi)


def branin(x):
    x1, x2 = x["x1"], x["x2"]
    return (x2 - _B * x1 * x1 + _C * x1 - 6) ** 2 + 10 * (1 - _T) * math.cos(x1) + 10


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
P = [[p * 1e-4 for p in row] for row in [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]]


def hartmann6(x):
    v = [x["x%d" % j] for j in range(6)]
    h = 0.0
    for i in range(4):
        inner = sum(A[i][j] * (v[j] - P[i][j]) ** 2 for j in range(6))
        h -= ALPHA[i] * math.exp(-inner)
    return h


# name -> (function, [(param, low, high)] in suggestion order, as bench/problems.ts's spaces)
PROBLEMS = {
    "branin": (branin, [("x1", -5.0, 10.0), ("x2", 0.0, 15.0)]),
    "hartmann6": (hartmann6, [("x%d" % j, 0.0, 1.0) for j in range(6)]),
}


def fix_logpdf():
    """Optuna #5110's fix of the truncated-normal log-density (see the module docstring)."""
    import numpy as np
    from optuna.samplers._tpe import _truncnorm

    unscaled = _truncnorm.logpdf

    def logpdf(x, a, b, loc=0, scale=1):
        return unscaled(x, a, b, loc, scale) - np.log(scale)

    _truncnorm.logpdf = logpdf


def sampler(method, seed):
    if method == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if method in ("tpe", "tpe-mv"):
        return optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=10,
            n_ei_candidates=24,
            prior_weight=1.0,
            consider_magic_clip=True,
            consider_endpoints=False,
            multivariate=(method == "tpe-mv"),
            constant_liar=False,
        )
    raise SystemExit("unknown method %r" % method)


def run(problem, method, seed, trials, checkpoints):
    f, params = PROBLEMS[problem]
    cpu = 0.0
    wall = 0.0
    c0, w0 = time.process_time(), time.perf_counter()
    study = optuna.create_study(direction="minimize", sampler=sampler(method, seed))
    cpu += time.process_time() - c0
    wall += time.perf_counter() - w0
    best = math.inf
    out = {}
    for n in range(1, trials + 1):
        c0, w0 = time.process_time(), time.perf_counter()
        trial = study.ask()
        x = {name: trial.suggest_float(name, low, high) for name, low, high in params}
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        value = f(x)
        c0, w0 = time.process_time(), time.perf_counter()
        study.tell(trial, value)
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        best = min(best, value)
        if n in checkpoints:
            out[str(n)] = best
    return {"problem": problem, "seed": seed, "best": out, "cpu_s": cpu, "wall_s": wall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", required=True, choices=["random", "tpe", "tpe-mv"])
    ap.add_argument("--seeds", required=True, help="comma-separated integers")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--checkpoints", default="50,100")
    ap.add_argument("--problems", default="branin,hartmann6")
    ap.add_argument("--fix-logpdf", action="store_true", help="apply optuna#5110's fix (see above)")
    a = ap.parse_args()
    if a.fix_logpdf:
        fix_logpdf()
    seeds = [int(s) for s in a.seeds.split(",") if s != ""]
    checkpoints = {int(c) for c in a.checkpoints.split(",")}
    runs = []
    for problem in a.problems.split(","):
        for seed in seeds:
            runs.append(run(problem, a.method, seed, a.trials, checkpoints))
    json.dump({
        "optuna_version": optuna.__version__,
        "python": platform.python_version(),
        "executable": sys.executable,
        "method": a.method,
        "fix_logpdf": a.fix_logpdf,
        "trials": a.trials,
        "runs": runs,
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
