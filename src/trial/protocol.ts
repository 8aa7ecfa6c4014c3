/**
 * The trial protocol (DESIGN §4), shared by tune and the TypeScript client. A trial writes one JSON
 * object per line to its protocol carrier and reads one decision per report from stdin. The carrier is
 * file descriptor 3 when the trial runs beside tune, or stdout, each line behind PROTOCOL_LINE_PREFIX, when
 * something between them forwards only stdin, stdout and stderr (Slurm's srun): the launcher says which
 * in TUNE_PROTOCOL_CARRIER. One protocol, two carriers.
 */
export type TrialMessage =
  | { type: 'report'; iteration: number; metrics: Record<string, number | null> }
  | { type: 'checkpoint'; iteration: number; path: string }
  | { type: 'schedule'; iteration: number; index: number; name: string }
  | { type: 'paused'; iteration: number }
  | { type: 'done'; iteration: number };

/** A scheduled operation sent with a decision: the trial applies it before it trains on (DESIGN §6). */
export interface OperationMessage {
  index: number;
  name: string;
  value: number;
}

/**
 * tune's answer to a report. With `operations`, the trial applies them first; with `reevaluate`, it then
 * evaluates again and reports the same iteration once more, and obeys the decision to that report instead.
 */
export type DecisionMessage = { decision: 'continue' | 'stop' | 'pause'; operations?: OperationMessage[]; reevaluate?: boolean };

export const ENV = {
  trialDir: 'TUNE_TRIAL_DIR',
  config: 'TUNE_CONFIG',
  pauseFile: 'TUNE_PAUSE_FILE',
  checkpoint: 'TUNE_CHECKPOINT',
  seed: 'TUNE_SEED',
  trialId: 'TUNE_TRIAL_ID',
  maxIters: 'TUNE_MAX_ITERS',
  evalInterval: 'TUNE_EVAL_INTERVAL',
  checkpointEvery: 'TUNE_CHECKPOINT_EVERY',
  /** `fd3` or `stdout`: where the trial writes its protocol lines (unset: fd 3 when it is open, else stdout). */
  carrier: 'TUNE_PROTOCOL_CARRIER',
} as const;

export const PROTOCOL_FD = 3;

export type Carrier = 'fd3' | 'stdout';

/**
 * What starts a protocol line on the stdout carrier: `@@tune@@ {"type":"report",...}`. Whatever precedes it
 * on the same line is the trial's own output (a print without a newline before a report), and goes to
 * stdout.log with everything else the trial prints; the prefix and the JSON after it never do.
 */
export const PROTOCOL_LINE_PREFIX = '@@tune@@ ';

/**
 * How a trial is known outside tune while it runs (DESIGN §4), journalled with trial_started and shown by
 * the views: a local process, or a Slurm job and the node it runs on (null until the job has started).
 */
export type TrialHandle =
  | { launcher: 'local'; pid: number }
  | { launcher: 'slurm'; job: string | null; node: string | null };

/** Started, but not running yet: a Slurm job waiting in the queue. */
export function isQueued(h: TrialHandle): boolean {
  return h.launcher === 'slurm' && h.job === null;
}

/** The handle as people read it: "pid 4242", "job 17 on node07", "job (queued)". */
export function describeHandle(h: TrialHandle): string {
  if (h.launcher === 'local') return `pid ${h.pid}`;
  return h.job === null ? 'Slurm job (queued)' : `job ${h.job}${h.node ? ` on ${h.node}` : ''}`;
}

/** Parses and checks one line from a trial; returns an error string for anything malformed. */
export function parseTrialMessage(line: string): TrialMessage | string {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return `not JSON: ${line.slice(0, 120)}`;
  }
  if (typeof m !== 'object' || m === null) return `not an object: ${line.slice(0, 120)}`;
  const o = m as Record<string, unknown>;
  const it = o.iteration;
  if (typeof it !== 'number' || !Number.isInteger(it) || it < 0) return `"iteration" must be a whole number >= 0 in ${line.slice(0, 120)}`;
  switch (o.type) {
    case 'report': {
      const metrics = o.metrics;
      if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return `report without a "metrics" object: ${line.slice(0, 120)}`;
      // JSON has no NaN or Infinity: a diverged value travels as null and is kept, never the best.
      for (const [k, v] of Object.entries(metrics)) {
        if (typeof v !== 'number' && v !== null) return `metric "${k}" is ${JSON.stringify(v)}, but metrics must be numbers (or null for NaN/Infinity)`;
      }
      return { type: 'report', iteration: it, metrics: metrics as Record<string, number | null> };
    }
    case 'checkpoint':
      if (typeof o.path !== 'string' || o.path === '') return `checkpoint without a "path": ${line.slice(0, 120)}`;
      return { type: 'checkpoint', iteration: it, path: o.path };
    case 'schedule':
      if (typeof o.index !== 'number' || !Number.isInteger(o.index) || o.index < 0 || typeof o.name !== 'string') {
        return `schedule message needs "index" and "name": ${line.slice(0, 120)}`;
      }
      return { type: 'schedule', iteration: it, index: o.index, name: o.name };
    case 'paused':
    case 'done':
      return { type: o.type, iteration: it };
    default:
      return `unknown message type ${JSON.stringify(o.type)}`;
  }
}
