import { strategyLabel } from '../spec/strategy.js';
import { appliedConfig, keysGrownBy } from '../session/applied-config.js';
import { readSessionHistory, SessionHistory } from '../session/history.js';
import { bestTrial, type SessionEvent, type SessionState, type TrialRecord } from '../session/state.js';
import { readLogTail, type LogTail } from '../session/trial-logs.js';
import { triggerText } from '../schedule/trigger.js';
import { describeHandle } from '../trial/protocol.js';
import type { TrialSchedule } from '../schedule/trial-schedule.js';
import { paramColumns, type ParamColumn } from './param-columns.js';
import type { ScheduleView, TrialCounts, TrialRow, ViewSnapshot } from './snapshot.js';

function scheduleView(s: TrialSchedule, iteration: number): ScheduleView {
  const next = s.state.completed.findIndex((c) => !c);
  const op = next >= 0 ? s.ops[next] : null;
  return {
    done: s.state.completed.filter(Boolean).length,
    total: s.ops.length,
    next: op ? { name: op.name, belowLoss: op.trigger_loss, inIters: op.max_wait_iters === null ? null : Math.max(0, s.state.lastFire + op.max_wait_iters - iteration) } : null,
    ops: s.ops.map((o, i) => {
      const fired = [...s.state.fired].reverse().find((f) => f.index === i) ?? null;
      return { name: o.name, value: o.value, desc: o.desc, when: triggerText(o), fired: s.state.completed[i] ? (fired ? { iteration: fired.iteration, loss: fired.loss } : { iteration: -1, loss: null }) : null };
    }),
  };
}

/** The job column: a job id of 7 digits and a short node name ("1234567@node07") before it is cut. */
const JOB_WIDTH = 14;

/** The rung column's width: "b12 →3/3 @2400" at worst, from the scheduler's largest budget. */
function rungWidth(state: SessionState): number | null {
  const sch = state.spec.scheduler;
  if (sch.type === 'fifo') return null;
  const label = `→9/9 @${sch.max_t}`.length;
  return sch.type === 'hyperband' ? label + 4 : label;
}

/** "1/3 · next change_lr" for the longest operation name of the session's schedules; null without any. */
function scheduleWidth(state: SessionState): number | null {
  const schedules = Object.values(state.schedules ?? {});
  if (schedules.length === 0) return null;
  const n = Math.max(1, ...schedules.map((sch) => sch.raw.length));
  const names = schedules.flatMap((sch) => sch.raw.map((op) => String(op.name)));
  return names.length ? Math.max(...names.map((name) => `${n}/${n} · next ${name}`.length)) : null;
}

const EMIT_EVERY_MS = 100;
const LOG_EVERY_MS = 1000;
/** Lines of the followed log kept in the snapshot: more than any detail view shows. */
const LOG_LINES = 40;

/** What the view reads a session through: the store a run drives, or a follower that only reads (tune view). */
export interface SessionSource {
  readonly dir: string;
  readonly state: SessionState;
  onEvent(listener: (ev: SessionEvent) => void): void;
}

export interface LiveViewSource {
  isPausing(): boolean;
  isQuitting(): boolean;
  isHeld(id: string): boolean;
}

/**
 * Keeps a read-only snapshot of the session for the UI, rebuilt from the store's events and handed out at
 * most ten times a second, so 64 trials reporting fast cost the orchestrator little. What the snapshot
 * needs from disk comes through the session layer, outside any render: the session's history (journal)
 * once at the start, and the followed trial's log tail once a second while its details are open.
 */
export class LiveView {
  private snapshot: ViewSnapshot;
  private readonly history: SessionHistory;
  private readonly params: ParamColumn[];
  private readonly scheduleWidth: number | null;
  private readonly listeners = new Set<() => void>();
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private lastEmit = 0;
  private pauseReason: string | null = null;
  private readonly startedAt = Date.now();
  private followed: string | null = null;
  private log: LogTail | null = null;
  private logTimer: NodeJS.Timeout | null = null;

  constructor(private readonly store: SessionSource, private readonly source: LiveViewSource, private readonly readOnly = false) {
    const spec = store.state.spec;
    // The journal already holds this run's start: the clock and the charts continue from earlier runs.
    this.history = readSessionHistory(store.dir, new SessionHistory(spec.metric, spec.mode));
    this.params = paramColumns(spec.search_space, keysGrownBy(store.state.schedules ?? {}));
    this.scheduleWidth = scheduleWidth(store.state);
    this.snapshot = this.build();
    store.onEvent((ev) => this.onEvent(ev));
  }

