import { lossOf, trialSeed } from '../search/index.js';
import type { ChooseContext, Decision, Scheduler, Searcher, TrialOutcome } from '../search/types.js';
import { trialIdOf } from '../session/layout.js';
import type { SessionStore } from '../session/store.js';
import type { EventBody, TrialRecord } from '../session/state.js';
import { ENV, isQueued, parseTrialMessage, type TrialMessage } from '../trial/protocol.js';
import type { Json } from '../util/json.js';
import { diff, type Patch } from '../util/json-patch.js';
import { trialScheduleFor } from '../schedule/trial-schedule.js';
import { dueOperations } from '../schedule/trigger.js';
import type { Launcher, TrialExit, TrialProcess } from './launcher.js';
import { restartPoint } from '../session/trial-files.js';
import { formatDuration } from '../spec/duration.js';
import { pauseWhenSide } from '../spec/session-control.js';
import { describeFault, diskErrorIn, type EnvironmentFault } from '../session/fault.js';

export type RunOutcome = 'completed' | 'failed' | 'paused';

export interface OrchestratorOptions {
  store: SessionStore;
  searcher: Searcher;
  scheduler: Scheduler;
  launcher: Launcher;
  /** The argv that starts one trial (the built-in worker or the spec's command, resolved). */
  trialArgv: string[];
  trialCwd: string;
  /** How the spec is named to the user (its file, or the built-in default). */
  specLabel: string;
  /**
   * Changes a session no tune drives (tune pause / continue / stop on it, under its lock): the trial-level
   * commands journal as usual, but nothing is started and the session's own status is left alone.
   */
  offline?: boolean;
}

interface Live {
  record: TrialRecord;
  proc: TrialProcess;
  /** Messages of one trial are handled strictly in order, even when one handler awaits (hashing). */
  queue: Promise<void>;
  ended: 'paused' | 'done' | 'stopped' | null;
  lastDecision: Decision | null;
  protocolError: string | null;
  /** trial.timeout: fires when the trial has been silent that long. */
  silence: NodeJS.Timeout | null;
  /** A report waits for its decision: a message that cannot be handled must still be answered. */
  awaitingDecision: boolean;
  /** The journal event of the trial's newest checkpoint in this run (0: none yet). */
  checkpointSeq: number;
  /**
   * The iteration of the trial's last report when that report was its best and changed nothing after it
   * was evaluated (no operation fired): the checkpoint taken next, at that iteration, holds exactly the
   * weights it scored, and is kept as the trial's best.
   */
  bestAt: number | null;
  /** Where this run of the trial begins in its stderr log. */
  stderrStart: number;
  /** Stopped by tune because it had not reached its boundary within pause_timeout. */
  pauseTimedOut: boolean;
  /** Killed because the user stopped it for good (tune stop). */
  stopRequested: boolean;
  /** Taken out of a cluster's queue by a pause before it ran: its end is no failure. */
  withdrawn?: boolean;
}

/**
 * The event loop of a session and the one place between the strategies and the trials: it starts trials
 * when the scheduler says so (a promotion, or a new trial from the searcher), turns their reports into
 * decisions, gives each (trial, iteration) result to the searcher and scheduler exactly once, and journals
 * their state with every decision that changes it, so a `kill -9` at any moment loses none of it. It
 * restarts crashed trials from their last checkpoint and drains the trials to a validation boundary on
 * pause. It never prints (views subscribe to the store's events) and never touches a file itself (the
 * session layer owns them).
 */
