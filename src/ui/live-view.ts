import { strategyLabel } from '../spec/strategy.js';
import { readFileSync, existsSync } from 'node:fs';
import { trialPaths } from '../session/layout.js';
import { bestTrial, type SessionEvent } from '../session/state.js';
import type { SessionStore } from '../session/store.js';
import type { ScheduleView, TrialRow, ViewSnapshot } from './snapshot.js';
import { scheduleProgress, triggerText } from '../schedule/trigger.js';
import type { TrialSchedule } from '../schedule/trial-schedule.js';

function scheduleView(s: TrialSchedule, iteration: number): ScheduleView {
  return {
    progress: scheduleProgress(s.ops, s.state, iteration),
    ops: s.ops.map((op, i) => {
      const fired = [...s.state.fired].reverse().find((f) => f.index === i) ?? null;
      return { name: op.name, value: op.value, desc: op.desc, when: triggerText(op), fired: s.state.completed[i] ? (fired ? { iteration: fired.iteration, loss: fired.loss } : { iteration: -1, loss: null }) : null };
    }),
  };
}

const HISTORY = 120;
const EMIT_EVERY_MS = 100;

export interface LiveViewSource {
  isPausing(): boolean;
  isQuitting(): boolean;
  isHeld(id: string): boolean;
}

/**
 * Keeps a read-only snapshot of the session for the UI, rebuilt from the store's events and handed out at
 * most ten times a second, so 64 trials reporting fast cost the orchestrator little.
 */
export class LiveView {
  private snapshot: ViewSnapshot;
  private readonly history = new Map<string, [number, number][]>();
  private readonly bestHistory: number[] = [];
  private readonly listeners = new Set<() => void>();
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private lastEmit = 0;
  private pauseReason: string | null = null;
  private readonly startedAt = Date.now();

  constructor(private readonly store: SessionStore, private readonly source: LiveViewSource) {
    this.loadHistory();
    this.snapshot = this.build();
    store.onEvent((ev) => this.onEvent(ev));
  }

  /** On resume the charts continue from what the trials reported before. */
  private loadHistory(): void {
    const metric = this.store.state.spec.metric;
    for (const t of this.store.state.trials) {
      const file = trialPaths(this.store.dir, t.id).metrics;
      if (!existsSync(file)) continue;
      const values: [number, number][] = [];
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const m = JSON.parse(line) as Record<string, number>;
          if (typeof m[metric] === 'number') values.push([m.iteration, m[metric]]);
        } catch { /* a torn line */ }
      }
      this.history.set(t.id, values.slice(-HISTORY));
    }
    const best = bestTrial(this.store.state);
    if (best?.best) this.bestHistory.push(best.best.value);
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

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private onEvent(ev: SessionEvent): void {
    if (ev.type === 'report') {
      // A trial restarted from an older checkpoint repeats boundaries: drop what it is redoing.
      const h = (this.history.get(ev.id) ?? []).filter(([it]) => it < ev.iteration);
      const v = ev.metrics[this.store.state.spec.metric];
      if (typeof v === 'number') h.push([ev.iteration, v]);
      this.history.set(ev.id, h.slice(-HISTORY));
      const best = bestTrial(this.store.state);
      const last = this.bestHistory[this.bestHistory.length - 1];
      if (best?.best && best.best.value !== last) {
        this.bestHistory.push(best.best.value);
        if (this.bestHistory.length > HISTORY) this.bestHistory.shift();
      }
    }
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

  private build(): ViewSnapshot {
    const s = this.store.state;
    const pausing = this.source.isPausing();
    const rows: TrialRow[] = s.trials.map((t) => ({
      id: t.id,
      status: t.status,
      pausing: t.status === 'running' && (pausing || this.source.isHeld(t.id)),
      held: this.source.isHeld(t.id),
      config: t.config,
      iteration: t.iteration,
      last: t.last,
      best: t.best?.value ?? null,
      failures: t.failures,
      error: t.error,
      history: (this.history.get(t.id) ?? []).map(([, v]) => v),
      schedule: t.schedule ? scheduleView(t.schedule, t.iteration) : null,
      place: t.place,
    }));
    const count = (pred: (r: TrialRow) => boolean) => rows.filter(pred).length;
    const best = bestTrial(s);
    return {
      experiment: s.experiment,
      strategy: strategyLabel(s.spec.searcher, s.spec.scheduler),
      sessionDir: this.store.dir,
      startedAt: this.startedAt,
      metric: s.spec.metric,
      mode: s.spec.mode,
      maxIters: s.spec.max_iters,
      numTrials: s.spec.num_trials,
      params: Object.keys(s.spec.search_space),
      counts: {
        done: count((r) => r.status === 'completed' || r.status === 'stopped'),
        running: count((r) => r.status === 'running'),
        pending: count((r) => r.status === 'pending') + (s.spec.num_trials - s.trials.length),
        paused: count((r) => r.status === 'paused'),
        waiting: count((r) => r.status === 'waiting'),
        failed: count((r) => r.status === 'failed'),
      },
      best: best?.best ? { id: best.id, value: best.best.value, config: best.config } : null,
      bestHistory: [...this.bestHistory],
      trials: rows,
      pausing,
      quitting: this.source.isQuitting(),
      pauseReason: this.pauseReason,
    };
  }

  logTail(id: string, lines: number): string[] {
    const file = trialPaths(this.store.dir, id).stdout;
    try {
      const text = readFileSync(file, 'utf8');
      return text.trimEnd().split('\n').slice(-lines);
    } catch {
      return [];
    }
  }
}
