import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, unlinkSync, appendFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { trialSeed } from '../search/index.js';
import type { Decision, Scheduler, Searcher } from '../search/types.js';
import { sessionPaths, trialIdOf, trialPaths } from '../session/layout.js';
import type { SessionStore } from '../session/store.js';
import type { TrialRecord } from '../session/state.js';
import { ENV, parseTrialMessage, type TrialMessage } from '../trial/protocol.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { saveSchedule, writeCompletedFlags } from '../schedule/schedule-file.js';
import { trialScheduleFile, trialScheduleFor } from '../schedule/trial-schedule.js';
import { dueOperations } from '../schedule/trigger.js';
import type { Launcher, TrialProcess } from './launcher.js';

export type RunOutcome = 'completed' | 'failed' | 'paused';

export interface OrchestratorOptions {
  store: SessionStore;
  searcher: Searcher;
  scheduler: Scheduler;
  launcher: Launcher;
  /** The argv that starts one trial (the built-in worker or the spec's command, resolved). */
  trialArgv: string[];
  trialCwd: string;
  /** `tune train`: the schedule file to write back after each operation (with its completed flags). */
  scheduleWriteBack?: string | null;
}

interface Live {
  record: TrialRecord;
  proc: TrialProcess;
  /** Messages of one trial are handled strictly in order, even when one handler awaits (hashing). */
  queue: Promise<void>;
  ended: 'paused' | 'done' | 'stopped' | null;
  lastDecision: Decision | null;
  protocolError: string | null;
  metricsIteration: number;
}

/**
 * The event loop of a session: starts up to `concurrency` trials, turns their reports into decisions,
 * records everything through the store, restarts crashed trials from their last checkpoint, and drains
 * the trials to a validation boundary on pause. It never prints: views subscribe to the store's events.
 */
export class Orchestrator {
  private readonly live = new Map<string, Live>();
  private pausing = false;
  /** Trials paused one by one: they wait, paused, until released or until the session resumes. */
  private readonly held = new Set<string>();
  private quitting = false;
  private finished = false;
  private resolveRun: (o: RunOutcome) => void = () => {};
  private readonly paths;

  constructor(private readonly o: OrchestratorOptions) {
    this.paths = sessionPaths(o.store.dir);
  }

  get state() {
    return this.o.store.state;
  }

  get isPausing(): boolean {
    return this.pausing;
  }

  run(): Promise<RunOutcome> {
    const done = new Promise<RunOutcome>((resolve) => (this.resolveRun = resolve));
    this.fill();
    return done;
  }

  /** Asks every trial to stop at its next validation boundary; the run then ends 'paused'. */
  requestPause(reason: string): void {
    if (this.pausing || this.finished) return;
    this.pausing = true;
    writeFileAtomic(this.paths.pauseSignal, `${JSON.stringify({ reason, requested: new Date().toISOString(), pid: process.pid })}\n`);
    this.o.store.append({ type: 'pause_requested', reason });
    this.maybeFinish();
  }

  /** Pauses one trial at its next validation boundary; the others go on (LESSONS: pause one trial). */
  pauseTrial(id: string): void {
    if (this.finished || this.pausing) return;
    this.held.add(id);
    this.maybeFinish();
  }

  /** Lets a trial paused alone run again. */
  releaseTrial(id: string): void {
    if (!this.held.delete(id)) return;
    this.fill();
  }

  isHeld(id: string): boolean {
    return this.held.has(id);
  }

  /** Kills every trial now; each resumes later from its last checkpoint. */
  quit(): void {
    if (this.quitting || this.finished) return;
    this.quitting = true;
    this.pausing = true;
    for (const l of this.live.values()) l.proc.kill();
    this.maybeFinish();
  }

  private nextRunnable(): TrialRecord | null {
    for (const t of this.state.trials) {
      if ((t.status === 'pending' || t.status === 'paused') && !this.live.has(t.id) && !this.held.has(t.id)) return t;
    }
    return null;
  }

  private fill(): void {
    while (!this.pausing && !this.finished && this.live.size < this.state.spec.concurrency) {
      let t = this.nextRunnable();
      if (!t) {
        if (this.state.searcher.finished) break;
        const index = this.state.trials.length;
        const config = this.o.searcher.suggest(index);
        if (config === null) break;
        if (config === 'finished') {
          this.o.store.append({ type: 'searcher_finished', searcher: this.o.searcher.getState() });
          break;
        }
        const id = trialIdOf(index);
        const schedule = trialScheduleFor(this.state.spec, this.state.schedules, config);
        this.o.store.append({ type: 'trial_created', id, index, config, seed: trialSeed(this.state.spec.seed, index), searcher: this.o.searcher.getState(), schedule });
        t = this.state.trials[this.state.trials.length - 1];
      }
      this.launch(t);
    }
    this.maybeFinish();
  }