export class Orchestrator {
  private readonly live = new Map<string, Live>();
  private pausing = false;
  /** Trials paused one by one: they wait, paused, until released or until the session resumes. */
  private readonly held = new Set<string>();
  private quitting = false;
  private finished = false;
  private resolveRun: (o: RunOutcome) => void = () => {};
  private rejectRun: (err: Error) => void = () => {};
  /**
   * How the run ends. Made with the orchestrator, not by run(): the run may end before run() is called (a
   * disk fault already met while the session was opened halts it in the constructor), and a promise made
   * later would never settle: Node would leave, exit 13, without a word.
   */
  private readonly ending: Promise<RunOutcome>;
  /** The strategies' state as last journalled: a decision journals what changed since, as a patch. */
  private searcherState: Json;
  private schedulerState: Json;
  /** Why the run stopped for a reason that is no trial's own failure (a disk fault, a trial that cannot run). */
  private halted: string | null = null;
  /**
   * Trials that used up their failures before any trial of the session had reported: the program itself
   * may be unable to run. They wait, unblamed, until some trial reports (then they get their last chance)
   * or nothing else runs (then the session halts, saying so once).
   */
  private readonly suspects = new Map<string, string>();
  /** Why the session is pausing, as first asked. */
  private pauseReasonText: string | null = null;
  /** The best value so far of pause_when's metric; the condition already held when this run began. */
  private watched: { best: number | null; heldAtStart: boolean } = { best: null, heldAtStart: false };
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly o: OrchestratorOptions) {
    this.ending = new Promise<RunOutcome>((resolve, reject) => {
      this.resolveRun = resolve;
      this.rejectRun = reject;
    });
    // A failure before run() is still the caller's to hear, through run(): not an unhandled rejection.
    this.ending.catch(() => {});
    this.searcherState = copyOf(o.store.state.searcher.state);
    this.schedulerState = copyOf(o.store.state.scheduler.state);
    o.store.onFault((f) => this.onEnvironmentFault(f));
    for (const t of o.store.state.trials) if (t.held && !['completed', 'stopped', 'failed'].includes(t.status)) this.held.add(t.id);
    const w = o.store.state.spec.pause_when;
    if (w) {
      for (const t of o.store.state.trials) {
        this.watch(t.last?.[w.metric]);
        if (w.metric === o.store.state.spec.metric) this.watch(t.best?.value);
      }
      this.watched.heldAtStart = this.pauseWhenHolds();
    }
  }

  /** Why the session is pausing (the first reason asked), or null. */
  get pauseReason(): string | null {
    return this.pauseReasonText;
  }

  private watch(v: number | null | undefined): void {
    const w = this.state.spec.pause_when;
    if (!w || typeof v !== 'number' || Number.isNaN(v)) return;
    const b = this.watched.best;
    if (b === null || (pauseWhenSide(w).side === 'below' ? v < b : v > b)) this.watched.best = v;
  }

  private pauseWhenHolds(): boolean {
    const w = this.state.spec.pause_when;
    const b = this.watched.best;
    if (!w || b === null) return false;
    const { side, value } = pauseWhenSide(w);
    return side === 'below' ? b < value : b > value;
  }

  /** Why the run was halted (it then ends 'paused', resumable), or null. */
  get haltReason(): string | null {
    return this.halted;
  }

  /**
   * A write of tune's the disk refused (DESIGN §5.8): the session pauses, and no trial is blamed. A trial
   * whose newest checkpoint is not yet on disk is stopped at once: saving another one, it would drop the
   * older checkpoint the session on disk still names.
   */
  private onEnvironmentFault(f: EnvironmentFault): void {
    this.halt(describeFault(f));
    for (const l of this.live.values()) {
      if (l.checkpointSeq > 0 && !this.o.store.isDurable(l.checkpointSeq)) l.proc.kill();
    }
  }

  /** Pauses the session for a reason that is not a trial's own failure; trials stop at their boundary. */
  private halt(reason: string): void {
    if (this.halted !== null) return;
    this.halted = reason;
    this.requestPause(reason);
  }

  get state() {
    return this.o.store.state;
  }

  get isPausing(): boolean {
    return this.pausing;
  }

  /** What the run waits for, in words: for a run that stalls (a bug), so the report can say where. */
  describeWait(): string {
    const live = [...this.live.values()].map((l) => `${l.record.id} ${l.record.status}${l.ended ? ' (ended)' : ''}`);
    const flags = [this.pausing && 'pausing', this.quitting && 'quitting', this.finished && 'finished', this.halted !== null && 'halted'].filter(Boolean);
    return `live trials: ${live.join(', ') || 'none'}; ${flags.join(', ') || 'running'}; suspects ${this.suspects.size}, held ${this.held.size}`;
  }

  run(): Promise<RunOutcome> {
    // pause_after counts this run's wall-clock time: a resumed session has its whole budget again.
    // A resume with nothing to run but trials paused one by one means: run them.
    const open = this.state.trials.filter((t) => ['pending', 'paused', 'waiting'].includes(t.status));
    if (this.held.size > 0 && this.state.searcher.finished && open.every((t) => this.held.has(t.id))) {
      for (const id of [...this.held]) this.releaseTrial(id);
    }
    const after = this.state.spec.pause_after;
    if (after !== null) this.later(after, () => this.requestPause(`pause_after ${formatDuration(after)}: this run's time is up`));
    this.fill();
    return this.ending;
  }

  private later(seconds: number, f: () => void): void {
    const timer = setTimeout(f, seconds * 1000);
    timer.unref();
    this.timers.push(timer);
  }

  /**
   * Trials that ended run again from their last checkpoint: failed ones under resume --retry-failed,
   * completed ones short of a --max-iters raised on resume. The strategies count them as running again.
   * Call before run(). Returns the trials reopened.
   */
  reopen(because: 'retry' | 'max_iters'): string[] {
    const reopened: string[] = [];
    for (const t of this.state.trials) {
      const again = because === 'retry' ? t.status === 'failed' : t.status === 'completed' && t.iteration < this.state.spec.max_iters;
      if (!again) continue;
      this.o.scheduler.onReopen?.(t.index);
      this.o.searcher.onReopen?.(t.index);
      this.decide({ type: 'trial_reopened', id: t.id, because }, t.index);
      reopened.push(t.id);
    }
    return reopened;
  }

  /** Asks every trial to stop at its next validation boundary; the run then ends 'paused'. */
  requestPause(reason: string): void {
    if (this.pausing || this.finished) return;
    this.pausing = true;
    this.pauseReasonText = reason;
    // A trial that does not reach its boundary in pause_timeout is stopped; it resumes from its last checkpoint.
    const limit = this.state.spec.pause_timeout;
    if (limit !== null) {
      this.later(limit, () => {
        for (const l of this.live.values()) {
          if (l.ended) continue;
          l.pauseTimedOut = true;
          l.proc.kill();
        }
      });
    }
    this.o.store.files.raisePauseSignal(reason);
    this.o.store.append({ type: 'pause_requested', reason });
    for (const l of this.live.values()) this.withdrawIfQueued(l);
    this.maybeFinish();
  }

  /** A trial still waiting in a cluster's queue has done nothing yet: a pause takes it out of the queue now. */
  private withdrawIfQueued(l: Live): void {
    if (l.withdrawn || !isQueued(l.proc.handle)) return;
    l.withdrawn = true;
    l.proc.kill();
  }

  /**
   * Pauses one trial at its next validation boundary; the others go on (LESSONS: pause one trial). It stays
   * paused, across runs, until released.
   */
  pauseTrial(id: string): void {
    if (this.finished || this.pausing || this.held.has(id)) return;
    this.held.add(id);
    const l = this.live.get(id);
    if (l) this.withdrawIfQueued(l);
    this.o.store.append({ type: 'trial_held', id });
    this.maybeFinish();
  }

  /** Lets a trial paused alone run again. */
  releaseTrial(id: string): void {
    if (!this.held.delete(id)) return;
    this.o.store.append({ type: 'trial_released', id });
    this.fill();
  }

  /**
   * Ends a trial for good at the user's word (tune stop DIR ID): a running one is killed first. The
   * strategies see it as stopped where it got to, never as a new result.
   */
  stopTrial(id: string): void {
    const t = this.state.trials.find((x) => x.id === id);
    if (!t || this.finished) return;
    const l = this.live.get(id);
    if (l) {
      l.stopRequested = true;
      l.proc.kill();
      return;
    }
    if (!['pending', 'paused', 'waiting'].includes(t.status)) return;
    if (this.held.delete(id)) this.o.store.append({ type: 'trial_released', id });
    this.endTrial(t, 'stopped', t.iteration);
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

  /**
   * What changed in the strategies' states since they were last journalled, to go with a decision: a
   * patch, so a journal line costs what changed, not the whole state (which grows with every trial).
   */
  private changedStates(searcher = true): { searcherPatch?: Patch; schedulerPatch?: Patch } {
    const out: { searcherPatch?: Patch; schedulerPatch?: Patch } = {};
    if (searcher) {
      const now = copyOf(this.o.searcher.getState());
      const patch = diff(this.searcherState, now);
      if (patch) out.searcherPatch = patch;
      this.searcherState = now;
    }
    const now = copyOf(this.o.scheduler.getState());
    const patch = diff(this.schedulerState, now);
    if (patch) out.schedulerPatch = patch;
    this.schedulerState = now;
    return out;
  }

  private place(index: number): { place?: string | null } {
    return this.o.scheduler.describe ? { place: this.o.scheduler.describe(index) } : {};
  }

  /** Journals a decision together with the strategies' state after it. */
  private decide(body: EventBody, index: number | null, searcherMayChange = true): void {
    this.o.store.append({ ...body, ...this.changedStates(searcherMayChange), ...(index === null ? {} : this.place(index)) } as EventBody);
  }

  private chooseContext(): ChooseContext {
    return { searcherFinished: this.state.searcher.finished, running: this.live.size };
  }

  /** Trials to run first: those the session or a failure interrupted, in trial order. */
  private nextRunnable(): TrialRecord | null {
    for (const t of this.state.trials) {
      if ((t.status === 'pending' || t.status === 'paused') && !this.live.has(t.id) && !this.held.has(t.id) && !this.suspects.has(t.id)) return t;
    }
    return null;
  }

  private fill(): void {
    if (this.o.offline) return;
    try {
      if (!this.pausing && !this.finished) {
        // A trial told to wait at a rung is on its way to its checkpoint: until it is there, the scheduler
        // counts it as waiting while it still runs, so a promotion or a stop of it could not be carried out.
        // Its exit calls fill again, a few milliseconds later.
        const settling = this.settling();
        if (!settling) this.carryOutStops();
        while (!this.pausing && !this.finished && this.live.size < this.state.spec.concurrency) {
          // While trials wait as suspects no new trial starts: it would most likely fail the same way.
          const t = this.nextRunnable() ?? (settling || this.suspects.size > 0 ? null : this.nextFromStrategies());
          if (!t) break;
          this.launch(t);
        }
      }
      this.maybeFinish();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private settling(): boolean {
    return [...this.live.values()].some((l) => l.record.verdict === 'pause');
  }

  /** A scheduler may end waiting trials whenever it learns enough; that needs no free slot. */
  private carryOutStops(): void {
    for (;;) {
      const c = this.o.scheduler.chooseNext(this.chooseContext());
      if (c === null || typeof c !== 'object' || !('stop' in c)) return;
      this.stopWaiting(c.stop);
    }
  }

  /** Asks the scheduler what a free slot runs: a promoted trial, or a new one from the searcher. */
  private nextFromStrategies(): TrialRecord | null {
    for (;;) {
      const c = this.o.scheduler.chooseNext(this.chooseContext());
      if (c === null) return null;
      if (c === 'new') {
        if (this.state.searcher.finished) return null;
        const index = this.state.trials.length;
        const config = this.o.searcher.suggest(index);
        if (config === 'finished') {
          this.decide({ type: 'searcher_finished' }, null);
          continue;
        }
        if (config === null) return null;
        this.o.scheduler.onTrialAdded?.(index);
        const id = trialIdOf(index);
        const schedule = trialScheduleFor(this.state.spec, this.state.schedules, config);
        const seed = trialSeed(this.state.spec.seed, index);
        this.decide({ type: 'trial_created', id, index, config, seed, schedule }, index);
        return this.state.trials[index];
      }
      if ('promote' in c) {
        const t = this.trialAt(c.promote, 'promoted');
        this.o.scheduler.promote?.(t.index);
        this.decide({ type: 'trial_promoted', id: t.id }, t.index, false);
        return t;
      }
      this.stopWaiting(c.stop);
    }
  }

  private trialAt(index: number, verb: string): TrialRecord {
    const t = this.state.trials[index];
    if (!t || t.status !== 'waiting') throw new Error(`the scheduler ${verb} trial ${trialIdOf(index)}, which is ${t ? t.status : 'not a trial'}, not waiting`);
    return t;
  }

  private stopWaiting(index: number): void {
    const t = this.trialAt(index, 'stopped');
    this.o.scheduler.onTrialEnd?.(t.index, 'stopped');
    this.o.searcher.onComplete?.(t.index, this.outcome(t, 'stopped'));
    this.decide({ type: 'trial_stopped', id: t.id, iteration: t.iteration }, t.index);
  }

  private outcome(t: TrialRecord, status: TrialOutcome['status']): TrialOutcome {
    return { status, iteration: t.iteration, loss: lossOf(this.state.spec, t.best?.value) };
  }

  private launch(t: TrialRecord): void {
    const files = this.o.store.files;
    const spec = this.state.spec;
    // Verified before every start, not only on resume: a damaged newest checkpoint falls back to the one
    // before it; with none sound, the trial cannot go on exactly, and fails for good, saying why.
    const start = restartPoint(this.o.store.dir, t);
    if (start.kind === 'fallback') this.o.store.append({ type: 'checkpoint_fallback', id: t.id, reason: start.reason });
    if (start.kind === 'broken') {
      this.failForGood(t, start.reason);
      return;
    }
    // Its final checkpoint (after a stop, or at max_iters) is journalled, but tune went down before `done`:
    // the trial ended there, and running it again would train past its end.
    if (t.checkpoint && t.checkpoint.iteration === t.delivered && (t.verdict === 'stop' || t.delivered >= spec.max_iters)) {
      this.endTrial(t, t.verdict === 'stop' ? 'stopped' : 'completed', t.delivered);
      return;
    }
    if (!files.prepare(t, spec.trial.params)) return; // the disk refused: the fault pauses the session
    if (t.schedule) {
      // A trial (re)starts with the schedule state of the checkpoint it starts from: an operation applied
      // after that checkpoint was lost with the process, so it must fire again (exactly once overall).
      const restored = t.checkpoint ? t.checkpoint.schedule ?? t.schedule.initial : t.schedule.initial;
      if (JSON.stringify(restored) !== JSON.stringify(t.schedule.state)) this.o.store.append({ type: 'schedule_restored', id: t.id, state: restored });
      files.writeSchedule(t);
    }
    const tp = files.paths(t.id);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      TMPDIR: files.tmpDir,
      [ENV.trialDir]: tp.dir,
      [ENV.config]: tp.config,
      [ENV.pauseFile]: files.pauseSignal,
      [ENV.checkpoint]: files.checkpointPath(t),
      [ENV.seed]: String(t.seed),
      [ENV.trialId]: t.id,
      [ENV.maxIters]: String(spec.max_iters),
      [ENV.evalInterval]: String(spec.eval_interval),
      [ENV.checkpointEvery]: String(spec.trial.checkpoint_every),
    };
    const stderrStart = files.stderrSize(t.id);
    const proc = this.o.launcher.launch({ trialId: t.id, argv: this.o.trialArgv, cwd: this.o.trialCwd, env, stdoutPath: tp.stdout, stderrPath: tp.stderr });
    const live: Live = { record: t, proc, queue: Promise.resolve(), ended: null, lastDecision: null, protocolError: null, silence: null, awaitingDecision: false, checkpointSeq: 0, bestAt: null, stderrStart, pauseTimedOut: false, stopRequested: false };
    this.live.set(t.id, live);
    // A job waiting in a cluster's queue is not silent: trial.timeout counts from when it runs.
    if (!isQueued(proc.handle)) this.watchSilence(live);
    this.o.store.append({ type: 'trial_started', id: t.id, pid: proc.pid, handle: proc.handle, fromIteration: t.checkpoint?.iteration ?? null });
    // A Slurm job's id and node are known once it starts there, which may be long after it was queued.
    proc.onHandle((handle) => {
      if (this.finished) return;
      this.o.store.append({ type: 'trial_placed', id: t.id, handle });
      this.watchSilence(live);
    });
    proc.onLine((line) => {
      this.watchSilence(live);
      live.queue = live.queue.then(() => this.handleLine(live, line)).catch((err: unknown) => {
        // tune's own error, not the trial's: the session pauses, and the trial gets an answer so it can too.
        this.halt(`tune could not handle a message of trial ${t.id}: ${(err as Error).message}`);
        if (live.awaitingDecision) {
          live.awaitingDecision = false;
          proc.send(JSON.stringify({ decision: 'pause' }));
        }
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

  /**
   * The strategies' verdict on one report. A result reaches them once: a trial restarted from an older
   * checkpoint repeats iterations, and a reevaluation reports one again; those get the verdict already
   * given at that iteration (or 'continue' for the ones it went past).
   */
  private verdictFor(t: TrialRecord, iteration: number, metrics: Record<string, number | null>): { verdict: Decision; fresh: boolean } {
    if (iteration <= t.delivered) return { verdict: iteration === t.delivered ? t.verdict ?? 'continue' : 'continue', fresh: false };
    const loss = lossOf(this.state.spec, metrics[this.state.spec.metric]);
    this.o.searcher.onResult?.(t.index, iteration, loss);
    let verdict = this.o.scheduler.onResult(t.index, iteration, loss);
    // At its full budget a trial completes; no rung can hold it there.
    if (verdict === 'pause' && iteration >= this.state.spec.max_iters) verdict = 'continue';
    if (verdict === 'pause' && this.o.searcher.onWait) {
      const before = lossOf(this.state.spec, t.best?.value);
      const best = before === null ? loss : loss === null ? before : Math.min(before, loss);
      this.o.searcher.onWait(t.index, { status: 'waiting', iteration, loss: best });
    }
    return { verdict, fresh: true };
  }

  private async handleMessage(live: Live, msg: TrialMessage): Promise<void> {
    const t = live.record;
    const files = this.o.store.files;
    switch (msg.type) {
      case 'report': {
        live.awaitingDecision = true;
        this.suspects.clear(); // the program can run: those trials' failures are their own after all
        if (!(this.state.spec.metric in msg.metrics) && !this.halted) {
          // Every other trial would report the same: one clear line now, rather than a search that ranks nothing.
          const spec = this.state.spec;
          this.halt(`trial ${t.id} reported ${Object.keys(msg.metrics).join(', ') || 'no metrics'} at iteration ${msg.iteration}, but not ${spec.metric}, the spec's metric; fix metric in ${this.o.specLabel}, or the trial's report`);
          live.awaitingDecision = false;
          live.proc.send(JSON.stringify({ decision: 'pause' }));
          return;
        }
        files.appendMetrics(t.id, msg.iteration, msg.metrics);
        const w = this.state.spec.pause_when;
        if (w) {
          this.watch(msg.metrics[w.metric]);
          // Only a crossing in this run pauses: a condition that already held when it began would pause at once.
          if (!this.watched.heldAtStart && this.pauseWhenHolds()) {
            const { side, value } = pauseWhenSide(w);
            this.requestPause(`pause_when: ${w.metric} ${side} ${value} (${w.metric} ${this.watched.best} by trial ${t.id} at iteration ${msg.iteration})`);
          }
        }
        const { verdict, fresh } = this.verdictFor(t, msg.iteration, msg.metrics);
        let decision = verdict;
        if (decision === 'continue' && (this.pausing || this.held.has(t.id))) decision = 'pause';
        let fired: number[] = [];
        let reevaluate = false;
        if (t.schedule && decision !== 'stop' && msg.iteration < this.state.spec.max_iters) {
          ({ fire: fired, reevaluate } = dueOperations(t.schedule.ops, t.schedule.state, msg.iteration, msg.metrics[this.state.spec.trial.schedule_metric] ?? null));
          // The trial reports again after reevaluating; a pause is given as the answer to that report.
          if (reevaluate) decision = 'continue';
        }
        live.lastDecision = decision;
        const body = { type: 'report', id: t.id, iteration: msg.iteration, metrics: msg.metrics, decision, ...(fired.length ? { fired } : {}) } as const;
        const searcherLearnt = this.o.searcher.onResult !== undefined || (verdict === 'pause' && this.o.searcher.onWait !== undefined);
        if (fresh) this.decide({ ...body, delivered: true, verdict }, t.index, searcherLearnt);
        else this.o.store.append(body);
        const scored = msg.metrics[this.state.spec.metric];
        live.bestAt = fired.length === 0 && t.best?.iteration === msg.iteration && t.best.value === scored ? msg.iteration : null;
        // A better report whose weights cannot be kept (changed after scoring, or no checkpoint taken there)
        // leaves the kept one no longer the best: it goes, and the model is the newest checkpoint again.
        const stale = t.bestCheckpoint && t.best && t.bestCheckpoint.iteration !== t.best.iteration;
        if (stale && (live.bestAt === null || msg.iteration > t.best!.iteration)) this.dropBest(t);
        // A result can decide a rung: its losers stop now, in the same place in the journal however the run
        // is interrupted (not whenever a slot next frees, which depends on when a pause or a crash came).
        if (fresh && !this.finished && !this.settling()) this.carryOutStops();
        const ops = t.schedule ? fired.map((index) => ({ index, name: t.schedule!.ops[index].name, value: t.schedule!.ops[index].value })) : [];
        if (fired.length) files.writeSchedule(t);
        live.awaitingDecision = false;
        live.proc.send(JSON.stringify(ops.length ? { decision, operations: ops, ...(reevaluate ? { reevaluate } : {}) } : { decision }));
        break;
      }
      case 'schedule':
        this.o.store.append({ type: 'schedule_applied', id: t.id, iteration: msg.iteration, index: msg.index, name: msg.name });
        break;
      case 'checkpoint': {
        const record = await files.checkpointRecord(t, msg.path, msg.iteration);
        if (typeof record === 'string') {
          live.protocolError = `protocol error: ${record}`;
          live.proc.kill();
          return;
        }
        const ev = this.o.store.append({ type: 'checkpoint', id: t.id, checkpoint: { ...record, schedule: t.schedule ? t.schedule.state : null } });
        live.checkpointSeq = ev.seq;
        if (this.o.store.fault && !this.o.store.isDurable(ev.seq)) live.proc.kill(); // see onEnvironmentFault
        else if (live.bestAt === msg.iteration && t.bestCheckpoint?.iteration !== msg.iteration) this.keepBest(t);
        break;
      }
      case 'paused':
        live.ended = 'paused';
        this.o.store.append({ type: 'trial_paused', id: t.id, iteration: msg.iteration });
        break;
      case 'done':
        live.ended = live.lastDecision === 'stop' ? 'stopped' : 'done';
        this.endTrial(t, live.ended === 'stopped' ? 'stopped' : 'completed', msg.iteration);
        break;
    }
  }

  /** Links the trial's newest checkpoint into its best/ folder and journals it as the one of its best report. */
  private keepBest(t: TrialRecord): void {
    const files = this.o.store.files;
    const kept = t.checkpoint ? files.keepBest(t, t.checkpoint) : null;
    if (!kept) return;
    this.o.store.append({ type: 'best_checkpoint', id: t.id, checkpoint: kept });
    files.dropOtherBest(t, kept);
  }

  private dropBest(t: TrialRecord): void {
    this.o.store.append({ type: 'best_checkpoint', id: t.id, checkpoint: null });
    this.o.store.files.dropOtherBest(t, null);
  }

  private endTrial(t: TrialRecord, status: 'stopped' | 'completed', iteration: number): void {
    this.o.scheduler.onTrialEnd?.(t.index, status);
    this.o.searcher.onComplete?.(t.index, { ...this.outcome(t, status), iteration });
    this.decide({ type: status === 'stopped' ? 'trial_stopped' : 'trial_completed', id: t.id, iteration }, t.index);
  }

  /** A hung trial (no message for trial.timeout seconds) is killed; it restarts from its last checkpoint. */
  private watchSilence(live: Live): void {
    const seconds = this.state.spec.trial.timeout;
    if (seconds === null) return;
    if (live.silence) clearTimeout(live.silence);
    live.silence = setTimeout(() => {
      if (live.ended || this.quitting) return;
      live.protocolError = `no message for ${seconds} s (trial.timeout): taken as hung`;
      live.proc.kill();
    }, seconds * 1000);
    live.silence.unref();
  }

  private handleExit(live: Live, exit: TrialExit): void {
    const t = live.record;
    if (live.silence) clearTimeout(live.silence);
    this.live.delete(t.id);
    try {
      if (live.stopRequested && !live.ended) {
        if (this.held.delete(t.id)) this.o.store.append({ type: 'trial_released', id: t.id });
        this.endTrial(t, 'stopped', t.iteration);
      } else if (live.pauseTimedOut && !live.ended) {
        const limit = formatDuration(this.state.spec.pause_timeout ?? 0);
        this.o.store.append({ type: 'trial_interrupted', id: t.id, reason: `no validation boundary within pause_timeout ${limit}: stopped, resumes from its last checkpoint` });
      } else if ((this.quitting || this.halted !== null || live.withdrawn) && !live.ended) {
        // Killed by tune, or died while the session was halting (most likely of the same disk): not its fault.
        this.o.store.append({ type: 'trial_interrupted', id: t.id, ...(exit.note ? { reason: exit.note } : {}) });
      } else if (!live.ended) {
        const why = live.protocolError ?? exit.spawnError ??
          (exit.signal ? `killed by ${exit.signal}` : exit.code === 0 ? 'exited with code 0 before reporting done or paused' : `exited with code ${exit.code}`);
        const tail = this.o.store.files.stderrTail(t.id, live.stderrStart);
        const error = tail ? `${why}: ${tail}` : why;
        const disk = diskErrorIn(this.o.store.files.stderrEnd(t.id, live.stderrStart)) ?? this.o.store.files.diskProblem();
        if (disk !== null) {
          // The trial died of the disk, not of itself: the session pauses, and the trial is not blamed.
          this.o.store.append({ type: 'trial_interrupted', id: t.id });
          this.halt(`trial ${t.id} stopped because the disk refused a write (${disk}); free space or fix the disk, then resume`);
        } else if (exit.spawnError !== null) {
          // The program cannot start: no trial can. Said once, rather than failing every trial.
          this.o.store.append({ type: 'trial_interrupted', id: t.id });
          this.halt(`trial ${t.id}: ${error}; fix the trial's command, then resume`);
        } else {
          // A crash is a fault to retry from the last checkpoint; only crashes in a row that made no progress
          // (no newer checkpoint between them) fail a trial for good (DESIGN §5.8).
          const final = t.streak + 1 > this.state.spec.max_failures;
          if (final && this.noReportYet()) {
            this.o.store.append({ type: 'trial_interrupted', id: t.id });
            this.suspects.set(t.id, `trial ${t.id} failed ${t.streak === 0 ? 'once' : `${t.streak + 1} times`} before any trial of the session reported (${error}); the others would likely fail the same way: fix the trial, then resume`);
          } else if (final) {
            this.failForGood(t, error);
          } else {
            this.o.store.append({ type: 'trial_failed', id: t.id, error, final });
          }
        }
      }
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.fill();
  }

  private noReportYet(): boolean {
    return this.state.trials.every((x) => x.last === null);
  }

  private failForGood(t: TrialRecord, error: string): void {
    this.o.scheduler.onTrialEnd?.(t.index, 'failed');
    this.o.searcher.onComplete?.(t.index, this.outcome(t, 'failed'));
    this.decide({ type: 'trial_failed', id: t.id, error, final: true }, t.index);
  }

  private maybeFinish(): void {
    if (this.finished || this.live.size > 0 || this.o.offline) return;
    // Nothing runs, nothing has reported, and trials used up their failures: the program cannot run.
    const suspect = this.suspects.values().next();
    if (!suspect.done && this.halted === null) this.halt(suspect.value);
    const open = this.state.trials.some((t) => t.status === 'pending' || t.status === 'paused' || t.status === 'running' || t.status === 'waiting');
    if (!open && this.state.searcher.finished) {
      this.finished = true;
      for (const timer of this.timers) clearTimeout(timer);
      const anyOk = this.state.trials.some((t) => t.status === 'completed' || t.status === 'stopped');
      const status = anyOk ? 'completed' : 'failed';
      this.o.store.append({ type: 'session_finished', status });
      this.o.store.files.clearPauseSignal();
      this.resolveRun(status);
      return;
    }
    // Nothing runs and only trials paused one by one are left: the session is paused as a whole.
    if (this.pausing || (this.held.size > 0 && !this.nextRunnable())) {
      this.finished = true;
      for (const timer of this.timers) clearTimeout(timer);
      this.o.store.append({ type: 'session_paused' });
      this.o.store.files.clearPauseSignal();
      this.resolveRun('paused');
      return;
    }
    // Nothing runs and nothing was started: the strategies have nothing to give, which would hang the run.
    const waiting = this.state.trials.filter((t) => t.status === 'waiting');
    if (this.state.searcher.finished && waiting.length > 0) {
      // A scheduler that leaves trials waiting with nothing left to run: they can never be compared again.
      for (const t of waiting) this.stopWaiting(t.index);
      this.maybeFinish();
      return;
    }
    this.fail(new Error(`the ${this.state.spec.searcher.type} searcher proposed no trial while none was running; the run cannot go on`));
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const l of this.live.values()) l.proc.kill();
    this.o.store.files.clearPauseSignal();
    this.rejectRun(err);
  }
}

/** A deep copy of a state, so that a strategy changing its own objects later cannot change what was journalled. */
function copyOf(v: Json): Json {
  return JSON.parse(JSON.stringify(v)) as Json;
}
