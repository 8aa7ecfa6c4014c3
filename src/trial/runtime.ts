import { existsSync, fstatSync, readFileSync, writeSync } from 'node:fs';
import { ENV, PROTOCOL_FD, PROTOCOL_LINE_PREFIX, type Carrier, type DecisionMessage, type OperationMessage, type TrialMessage } from './protocol.js';

export type Decision = DecisionMessage['decision'];
export type ParamValue = number | string | boolean;

/**
 * The child side of the trial protocol, for trials written in TypeScript or JavaScript. A trial calls
 * `report` at each validation boundary and obeys the decision; `pauseRequested` tells it to checkpoint,
 * call `paused` and exit.
 */
export class TrialRuntime {
  readonly trialDir: string;
  readonly trialId: string;
  readonly pauseFile: string;
  readonly checkpoint: string | null;
  readonly seed: number;
  readonly maxIters: number;
  readonly evalInterval: number;
  readonly checkpointEvery: number;
  readonly config: Record<string, ParamValue>;

  /** Where protocol lines go: fd 3, or stdout behind the prefix (DESIGN §4: one protocol, two carriers). */
  readonly carrier: Carrier;

  private buffered = '';
  private lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private stdinClosed = false;
  private operationHook: ((op: OperationMessage) => void) | null = null;
  private reevaluateHook: (() => Record<string, number> | Promise<Record<string, number>>) | null = null;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const need = (k: string): string => {
      const v = env[k];
      if (v === undefined) throw new Error(`${k} is not set: this program is a tune trial; start it through tune`);
      return v;
    };
    this.trialDir = need(ENV.trialDir);
    this.trialId = env[ENV.trialId] ?? '';
    this.pauseFile = need(ENV.pauseFile);
    this.checkpoint = env[ENV.checkpoint] ? (env[ENV.checkpoint] as string) : null;
    this.seed = Number(need(ENV.seed));
    this.maxIters = Number(need(ENV.maxIters));
    this.evalInterval = Number(need(ENV.evalInterval));
    this.checkpointEvery = Number(env[ENV.checkpointEvery] ?? '1');
    this.config = JSON.parse(readFileSync(need(ENV.config), 'utf8')) as Record<string, ParamValue>;
    this.carrier = chooseCarrier(env);

    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.deliver();
    });
    // The driver is gone (tune was killed): stop now; the last checkpoint is where a resume starts.
    process.stdin.on('end', () => {
      this.stdinClosed = true;
      this.deliver();
    });
  }

  private deliver(): void {
    if (!this.waiting) return;
    if (this.lines.length > 0) {
      const w = this.waiting;
      this.waiting = null;
      w(this.lines.shift() as string);
    } else if (this.stdinClosed) {
      const w = this.waiting;
      this.waiting = null;
      w(null);
    }
  }

  private send(message: TrialMessage): void {
    const json = JSON.stringify(message);
    // On stdout, the trial's own prints are already written (process.stdout is synchronous on pipes), so a
    // protocol line never lands inside one; one cut short before it is told apart by the prefix.
    const [fd, line] = this.carrier === 'fd3' ? [PROTOCOL_FD, json] : [1, PROTOCOL_LINE_PREFIX + json];
    const bytes = Buffer.from(line + '\n');
    try {
      let off = 0;
      while (off < bytes.length) {
        try {
          off += writeSync(fd, bytes, off);
        } catch (err) {
          // A pipe someone set non-blocking is full for a moment: wait for tune to read, then go on.
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        }
      }
    } catch {
      // The read end is closed: tune is gone. Exit rather than train for nobody.
      process.exit(75);
    }
  }

  /** How the trial applies a scheduled operation (change_lr, widen_mlp, ...). It must throw on one it cannot do. */
  onOperation(hook: (op: OperationMessage) => void): void {
    this.operationHook = hook;
  }

  /** How the trial evaluates again right after an operation marked `reevaluate`. */
  onReevaluate(hook: () => Record<string, number> | Promise<Record<string, number>>): void {
    this.reevaluateHook = hook;
  }

  /**
   * Reports metrics at a validation boundary and waits for tune's decision. Scheduled operations that come
   * with it are applied through the onOperation hook (and acknowledged); when tune asks for a reevaluation,
   * the trial evaluates and reports again, and the decision to that report is the one returned.
   * Non-finite values (a diverged loss) are sent as null: JSON cannot carry NaN or Infinity.
   */
  async report(iteration: number, metrics: Record<string, number>): Promise<Decision> {
    let current = metrics;
    for (;;) {
      this.send({ type: 'report', iteration, metrics: current });
      const line = await new Promise<string | null>((resolve) => {
        this.waiting = resolve;
        this.deliver();
      });
      if (line === null) process.exit(75);
      const msg = JSON.parse(line) as DecisionMessage;
      for (const op of msg.operations ?? []) {
        if (!this.operationHook) throw new Error(`tune sent the scheduled operation ${op.name}, but this trial has no onOperation hook`);
        this.operationHook(op);
        this.send({ type: 'schedule', iteration, index: op.index, name: op.name });
      }
      if (!msg.reevaluate) return msg.decision;
      if (!this.reevaluateHook) throw new Error('tune asked for a reevaluation, but this trial has no onReevaluate hook');
      current = await this.reevaluateHook();
    }
  }

  /**
   * A validation boundary as the protocol wants it: report and wait for the decision. At the end (a stop, or
   * the last iteration) the trial saves its final checkpoint, announces it and sends `done`, so the trained
   * model is kept and journalled; otherwise it saves a checkpoint every checkpointEvery-th boundary, and
   * always before a pause, and sends `paused` when asked. `save` writes a complete checkpoint of the state
   * after this boundary and returns its path; `final` tells it that the trial ends there.
   */
  async boundary(iteration: number, metrics: Record<string, number>, boundaryIndex: number, save: (final: boolean) => string): Promise<void> {
    const decision = await this.report(iteration, metrics);
    if (decision === 'stop' || iteration >= this.maxIters) this.done(iteration, save(true));
    const pause = decision === 'pause' || this.pauseRequested();
    if (pause || boundaryIndex % this.checkpointEvery === 0) this.checkpointSaved(save(false), iteration);
    if (pause) this.paused(iteration);
  }

  /** True when tune asked every trial to pause (the session's pause file exists). */
  pauseRequested(): boolean {
    return existsSync(this.pauseFile);
  }

  /** Tells tune a complete checkpoint is on disk (inside the trial directory; `path` absolute or relative to it). */
  checkpointSaved(path: string, iteration: number): void {
    this.send({ type: 'checkpoint', iteration, path });
  }

  paused(iteration: number): never {
    this.send({ type: 'paused', iteration });
    process.exit(0);
  }

  /** Tells tune the trial ended; `checkpoint`, when given, is announced first as its final checkpoint. */
  done(iteration: number, checkpoint?: string): never {
    if (checkpoint !== undefined) this.checkpointSaved(checkpoint, iteration);
    this.send({ type: 'done', iteration });
    process.exit(0);
  }
}

/**
 * The launcher says which carrier to use (TUNE_PROTOCOL_CARRIER); a trial started by something that does not
 * say uses fd 3 when it is open, and stdout otherwise.
 */
function chooseCarrier(env: NodeJS.ProcessEnv): Carrier {
  const v = env[ENV.carrier];
  if (v === 'fd3' || v === 'stdout') return v;
  if (v !== undefined && v !== '') throw new Error(`${ENV.carrier} is ${JSON.stringify(v)}, but must be fd3 or stdout`);
  try {
    // Node itself may hold fd 3 (its event loop's epoll descriptor when nothing was passed there): only a
    // pipe, socket or file there is a carrier someone gave the trial.
    const s = fstatSync(PROTOCOL_FD);
    return s.isFIFO() || s.isSocket() || s.isFile() ? 'fd3' : 'stdout';
  } catch {
    return 'stdout';
  }
}
