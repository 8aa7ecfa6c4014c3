import type { Config } from '../search/space.js';
import type { Decision, Metrics } from '../search/types.js';
import type { LauncherType, Spec } from '../spec/types.js';
import type { TrialHandle } from '../trial/protocol.js';
import type { Json } from '../util/json.js';
import { applyPatch, isPatch, type Patch } from '../util/json-patch.js';
import { afterFiring } from '../schedule/trigger.js';
import type { ScheduleState } from '../schedule/types.js';
import type { StoredSchedule, TrialSchedule } from '../schedule/trial-schedule.js';

/** 2: strategies with options, waiting trials, results delivered to the strategies once. 1 loads unchanged. */
export const SESSION_SCHEMA = 2;

export type SessionStatus = 'running' | 'paused' | 'completed' | 'failed';
/** waiting: paused by the scheduler at a rung, until it is promoted (resumes) or stopped. */
export type TrialStatus = 'pending' | 'running' | 'paused' | 'waiting' | 'completed' | 'stopped' | 'failed';

export interface CheckpointRecord {
  iteration: number;
  /** Relative to the trial directory when inside it. */
  path: string;
  sha256: string;
  bytes: number;
  /** Where the trial stood in its schedule when this checkpoint was taken: a restart gets it back. */
  schedule?: ScheduleState | null;
}

export interface TrialRecord {
  id: string;
  index: number;
  config: Config;
  seed: number;
  status: TrialStatus;
  iteration: number;
  last: Metrics | null;
  best: { value: number; iteration: number } | null;
  checkpoint: CheckpointRecord | null;
  /** The checkpoint before `checkpoint` when it is another file: what a restart falls back to if the newest is damaged. */
  previous?: CheckpointRecord | null;
  /**
   * The weights of the trial's best report, when a checkpoint holds exactly them: kept in the trial's best/
   * folder, where its own pruning of old checkpoints cannot reach. What results and export name as its model.
   */
  bestCheckpoint?: CheckpointRecord | null;
  failures: number;
  /** Failures in a row since the trial last made progress (a checkpoint past the one it restarted from). */
  streak: number;
  error: string | null;
  pid: number | null;
  /** How the running trial is known outside tune (a local pid, a Slurm job and node); null when not running. */
  handle?: TrialHandle | null;
  schedule: TrialSchedule | null;
  /** The last iteration whose result reached the searcher and scheduler (each reaches them once); 0 for none. */
  delivered: number;
  /** What the scheduler decided at `delivered` (a promotion turns a 'pause' into 'continue'). */
  verdict: Decision | null;
  /** Where the scheduler has the trial: "rung 1 · 300 it", "bracket 2 · rung 0"; null under FIFO. */
  place: string | null;
  /** Paused one by one (space in the view, or tune pause DIR ID): it runs only once released. */
  held?: boolean;
}

/** The whole state of a session: what resume needs, as data (DESIGN §3). */
export interface SessionState {
  schema: number;
  id: string;
  experiment: string;
  createdAt: string;
  status: SessionStatus;
  spec: Spec;
  specRaw: Json;
  specFile: string | null;
  specHash: string;
  baseDir: string;
  searcher: { type: string; state: Json; finished: boolean };
  scheduler: { type: string; state: Json };
  /** tune train: the user's schedule file that gets the completed flags written back, or null. */
  scheduleWriteBack?: string | null;
  /** Every schedule file the spec names, as read when the session was created. */
  schedules: Record<string, StoredSchedule>;
  trials: TrialRecord[];
  /** Why the session last paused (p, Ctrl+C, pause_after, pause_when, a fault), while it is paused. */
  pauseReason?: string | null;
  /** Changes made on resume (--num-trials, --max-iters, --concurrency), oldest first. */
  history?: { at: string; change: string }[];
  /** The launcher the session last ran with (--launcher, or the spec's); absent before launchers existed. */
  launcher?: LauncherType;
  /** Sequence number of the last journal event folded into this state. */
  seq: number;
}

/**
 * A strategy's state after a decision that changed it, whole or (usually) as a patch against its state
 * before; absent when it did not change.
 */
type StrategyStates = { searcher?: Json; scheduler?: Json; searcherPatch?: Patch; schedulerPatch?: Patch; place?: string | null };

/** One line of events.jsonl. Every change of the session state is one of these (write-ahead journal). */
export type SessionEvent = { seq: number; t: number } & EventBody;