  private launch(t: TrialRecord): void {
    const tp = trialPaths(this.o.store.dir, t.id);
    mkdirSync(tp.checkpoints, { recursive: true });
    if (!existsSync(tp.config)) writeFileAtomic(tp.config, JSON.stringify({ ...this.state.spec.trial.params, ...t.config }, null, 2) + '\n');
    const spec = this.state.spec;
    const checkpoint = t.checkpoint ? join(tp.dir, t.checkpoint.path) : '';
    if (t.schedule) {
      // A trial (re)starts with the schedule state of the checkpoint it starts from: an operation applied
      // after that checkpoint was lost with the process, so it must fire again (exactly once overall).
      const restored = t.checkpoint ? t.checkpoint.schedule ?? t.schedule.initial : t.schedule.initial;
      if (JSON.stringify(restored) !== JSON.stringify(t.schedule.state)) this.o.store.append({ type: 'schedule_restored', id: t.id, state: restored });
      this.writeSchedule(t);
    }
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      [ENV.trialDir]: tp.dir,
      [ENV.config]: tp.config,
      [ENV.pauseFile]: this.paths.pauseSignal,
      [ENV.checkpoint]: checkpoint,
      [ENV.seed]: String(t.seed),
      [ENV.trialId]: t.id,
      [ENV.maxIters]: String(spec.max_iters),
      [ENV.evalInterval]: String(spec.eval_interval),
      [ENV.checkpointEvery]: String(spec.trial.checkpoint_every),
    };
    const proc = this.o.launcher.launch({ trialId: t.id, argv: this.o.trialArgv, cwd: this.o.trialCwd, env, stdoutPath: tp.stdout, stderrPath: tp.stderr });
    const live: Live = { record: t, proc, queue: Promise.resolve(), ended: null, lastDecision: null, protocolError: null, metricsIteration: lastMetricsIteration(tp.metrics) };
    this.live.set(t.id, live);
    this.o.store.append({ type: 'trial_started', id: t.id, pid: proc.pid, fromIteration: t.checkpoint?.iteration ?? null });
    proc.onLine((line) => {
      live.queue = live.queue.then(() => this.handleLine(live, line)).catch((err: unknown) => {
        live.protocolError = `tune could not handle a message: ${(err as Error).message}`;
        proc.kill();
      });
    });
    void proc.exited.then((exit) => {
      live.queue = live.queue.then(() => this.handleExit(live, exit));
    });
  }

  private async handleLine(live: Live, line: string): Promise<void> {
    if (live.protocolError) return;
    const msg = parseTrialMessage(line);
    if (typeof msg === 'string') {
      live.protocolError = `protocol error: ${msg}`;
      live.proc.kill();
      return;
    }
    await this.handleMessage(live, msg);
  }

  private async handleMessage(live: Live, msg: TrialMessage): Promise<void> {
    const t = live.record;
    const tp = trialPaths(this.o.store.dir, t.id);
    switch (msg.type) {
      case 'report': {
        // A trial restarted from an older checkpoint repeats iterations: keep one line per boundary.
        if (msg.iteration <= live.metricsIteration) truncateMetrics(tp.metrics, msg.iteration);
        appendFileSync(tp.metrics, JSON.stringify({ iteration: msg.iteration, ...msg.metrics }) + '\n');
        live.metricsIteration = msg.iteration;
        this.o.searcher.onResult?.(t.index, msg.iteration, msg.metrics);
        let decision = this.o.scheduler.onResult(t.id, msg.iteration, msg.metrics);
        if (decision === 'continue' && (this.pausing || this.held.has(t.id))) decision = 'pause';
        let fired: number[] = [];
        let reevaluate = false;
        if (t.schedule && decision !== 'stop' && msg.iteration < this.state.spec.max_iters) {
          ({ fire: fired, reevaluate } = dueOperations(t.schedule.ops, t.schedule.state, msg.iteration, msg.metrics[this.state.spec.trial.schedule_metric] ?? null));
          // The trial reports again after reevaluating; a pause is given as the answer to that report.
          if (reevaluate) decision = 'continue';
        }
        live.lastDecision = decision;
        this.o.store.append({ type: 'report', id: t.id, iteration: msg.iteration, metrics: msg.metrics, decision, ...(fired.length ? { fired } : {}) });
        const ops = t.schedule ? fired.map((index) => ({ index, name: t.schedule!.ops[index].name, value: t.schedule!.ops[index].value })) : [];
        if (fired.length) this.writeSchedule(t);
        live.proc.send(JSON.stringify(ops.length ? { decision, operations: ops, ...(reevaluate ? { reevaluate } : {}) } : { decision }));
        break;
      }
      case 'schedule':
        this.o.store.append({ type: 'schedule_applied', id: t.id, iteration: msg.iteration, index: msg.index, name: msg.name });
        break;
      case 'checkpoint': {
        const abs = isAbsolute(msg.path) ? msg.path : join(tp.dir, msg.path);
        if (!existsSync(abs) || !statSync(abs).isFile()) {
          live.protocolError = `protocol error: checkpoint ${msg.path} is not a file`;
          live.proc.kill();
          return;
        }
        const { sha256, bytes } = await hashFile(abs);
        const rel = relative(tp.dir, abs);
        const path = rel.startsWith('..') ? abs : rel;
        this.o.store.append({ type: 'checkpoint', id: t.id, checkpoint: { iteration: msg.iteration, path, sha256, bytes, schedule: t.schedule ? t.schedule.state : null } });
        break;
      }
      case 'paused':
        live.ended = 'paused';
        this.o.store.append({ type: 'trial_paused', id: t.id, iteration: msg.iteration });
        break;
      case 'done':
        live.ended = live.lastDecision === 'stop' ? 'stopped' : 'done';
        this.o.store.append({ type: live.ended === 'stopped' ? 'trial_stopped' : 'trial_completed', id: t.id, iteration: msg.iteration });
        this.o.searcher.onComplete?.(t.index, t.last);
        break;
    }
  }

  private handleExit(live: Live, exit: { code: number | null; signal: NodeJS.Signals | null; spawnError: string | null }): void {
    const t = live.record;
    this.live.delete(t.id);
    if (this.quitting && !live.ended) {
      this.o.store.append({ type: 'trial_interrupted', id: t.id });
    } else if (!live.ended) {
      const why = live.protocolError ?? exit.spawnError ??
        (exit.signal ? `killed by ${exit.signal}` : exit.code === 0 ? 'exited with code 0 before reporting done or paused' : `exited with code ${exit.code}`);
      const tail = stderrTail(trialPaths(this.o.store.dir, t.id).stderr);
      const error = tail ? `${why}: ${tail}` : why;
      const final = exit.spawnError !== null || t.failures + 1 > this.state.spec.max_failures;
      this.o.store.append({ type: 'trial_failed', id: t.id, error, final });
    }
    this.fill();
  }

  /** The trial's own schedule file, rewritten atomically so people can watch it (and `tune train`'s original). */
  private writeSchedule(t: TrialRecord): void {
    if (!t.schedule) return;
    saveSchedule(trialScheduleFile(trialPaths(this.o.store.dir, t.id).dir, t.schedule), t.schedule, t.schedule.state.completed);
    if (this.o.scheduleWriteBack) writeCompletedFlags(this.o.scheduleWriteBack, t.schedule.state.completed);
  }

  private maybeFinish(): void {
    if (this.finished || this.live.size > 0) return;
    const remaining = this.state.trials.some((t) => t.status === 'pending' || t.status === 'paused' || t.status === 'running');
    if (!remaining && this.state.searcher.finished) {
      this.finished = true;
      const anyOk = this.state.trials.some((t) => t.status === 'completed' || t.status === 'stopped');
      const status = anyOk ? 'completed' : 'failed';
      this.o.store.append({ type: 'session_finished', status });
      this.clearPauseSignal();
      this.resolveRun(status);
      return;
    }
    // Nothing runs and only trials paused one by one are left: the session is paused as a whole.
    if (this.pausing || (this.held.size > 0 && !this.nextRunnable() && this.state.searcher.finished)) {
      this.finished = true;
      this.o.store.append({ type: 'session_paused' });
      this.clearPauseSignal();
      this.resolveRun('paused');
    }
    // Otherwise the searcher said "not now" with nothing running: cannot happen with random or grid.
  }

  private clearPauseSignal(): void {
    try { unlinkSync(this.paths.pauseSignal); } catch { /* not there */ }
  }
}

function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let bytes = 0;
    createReadStream(path)
      .on('data', (c) => { h.update(c); bytes += c.length; })
      .on('error', reject)
      .on('end', () => resolve({ sha256: h.digest('hex'), bytes }));
  });
}

export function hashFileSync(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function lastMetricsIteration(file: string): number {
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return (JSON.parse(lines[i]) as { iteration: number }).iteration;
    } catch { /* a torn last line */ }
  }
  return 0;
}

function truncateMetrics(file: string, fromIteration: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8').split('\n').filter((line) => {
    if (!line) return false;
    try {
      return (JSON.parse(line) as { iteration: number }).iteration < fromIteration;
    } catch {
      return false;
    }
  });
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}

function stderrTail(file: string): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    const last = text.slice(text.lastIndexOf('\n') + 1);
    return last.slice(0, 300);
  } catch {
    return '';
  }
}
