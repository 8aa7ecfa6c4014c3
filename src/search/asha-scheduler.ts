import type { RungOptions } from '../spec/types.js';
import type { Json } from '../util/json.js';
import { addRungTrial, ashaRungs, ceilDiv, describeRung, floorDiv, rankRecords, rungTrialsFromJson, rungTrialAt, rungTrialsToJson, type RungTrial } from './rungs.js';
import type { ChooseContext, Choice, Decision, Loss, Scheduler } from './types.js';

export type AshaOptions = RungOptions & { variant: 'promotion' | 'stopping' };

/**
 * Asynchronous successive halving (Li et al. 2018), one bracket. Promotion variant: a trial waits at a rung
 * until it is in the top ⌊n/η⌋ of the n trials recorded there, and a free slot promotes the best such trial
 * from the highest rung down before starting a new one (the paper's get_job). Stopping variant: a trial goes
 * on while it ranks in the top ⌈n/η⌉ of its rung so far, and stops otherwise; it never waits.
 */
export class AshaScheduler implements Scheduler {
  /** The iteration of each rung; the last is max_t. */
  private readonly rungs: number[];
  private readonly eta: number;
  private readonly variant: 'promotion' | 'stopping';
  private trials: RungTrial[] = [];
  /** Each rung's trials best first, derived from `trials` (not state): dropped when the rung gets a record. */
  private rankCache: (number[] | undefined)[] = [];

  constructor(opts: AshaOptions, evalInterval: number) {
    if (opts.variant !== 'promotion' && opts.variant !== 'stopping') {
      throw new Error(`\`variant\` is ${JSON.stringify(opts.variant)}, but must be "promotion" or "stopping"`);
    }
    this.rungs = ashaRungs(opts, evalInterval);
    this.eta = opts.reduction_factor;
    this.variant = opts.variant;
  }

  onTrialAdded(trialIndex: number): void {
    addRungTrial(this.trials, trialIndex, 'asha scheduler');
  }

  onResult(trialIndex: number, iteration: number, loss: Loss): Decision {
    const t = this.trial(trialIndex);
    if (t.status === 'waiting') return 'pause';
    if (t.status !== 'running') return 'stop';
    const k = t.losses.length;
    const top = this.rungs.length - 1;
    if (k > top || iteration < this.rungs[k]) return 'continue';
    t.losses.push(loss);
    this.rankCache[k] = undefined;
    if (k === top) return 'continue';
    if (this.variant === 'stopping') {
      const ranked = this.ranked(k);
      if (ranked.indexOf(trialIndex) < Math.max(1, ceilDiv(ranked.length, this.eta))) return 'continue';
      t.status = 'stopped';
      return 'stop';
    }
    t.status = 'waiting';
    if (this.candidates(k).includes(trialIndex)) {
      t.status = 'running'; // promoted at once: no pause and restart
      return 'continue';
    }
    return 'pause';
  }

  chooseNext(ctx: ChooseContext): Choice {
    if (this.variant === 'stopping') return ctx.searcherFinished ? null : 'new';
    for (let k = this.rungs.length - 2; k >= 0; k--) {
      const c = this.candidates(k);
      if (c.length > 0) return { promote: c[0] };
    }
    if (!ctx.searcherFinished) return 'new';
    if (ctx.running > 0) return null;
    return this.finish();
  }

  promote(trialIndex: number): void {
    const t = this.trial(trialIndex);
    if (t.status !== 'waiting') throw new Error(`asha scheduler: cannot promote trial ${trialIndex}: it is ${t.status}, not waiting`);
    t.status = 'running';
  }

  onTrialEnd(trialIndex: number, status: 'completed' | 'stopped' | 'failed'): void {
    this.trial(trialIndex).status = status;
  }

  onReopen(trialIndex: number): void {
    const t = this.trial(trialIndex);
    if (t.status === 'failed' || t.status === 'completed') t.status = 'running';
  }

  describe(trialIndex: number): string | null {
    const t = this.trials[trialIndex];
    return t === undefined ? null : describeRung(t, this.rungs);
  }

  getState(): Json {
    return rungTrialsToJson(this.trials);
  }

  setState(state: Json): void {
    const trials = rungTrialsFromJson(state, 'asha scheduler', () => this.rungs.length);
    if (this.variant === 'stopping') {
      const i = trials.findIndex((t) => t.status === 'waiting');
      if (i >= 0) throw new Error(`asha scheduler state: trials[${i}] is waiting, but the stopping variant never pauses`);
    }
    this.trials = trials;
    this.rankCache = [];
  }

  private trial(i: number): RungTrial {
    return rungTrialAt(this.trials, i, 'asha scheduler');
  }

  /** The trials recorded at rung k, best first. */
  private ranked(k: number): number[] {
    const cached = this.rankCache[k];
    if (cached !== undefined) return cached;
    const records: [number, Loss][] = [];
    this.trials.forEach((t, i) => {
      if (t.losses.length > k) records.push([i, t.losses[k]]);
    });
    return (this.rankCache[k] = rankRecords(records));
  }

  /** Rung k's top ⌊n/η⌋ that still wait there, best first. */
  private candidates(k: number): number[] {
    const ranked = this.ranked(k);
    return ranked.slice(0, floorDiv(ranked.length, this.eta)).filter((i) => this.isWaitingAt(i, k));
  }

  private isWaitingAt(i: number, k: number): boolean {
    const t = this.trials[i];
    return t.status === 'waiting' && t.losses.length === k + 1;
  }

  /**
   * The searcher is done and nothing runs, and no trial has earned a promotion: so that at least one trial
   * reaches max_t, promote the best waiting trial of the highest rung with waiting trials when no trial that
   * did not fail has reached the rung above; otherwise stop the waiting trials, lowest index first.
   */
  private finish(): Choice {
    const waiting: number[] = [];
    this.trials.forEach((t, i) => {
      if (t.status === 'waiting') waiting.push(i);
    });
    if (waiting.length === 0) return null;
    const k = waiting.reduce((high, i) => Math.max(high, this.trials[i].losses.length - 1), 0);
    const aboveReached = this.trials.some((t) => t.status !== 'failed' && t.losses.length > k + 1);
    if (!aboveReached) {
      const best = this.ranked(k).find((i) => this.isWaitingAt(i, k));
      if (best !== undefined) return { promote: best };
    }
    return { stop: waiting[0] };
  }
}
