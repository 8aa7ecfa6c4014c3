"""A tune trial in pure Python: logistic regression trained by minibatch SGD on generated data.

Hyperparameters (config.json, all optional): lr, l2, batch_size. One iteration is one SGD step.
The full training state (weights, RNG state, data order and position, iteration) is saved as JSON at
checkpoint boundaries and on pause, so a resumed trial continues bit for bit.
"""

import json
import math
import os
import random
import sys

# The client ships with tune in src/trial/python; find it from this file, so no install is needed.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "trial", "python"))
import tune_trial  # noqa: E402

DEFAULTS = {"lr": 0.1, "l2": 0.0, "batch_size": 16}
DATA_SEED = 20240601  # the problem is the same for every trial; TUNE_SEED drives init and data order
FEATURES, N_TRAIN, N_VAL = 8, 512, 256
FORMAT, VERSION = "tune-python-logreg", 2


def make_data():
    rng = random.Random(DATA_SEED)
    true_w = [rng.gauss(0.0, 1.0) for _ in range(FEATURES)]

    def sample(n):
        xs, ys = [], []
        for _ in range(n):
            x = [rng.gauss(0.0, 1.0) for _ in range(FEATURES)]
            z = sum(wi * xi for wi, xi in zip(true_w, x)) + rng.gauss(0.0, 1.0)  # label noise
            xs.append(x)
            ys.append(1.0 if z > 0 else 0.0)
        return xs, ys

    return sample(N_TRAIN), sample(N_VAL)


def read_hyper(config):
    h = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in config:
            v = config[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"config {key} is {v!r}, but must be a finite number")
            h[key] = v
    if not isinstance(h["batch_size"], int) or h["batch_size"] < 1:
        raise ValueError(f"config batch_size is {h['batch_size']!r}, but must be a whole number >= 1")
    if h["lr"] <= 0 or h["l2"] < 0:
        raise ValueError(f"config lr must be > 0 and l2 >= 0 (got lr={h['lr']!r}, l2={h['l2']!r})")
    return h


def logit(w, b, x):
    return sum(wi * xi for wi, xi in zip(w, x)) + b


def log_loss(z, y):
    """-log p(y | z) for a logistic model, without overflow: softplus(z) - y*z."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y * z


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def evaluate(w, b, data):
    xs, ys = data
    loss, correct = 0.0, 0
    for x, y in zip(xs, ys):
        z = logit(w, b, x)
        loss += log_loss(z, y)
        correct += (z > 0) == (y == 1.0)
    return loss / len(xs), correct / len(xs)


def state_to_json(s):
    version, internal, gauss_next = s["rng"].getstate()
    return {"format": FORMAT, "version": VERSION, "iteration": s["iteration"], "w": s["w"], "b": s["b"], "h": s["h"],
            "rng": [version, list(internal), gauss_next], "perm": s["perm"], "cursor": s["cursor"]}


def state_from_json(path):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    if d.get("format") != FORMAT or d.get("version") != VERSION:
        raise ValueError(f"{path}: not a {FORMAT} checkpoint of version {VERSION}")
    rng = random.Random()
    version, internal, gauss_next = d["rng"]
    rng.setstate((version, tuple(internal), gauss_next))
    return {"iteration": d["iteration"], "w": d["w"], "b": d["b"], "h": d["h"], "rng": rng, "perm": d["perm"], "cursor": d["cursor"]}


def save_checkpoint(ckpt_dir, s):
    """Writes checkpoints/ckpt-<iteration>.json atomically and keeps it and the one before it."""
    name = f"ckpt-{s['iteration']:08d}.json"
    path = os.path.join(ckpt_dir, name)
    # repr of a float round-trips exactly; allow_nan=False refuses to write non-standard JSON.
    tune_trial.write_atomic(path, json.dumps(state_to_json(s), allow_nan=False) + "\n")
    # Keep the one before too: tune may not have recorded this one yet if it dies right now.
    # Later ones (left by a run that crashed ahead) are overwritten when training gets there again.
    older = sorted(f for f in os.listdir(ckpt_dir) if f.startswith("ckpt-") and f.endswith(".json") and f < name)
    for f in older[:-1]:
        os.remove(os.path.join(ckpt_dir, f))
    return path


def main():
    trial = tune_trial.Trial()
    h = read_hyper(trial.config)
    train, val = make_data()
    ckpt_dir = os.path.join(trial.trial_dir, "checkpoints")
    os.makedirs(ckpt_dir, exist_ok=True)

    if trial.checkpoint:
        s = state_from_json(trial.checkpoint)
        print(f"resuming from {trial.checkpoint} at iteration {s['iteration']}", flush=True)
    else:
        rng = random.Random(trial.seed)
        perm = list(range(N_TRAIN))
        rng.shuffle(perm)
        s = {"iteration": 0, "w": [rng.gauss(0.0, 0.1) for _ in range(FEATURES)], "b": 0.0, "h": h,
             "rng": rng, "perm": perm, "cursor": 0}

    # Scheduled operations change the hyperparameters in force, which travel in the checkpoint.
    def apply(op):
        param = {"change_lr": "lr", "set_lr": "lr", "change_weight_decay": "l2", "set_weight_decay": "l2",
                 "change_batch_size": "batch_size", "set_batch_size": "batch_size"}.get(op["name"])
        if param is None:
            raise ValueError(f"this trial cannot apply {op['name']}")
        new = s["h"][param] * op["value"] if op["name"].startswith("change_") else op["value"]
        s["h"][param] = max(1, round(new)) if param == "batch_size" else new
        print(f"operation at iteration {s['iteration']}: {op['name']} {op['value']} -> {param} {s['h'][param]}", flush=True)

    trial.on_operation(apply)
    trial.on_reevaluate(lambda: dict(zip(("val_loss", "val_acc"), evaluate(s["w"], s["b"], val))))
    xs, ys = train
    while s["iteration"] < trial.max_iters:
        lr, l2, bs = s["h"]["lr"], s["h"]["l2"], s["h"]["batch_size"]
        steps = min(trial.eval_interval, trial.max_iters - s["iteration"])
        train_loss = 0.0
        for _ in range(steps):
            gw, gb, batch_loss = [0.0] * FEATURES, 0.0, 0.0
            for _ in range(bs):
                if s["cursor"] == N_TRAIN:  # an epoch ends: reshuffle
                    s["rng"].shuffle(s["perm"])
                    s["cursor"] = 0
                i = s["perm"][s["cursor"]]
                s["cursor"] += 1
                z = logit(s["w"], s["b"], xs[i])
                batch_loss += log_loss(z, ys[i])
                err = sigmoid(z) - ys[i]
                for j in range(FEATURES):
                    gw[j] += err * xs[i][j]
                gb += err
            s["w"] = [wj - lr * (gj / bs + l2 * wj) for wj, gj in zip(s["w"], gw)]
            s["b"] -= lr * gb / bs
            train_loss += batch_loss / bs
        s["iteration"] += steps

        val_loss, val_acc = evaluate(s["w"], s["b"], val)
        print(f"iteration {s['iteration']}: val_loss={val_loss} val_acc={val_acc}", flush=True)
        # Report; then save (a final checkpoint at the end, one before a pause, else when due) and obey.
        metrics = {"val_loss": val_loss, "val_acc": val_acc, "train_loss": train_loss / steps}
        trial.boundary(s["iteration"], metrics, lambda: save_checkpoint(ckpt_dir, s))
    trial.done(s["iteration"])


if __name__ == "__main__":
    main()  # an error ends the trial with a traceback; its last line becomes tune's failure message
