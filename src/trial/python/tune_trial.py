"""The child side of tune's trial protocol, for trials written in Python (standard library only, 3.9+).

A trial is any program that tune starts with these environment variables set:

    TUNE_TRIAL_DIR         the trial's own folder (write checkpoints under it)
    TUNE_CONFIG            path of config.json: the hyperparameters of this trial
    TUNE_PAUSE_FILE        a file that exists while tune wants every trial to pause
    TUNE_CHECKPOINT        the checkpoint to resume from, or empty when starting fresh
    TUNE_SEED              the trial's seed (an integer)
    TUNE_TRIAL_ID          the trial's id, e.g. 0003
    TUNE_MAX_ITERS         train up to this iteration
    TUNE_EVAL_INTERVAL     report every this many iterations (a validation boundary)
    TUNE_CHECKPOINT_EVERY  save a checkpoint every this many boundaries (and always on pause)
    TUNE_PROTOCOL_CARRIER  fd3 or stdout: where protocol lines go (see below)

It writes one JSON object per line to file descriptor 3 (stdout and stderr stay free and go to the
trial's log files) and, after each report, reads one decision line from stdin:

    fd 3  -> {"type": "report", "iteration": 100, "metrics": {"val_loss": 0.25}}
    stdin <- {"decision": "continue"}          (or "stop", or "pause")
    fd 3  -> {"type": "checkpoint", "iteration": 100, "path": "checkpoints/ckpt-00000100.json"}
    fd 3  -> {"type": "paused", "iteration": 100}   then exit 0
    fd 3  -> {"type": "checkpoint", "iteration": 500, "path": "checkpoints/ckpt-00000500.json"}
    fd 3  -> {"type": "done", "iteration": 500}     then exit 0 (after the final checkpoint)

Trial.boundary(iteration, metrics, save) does all of this at a validation boundary.

Where fd 3 cannot reach tune (a Slurm job: srun forwards stdin, stdout and stderr only), tune sets
TUNE_PROTOCOL_CARRIER=stdout and the same lines go to stdout, each behind the prefix "@@tune@@ ":

    stdout -> @@tune@@ {"type": "report", "iteration": 100, "metrics": {"val_loss": 0.25}}

tune takes those lines out; everything else the trial prints still lands in stdout.log. Unset, the
client uses fd 3 when it is open and stdout otherwise.

Metrics are numbers. JSON has no NaN or infinity, so a value that is not finite (a diverged loss) is sent
as null: tune keeps it in the trial's history, shows it as "nan" and never counts it as the best.

When tune is gone (stdin closed, or fd 3 broken) the trial exits with code 75 at once: its last
checkpoint is where a resume starts.
"""

import json
import math
import numbers
import os
import stat
import sys

PROTOCOL_FD = 3
PROTOCOL_LINE_PREFIX = b"@@tune@@ "
EXIT_TUNE_GONE = 75
DECISIONS = ("continue", "stop", "pause")


def _need(name):
    value = os.environ.get(name)
    if value is None:
        raise RuntimeError(f"{name} is not set: this program is a tune trial; start it through tune")
    return value


def _carrier():
    """fd3 or stdout, as tune says in TUNE_PROTOCOL_CARRIER; unset: fd 3 when it is open, else stdout."""
    value = os.environ.get("TUNE_PROTOCOL_CARRIER", "")
    if value in ("fd3", "stdout"):
        return value
    if value:
        raise RuntimeError(f"TUNE_PROTOCOL_CARRIER is {value!r}, but must be fd3 or stdout")
    try:
        mode = os.fstat(PROTOCOL_FD).st_mode
    except OSError:
        return "stdout"
    # only a pipe, socket or file there is a carrier someone gave the trial
    return "fd3" if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISREG(mode) else "stdout"