export type EventBody =
  | { type: 'session_started'; pid: number; launcher?: LauncherType }
  | { type: 'session_resumed'; pid: number; note?: string; launcher?: LauncherType }
  | ({ type: 'trial_created'; id: string; index: number; config: Config; seed: number; schedule?: TrialSchedule | null } & StrategyStates)
  | ({ type: 'searcher_finished' } & StrategyStates)
  | { type: 'trial_started'; id: string; pid: number; handle?: TrialHandle; fromIteration: number | null }
  /** The trial's handle became fully known after its start: its Slurm job began on a node. */
  | { type: 'trial_placed'; id: string; handle: TrialHandle }
  | ({ type: 'report'; id: string; iteration: number; metrics: Metrics; decision: Decision; fired?: number[]; delivered?: true; verdict?: Decision } & StrategyStates)
  | ({ type: 'trial_promoted'; id: string } & StrategyStates)
  | { type: 'schedule_applied'; id: string; iteration: number; index: number; name: string }
  | { type: 'schedule_restored'; id: string; state: ScheduleState }
  | { type: 'checkpoint'; id: string; checkpoint: CheckpointRecord }
  | { type: 'checkpoint_fallback'; id: string; reason: string }
  /** A copy (a hard link) of the checkpoint of the trial's best report, kept in its best/ folder; null: none is. */
  | { type: 'best_checkpoint'; id: string; checkpoint: CheckpointRecord | null }
  | { type: 'trial_paused'; id: string; iteration: number }
  | { type: 'trial_interrupted'; id: string; reason?: string }
  | ({ type: 'trial_completed'; id: string; iteration: number } & StrategyStates)
  | ({ type: 'trial_stopped'; id: string; iteration: number } & StrategyStates)
  | ({ type: 'trial_failed'; id: string; error: string; final: boolean } & StrategyStates)
  | ({ type: 'trial_reopened'; id: string; because: 'retry' | 'max_iters' } & StrategyStates)
  | { type: 'trial_held'; id: string }
  | { type: 'trial_released'; id: string }
  | { type: 'request_handled'; file: string; verb: string; trials: string[]; outcome: string }
  | { type: 'budget_changed'; num_trials?: number; max_iters?: number; concurrency?: number }
  | { type: 'pause_requested'; reason: string }
  | { type: 'session_paused' }
  | { type: 'session_finished'; status: 'completed' | 'failed' };

function patched(value: Json, patch: unknown, what: string): Json {
  if (!isPatch(patch)) throw new Error(`the ${what}'s state patch is malformed`);
  return applyPatch(value, patch);
}

function trial(state: SessionState, id: string): TrialRecord {
  const t = state.trials.find((x) => x.id === id);
  if (!t) throw new Error(`journal names trial ${id}, which the session does not have`);
  return t;
}

function better(mode: 'min' | 'max', a: number, b: number): boolean {
  return mode === 'min' ? a < b : a > b;
}

