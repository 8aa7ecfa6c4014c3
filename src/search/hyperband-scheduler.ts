import type { RungOptions } from '../spec/types.js';
import type { Json } from '../util/json.js';
import {
  addRungTrial,
  bracketOfTrial,
  checkRungOptions,
  describeRung,
  floorDiv,
  hyperbandBrackets,
  rankRecords,
  rungTrialAt,
  rungTrialsFromJson,
  rungTrialsToJson,
  type BracketPlace,
  type HyperbandBracket,
  type RungTrial,
} from './rungs.js';
import type { ChooseContext, Choice, Decision, Loss, Scheduler } from './types.js';

/**
 * Hyperband (Li et al. 2018) with synchronous successive halving inside each bracket. Trials fill the
 * brackets s_max, s_max−1, … 0 of a cycle in index order, then the next cycle (`bracketOfTrial`). A member
 * waits at the end of each rung but the last; once every live member of a rung has reported (the bracket
 * has all its n trials, or the searcher is finished and it has what it has; failed members drop out), the
 * top max(1, ⌊m/η⌋) of the m reports go on and the rest stop. The member whose report decides a rung is told
 * at once; the others hear it through chooseNext. onResult cannot know the searcher is finished, so in a
 * bracket that never fills, even the last report waits and chooseNext decides the rung.
 */
export class HyperbandScheduler implements Scheduler {
  private readonly brackets: HyperbandBracket[];
  private readonly eta: number;
  private trials: RungTrial[] = [];

  constructor(opts: RungOptions, evalInterval: number) {
    checkRungOptions(opts, evalInterval);
    this.brackets = hyperbandBrackets(opts, evalInterval);
    this.eta = opts.reduction_factor;
  }

  onTrialAdded(trialIndex: number): void {
    addRungTrial(this.trials, trialIndex, 'hyperband scheduler');
  }

  onResult(trialIndex: number, iteration: number, loss: Loss): Decision {
    const t = this.trial(trialIndex);
    if (t.status === 'waiting') return 'pause';
    if (t.status !== 'running') return 'stop';
    const place = bracketOfTrial(trialIndex, this.brackets);
    const rungs = this.brackets[place.bracket].rungs;
    const k = t.losses.length;
    if (k >= rungs.length || iteration < rungs[k]) return 'continue';
    t.losses.push(loss);
    if (k === rungs.length - 1) return 'continue';
    t.status = 'waiting';
    const goOn = this.resolve(place, false)[k];
    if (goOn === null) return 'pause';
    if (goOn.includes(trialIndex)) {
      t.status = 'running';
      return 'continue';
    }
    t.status = 'stopped';
    return 'stop';
  }

  chooseNext(ctx: ChooseContext): Choice {
    // Waiting trials by bracket instance; instances grow with the trial index, so oldest bracket first.
    const waitingBy = new Map<number, number[]>();
    this.trials.forEach((t, i) => {
      if (t.status !== 'waiting') return;
      const instance = bracketOfTrial(i, this.brackets).instance;
      const list = waitingBy.get(instance);
      if (list) list.push(i);
      else waitingBy.set(instance, [i]);
    });
    let promotion: number | null = null;
    for (const waiting of waitingBy.values()) {
      const goOn = this.resolve(bracketOfTrial(waiting[0], this.brackets), ctx.searcherFinished);
      // A rung is decided only once all it promoted have reported: its promotions are at one rung at a time.
      let best: { i: number; rank: number } | null = null;
      for (const i of waiting) {
        const decided = goOn[this.trials[i].losses.length - 1];
        if (decided === null) continue;
        const rank = decided.indexOf(i);
        if (rank < 0) return { stop: i };
        if (best === null || rank < best.rank) best = { i, rank };
      }
      if (promotion === null && best !== null) promotion = best.i;
    }
    if (promotion !== null) return { promote: promotion };
    return ctx.searcherFinished ? null : 'new';
  }

  promote(trialIndex: number): void {
    const t = this.trial(trialIndex);
    if (t.status !== 'waiting') throw new Error(`hyperband scheduler: cannot promote trial ${trialIndex}: it is ${t.status}, not waiting`);
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
    if (t === undefined) return null;
    const place = bracketOfTrial(trialIndex, this.brackets);
    const rung = describeRung(t, this.brackets[place.bracket].rungs);
    return rung === null ? `bracket ${place.instance}` : `b${place.instance} ${rung}`;
  }

  getState(): Json {
    return rungTrialsToJson(this.trials);
  }

  setState(state: Json): void {
    this.trials = rungTrialsFromJson(state, 'hyperband scheduler', (i) => this.brackets[bracketOfTrial(i, this.brackets).bracket].rungs.length);
  }

  private trial(i: number): RungTrial {
    return rungTrialAt(this.trials, i, 'hyperband scheduler');
  }

  /**
   * For each rung of a bracket instance but the last: the members that go on from it, best first, once it
   * is decided; null while a member may still report there. Rung 0 expects every member (so the bracket must
   * be full, or the searcher finished); rung k+1 expects those rung k lets go on. A member that ended before
   * reporting (failed) is not waited for; a report, once made, keeps counting.
   */
  private resolve(place: BracketPlace, searcherFinished: boolean): (number[] | null)[] {
    const bracket = this.brackets[place.bracket];
    const end = Math.min(place.first + bracket.n, this.trials.length);
    const members: number[] = [];
    for (let i = place.first; i < end; i++) members.push(i);
    let expected: number[] | null = end === place.first + bracket.n || searcherFinished ? members : null;
    const decided: (number[] | null)[] = [];
    for (let k = 0; k < bracket.rungs.length - 1; k++) {
      const settled = expected !== null && expected.every((i) => this.trials[i].losses.length > k || this.hasEnded(i));
      if (settled) {
        const reports: [number, Loss][] = [];
        for (const i of members) if (this.trials[i].losses.length > k) reports.push([i, this.trials[i].losses[k]]);
        const ranked = rankRecords(reports);
        expected = ranked.slice(0, ranked.length === 0 ? 0 : Math.max(1, floorDiv(ranked.length, this.eta)));
      } else {
        expected = null;
      }
      decided.push(expected);
    }
    return decided;
  }

  private hasEnded(i: number): boolean {
    const s = this.trials[i].status;
    return s === 'completed' || s === 'stopped' || s === 'failed';
  }
}