def write_atomic(path, data):
    """Writes `data` (str or bytes) to `path` so that a crash leaves the old file or the new one, never a mix."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    try:  # make the rename itself durable; some filesystems refuse fsync on a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


class Trial:
    """One trial's view of tune: `config`, `report` at each boundary, checkpoints, `paused` or `done`."""

    def __init__(self):
        self.trial_dir = _need("TUNE_TRIAL_DIR")
        self.trial_id = os.environ.get("TUNE_TRIAL_ID", "")
        self.pause_file = _need("TUNE_PAUSE_FILE")
        ckpt = os.environ.get("TUNE_CHECKPOINT", "")
        self.checkpoint = os.path.join(self.trial_dir, ckpt) if ckpt else None  # join keeps absolute paths
        self.seed = int(_need("TUNE_SEED"))
        self.max_iters = int(_need("TUNE_MAX_ITERS"))
        self.eval_interval = int(_need("TUNE_EVAL_INTERVAL"))
        self.checkpoint_every = int(os.environ.get("TUNE_CHECKPOINT_EVERY") or "1")
        with open(_need("TUNE_CONFIG"), encoding="utf-8") as f:
            self.config = json.load(f)
        self._on_operation = None
        self._on_reevaluate = None
        self.carrier = _carrier()

    def on_operation(self, hook):
        """Registers how this trial applies a scheduled operation: hook({"index", "name", "value"}).

        tune sends the operations of the trial's scaling schedule with its decisions; the hook applies
        one (multiply the learning rate, grow the model, ...) and raises if it cannot."""
        self._on_operation = hook

    def on_reevaluate(self, hook):
        """Registers how this trial evaluates again right after an operation marked reevaluate: hook() -> metrics."""
        self._on_reevaluate = hook

    def _send(self, message):
        data = (json.dumps(message, allow_nan=False) + "\n").encode("utf-8")
        fd = PROTOCOL_FD
        if self.carrier == "stdout":
            fd = 1
            data = PROTOCOL_LINE_PREFIX + data
            try:  # the trial's own prints first, in the order it made them
                sys.stdout.flush()
            except (OSError, ValueError):
                pass
        try:
            while data:
                data = data[os.write(fd, data):]
        except OSError:  # the read end is closed (or fd 3 was never open): tune is gone
            sys.exit(EXIT_TUNE_GONE)

    def report(self, iteration, metrics):
        """Reports metrics at a validation boundary; returns tune's decision: continue, stop or pause.

        Scheduled operations that come with the decision are applied through the on_operation hook first;
        when tune asks for a reevaluation, the trial evaluates (on_reevaluate) and reports again, and the
        decision to that report is the one returned."""
        while True:
            self._send({"type": "report", "iteration": _iteration(iteration), "metrics": _clean(metrics)})
            line = sys.stdin.readline()
            if not line:  # stdin closed: tune is gone
                sys.exit(EXIT_TUNE_GONE)
            message = json.loads(line)
            decision = message.get("decision")
            if decision not in DECISIONS:
                raise RuntimeError(f"unexpected decision from tune: {line.strip()}")
            for op in message.get("operations", []):
                if self._on_operation is None:
                    raise RuntimeError(f"tune sent the scheduled operation {op['name']}, but this trial has no on_operation hook")
                self._on_operation(op)
                self._send({"type": "schedule", "iteration": iteration, "index": op["index"], "name": op["name"]})
            if not message.get("reevaluate"):
                return decision
            if self._on_reevaluate is None:
                raise RuntimeError("tune asked for a reevaluation, but this trial has no on_reevaluate hook")
            metrics = self._on_reevaluate()

    def pause_requested(self):
        """True while tune asks every trial to pause (checked at each validation boundary)."""
        return os.path.exists(self.pause_file)

    def checkpoint_due(self, iteration):
        """True at the boundaries where TUNE_CHECKPOINT_EVERY asks for a checkpoint."""
        boundary = -(-iteration // self.eval_interval)  # ceil: the last, shorter interval counts as one
        return boundary % self.checkpoint_every == 0

    def checkpoint_saved(self, path, iteration):
        """Tells tune a complete checkpoint is on disk (inside the trial folder; path absolute or relative to it)."""
        self._send({"type": "checkpoint", "iteration": _iteration(iteration), "path": str(path)})

    def boundary(self, iteration, metrics, save):
        """One validation boundary as the protocol wants it: report, obey the decision, keep checkpoints.

        `save()` writes a complete checkpoint of the state after this boundary (atomically, inside the trial
        folder) and returns its path. At the end (iteration >= max_iters, or the decision was stop) the final
        checkpoint is saved and announced before `done`, so the trained model is kept; on a pause (decided,
        or the pause file) one is saved and announced before `paused`. Either way the process exits 0.
        Otherwise a checkpoint is saved when checkpoint_due says so, and training goes on."""
        decision = self.report(iteration, metrics)
        if decision == "stop" or iteration >= self.max_iters:
            self.done(iteration, checkpoint=save())
        pause = decision == "pause" or self.pause_requested()
        if pause or self.checkpoint_due(iteration):
            self.checkpoint_saved(save(), iteration)
        if pause:
            self.paused(iteration)

    def paused(self, iteration):
        """Call after saving the pause checkpoint: tells tune and exits 0."""
        self._send({"type": "paused", "iteration": _iteration(iteration)})
        sys.exit(0)

    def done(self, iteration, checkpoint=None):
        """Call when training ends (max_iters reached, or the decision was stop): tells tune and exits 0.

        Give the path of the final checkpoint (saved after the last iteration) as `checkpoint`: it is
        announced first, so tune journals it and the trained model is kept."""
        if checkpoint is not None:
            self.checkpoint_saved(checkpoint, iteration)
        self._send({"type": "done", "iteration": _iteration(iteration)})
        sys.exit(0)


def _clean(metrics):
    clean = {}
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"metric {name!r} is {value!r}, but metrics must be numbers")
        value = int(value) if isinstance(value, numbers.Integral) else float(value)  # numpy scalars too
        clean[str(name)] = value if math.isfinite(value) else None
    return clean


def _iteration(iteration):
    if isinstance(iteration, bool) or not isinstance(iteration, int) or iteration < 0:
        raise ValueError(f"iteration is {iteration!r}, but must be a whole number >= 0")
    return iteration