/** Folds one event into the state. The live run and resume's journal replay both go through here. */
export function applyEvent(state: SessionState, ev: SessionEvent): void {
  state.seq = ev.seq;
  if ('searcher' in ev && ev.searcher !== undefined) state.searcher.state = ev.searcher;
  if ('scheduler' in ev && ev.scheduler !== undefined) state.scheduler.state = ev.scheduler;
  if ('searcherPatch' in ev && ev.searcherPatch !== undefined) state.searcher.state = patched(state.searcher.state, ev.searcherPatch, 'searcher');
  if ('schedulerPatch' in ev && ev.schedulerPatch !== undefined) state.scheduler.state = patched(state.scheduler.state, ev.schedulerPatch, 'scheduler');
  switch (ev.type) {
    case 'session_started':
    case 'session_resumed':
      state.status = 'running';
      state.pauseReason = null;
      if (ev.launcher !== undefined) state.launcher = ev.launcher;
      break;
    case 'trial_created':
      state.trials.push({
        id: ev.id, index: ev.index, config: ev.config, seed: ev.seed, status: 'pending', iteration: 0, last: null,
        best: null, checkpoint: null, failures: 0, streak: 0, error: null, pid: null, schedule: ev.schedule ?? null,
        delivered: 0, verdict: null, place: ev.place ?? null,
      });
      break;
    case 'searcher_finished':
      state.searcher.finished = true;
      break;
    case 'trial_started': {
      const t = trial(state, ev.id);
      t.status = 'running';
      t.pid = ev.pid;
      t.handle = ev.handle ?? { launcher: 'local', pid: ev.pid };
      break;
    }
    case 'trial_placed':
      trial(state, ev.id).handle = ev.handle;
      break;
    case 'report': {
      const t = trial(state, ev.id);
      t.iteration = ev.iteration;
      t.last = ev.metrics;
      const v = ev.metrics[state.spec.metric];
      if (typeof v === 'number' && !Number.isNaN(v) && (t.best === null || better(state.spec.mode, v, t.best.value))) {
        t.best = { value: v, iteration: ev.iteration };
      }
      if (ev.delivered) {
        t.delivered = ev.iteration;
        t.verdict = ev.verdict ?? 'continue';
      }
      if (ev.place !== undefined) t.place = ev.place;
      if (ev.fired?.length && t.schedule) {
        t.schedule.state = afterFiring(t.schedule.state, ev.fired, ev.iteration, ev.metrics[state.spec.trial.schedule_metric] ?? null);
      }
      break;
    }
    case 'schedule_applied':
      break;
    case 'schedule_restored': {
      const t = trial(state, ev.id);
      if (t.schedule) t.schedule.state = ev.state;
      break;
    }
    case 'checkpoint': {
      const t = trial(state, ev.id);
      if (ev.checkpoint.iteration > (t.checkpoint?.iteration ?? 0)) t.streak = 0;
      if (t.checkpoint && t.checkpoint.path !== ev.checkpoint.path) t.previous = t.checkpoint;
      t.checkpoint = ev.checkpoint;
      break;
    }
    case 'best_checkpoint':
      trial(state, ev.id).bestCheckpoint = ev.checkpoint;
      break;
    case 'checkpoint_fallback': {
      const t = trial(state, ev.id);
      t.checkpoint = t.previous ?? null;
      t.previous = null;
      break;
    }
    case 'trial_paused':
    case 'trial_interrupted': {
      const t = trial(state, ev.id);
      t.status = t.verdict === 'pause' ? 'waiting' : 'paused';
      t.pid = null;
      t.handle = null;
      break;
    }
    case 'trial_promoted': {
      const t = trial(state, ev.id);
      t.verdict = 'continue';
      t.status = t.checkpoint ? 'paused' : 'pending';
      if (ev.place !== undefined) t.place = ev.place;
      break;
    }
    case 'trial_completed':
    case 'trial_stopped': {
      const t = trial(state, ev.id);
      t.status = ev.type === 'trial_completed' ? 'completed' : 'stopped';
      t.iteration = ev.iteration;
      t.pid = null;
      t.handle = null;
      if (ev.place !== undefined) t.place = ev.place;
      break;
    }
    case 'trial_failed': {
      const t = trial(state, ev.id);
      t.failures += 1;
      t.streak += 1;
      t.error = ev.error;
      // A trial that crashed on its way to wait at a rung still waits there: only a promotion runs it again.
      t.status = ev.final ? 'failed' : t.verdict === 'pause' ? 'waiting' : 'pending';
      t.pid = null;
      t.handle = null;
      break;
    }
    case 'trial_reopened': {
      // A failed trial's other chance (with a fresh count of failures in a row), or a completed one's larger
      // budget: either way it goes on from its last checkpoint.
      const t = trial(state, ev.id);
      if (t.status !== 'failed' && t.status !== 'completed') throw new Error(`trial ${ev.id} is reopened, but it is ${t.status}, not failed or completed`);
      t.status = t.checkpoint ? 'paused' : 'pending';
      t.streak = 0;
      if (ev.place !== undefined) t.place = ev.place;
      break;
    }
    case 'trial_held':
      trial(state, ev.id).held = true;
      break;
    case 'trial_released':
      trial(state, ev.id).held = false;
      break;
    case 'request_handled':
      break;
    case 'budget_changed': {
      const changes: string[] = [];
      for (const key of ['num_trials', 'max_iters', 'concurrency'] as const) {
        const v = ev[key];
        if (v === undefined || v === state.spec[key]) continue;
        changes.push(`${key} ${state.spec[key]} -> ${v}`);
        state.spec[key] = v;
      }
      if (ev.num_trials !== undefined && ev.num_trials > state.trials.length) state.searcher.finished = false;
      if (changes.length) (state.history ??= []).push({ at: new Date(ev.t).toISOString(), change: changes.join(', ') });
      break;
    }
    case 'pause_requested':
      state.pauseReason ??= ev.reason;
      break;
    case 'session_paused':
      state.status = 'paused';
      break;
    case 'session_finished':
      state.status = ev.status;
      break;
  }
}

/**
 * A trial's trained model: the checkpoint of its best report when tune kept one (TrialRecord.bestCheckpoint),
 * else its newest checkpoint; null before its first.
 */
export function modelCheckpoint(t: TrialRecord): CheckpointRecord | null {
  const kept = t.bestCheckpoint;
  return kept && t.best && kept.iteration === t.best.iteration ? kept : t.checkpoint;
}

/** The best trial by its best reported value of the spec's metric, ties to the lower id. */
export function bestTrial(state: SessionState): TrialRecord | null {
  let best: TrialRecord | null = null;
  for (const t of state.trials) {
    if (!t.best) continue;
    if (!best || better(state.spec.mode, t.best.value, (best.best as { value: number }).value)) best = t;
  }
  return best;
}