  getSnapshot = (): ViewSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Rebuild now and tell the listeners (commands from the keyboard want an immediate answer). */
  refresh(): void {
    this.dirty = true;
    this.flush();
  }

  /** Keeps the end of one trial's log in the snapshot, read now and then once a second; null stops. */
  followLog = (id: string | null): void => {
    if (id === this.followed) return;
    this.followed = id;
    this.log = null;
    if (this.logTimer) clearInterval(this.logTimer);
    this.logTimer = null;
    if (id === null) {
      this.refresh();
      return;
    }
    this.readLog();
    this.logTimer = setInterval(() => this.readLog(), LOG_EVERY_MS);
    this.logTimer.unref();
  };

  /** The session is over: the last changes reach the listeners now (the last trial's ✓ line), then nothing more. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.followLog(null);
    this.flush();
  }

  private readLog(): void {
    if (this.followed === null) return;
    const before = this.log;
    this.log = readLogTail(this.store.dir, this.followed, LOG_LINES, before);
    if (this.log !== before) this.refresh();
  }

  private onEvent(ev: SessionEvent): void {
    this.history.add(ev as Parameters<SessionHistory['add']>[0]);
    if (ev.type === 'pause_requested') this.pauseReason = ev.reason;
    this.dirty = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastEmit + EMIT_EVERY_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.lastEmit = Date.now();
    this.snapshot = this.build();
    for (const l of this.listeners) l();
  }

  private row(t: TrialRecord): TrialRow {
    const s = this.store.state;
    const applied = appliedConfig({ ...s.spec.trial.params, ...t.config }, t.schedule);
    return {
      id: t.id,
      status: t.status,
      pausing: t.status === 'running' && (this.source.isPausing() || this.source.isHeld(t.id)),
      held: this.source.isHeld(t.id),
      config: t.config,
      now: applied.now,
      changes: applied.changes,
      iteration: t.iteration,
      last: t.last,
      best: t.best?.value ?? null,
      atBest: this.history.atBest(t.id),
      failures: t.failures,
      error: t.error,
      history: this.history.seriesOf(t.id),
      schedule: t.schedule ? scheduleView(t.schedule, t.iteration) : null,
      place: t.place,
      where: t.status === 'running' && t.handle ? describeHandle(t.handle) : null,
      job: t.status === 'running' && t.handle?.launcher === 'slurm' ? (t.handle.job === null ? 'queued' : `${t.handle.job}${t.handle.node ? `@${t.handle.node}` : ''}`) : null,
    };
  }

  private build(): ViewSnapshot {
    const s = this.store.state;
    const rows = s.trials.map((t) => this.row(t));
    const count = (pred: (r: TrialRow) => boolean) => rows.filter(pred).length;
    // The pause message's counts (drive.ts), so the header and the message agree.
    const counts: TrialCounts = {
      done: count((r) => r.status === 'completed' || r.status === 'stopped'),
      running: count((r) => r.status === 'running'),
      paused: count((r) => r.status === 'paused'),
      held: count((r) => r.held && (r.status === 'paused' || r.status === 'pending')),
      pending: count((r) => r.status === 'pending'),
      notStarted: Math.max(0, s.spec.num_trials - s.trials.length),
      waiting: count((r) => r.status === 'waiting'),
      failed: count((r) => r.status === 'failed'),
    };
    const best = bestTrial(s);
    const atBest = best ? this.history.atBest(best.id) : null;
    return {
      experiment: s.experiment,
      strategy: strategyLabel(s.spec.searcher, s.spec.scheduler),
      sessionDir: this.store.dir,
      clock: this.history.clock(this.startedAt),
      metric: s.spec.metric,
      mode: s.spec.mode,
      maxIters: s.spec.max_iters,
      numTrials: s.spec.num_trials,
      params: this.params,
      metrics: [s.spec.metric, ...this.history.metrics.filter((m) => m !== s.spec.metric)],
      rungWidth: rungWidth(s),
      jobWidth: s.launcher === 'slurm' ? JOB_WIDTH : null,
      scheduleWidth: this.scheduleWidth,
      counts,
      best: best?.best ? { id: best.id, value: best.best.value, iteration: best.best.iteration, metrics: atBest?.metrics ?? null, config: best.config } : null,
      bestHistory: this.history.best.map((b) => b.value),
      trials: rows,
      pausing: this.source.isPausing(),
      quitting: this.source.isQuitting(),
      readOnly: this.readOnly,
      pauseReason: this.pauseReason,
      log: this.followed && this.log ? { id: this.followed, lines: this.log.lines } : null,
    };
  }
}
