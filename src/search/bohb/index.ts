import type { BohbOptions } from '../../spec/types.js';
import type { Json } from '../../util/json.js';
import { Rng, type RngState } from '../rng.js';
import { sampleConfig, type Config, type SearchSpace } from '../space.js';
import type { Loss, Searcher } from '../types.js';
import { Encoding } from './encoding.js';
import { buildModel, propose, type Model, type Observation } from './model.js';

export { Kde, normalReference, type Dimension } from './kde.js';
export { splitSizes } from './model.js';

/** One budget's results in arrival order: [trial index, loss]. */
type Results = [number, Loss][];

/**
 * BOHB's model-based searcher (Falkner et al. 2018; HpBandSter's config generator): a good/bad KDE pair per
 * Hyperband budget, proposals from the largest budget that has one, random configs before any does and a
 * `random_fraction` of the time after. It only proposes: the Hyperband scheduler decides what runs at which
 * budget, and results reach this searcher through the orchestrator's `onResult`.
 */
export class BohbSearcher implements Searcher {
  private rng: Rng;
  private suggested = 0;
  private configs = new Map<number, Config>();
  /** Per budget, in the order of `budgets`. */
  private results: Results[];
  /** Models are a pure function of the results: cached per budget with the result count they saw. */
  private models = new Map<number, { count: number; model: Model | null }>();
  private readonly encoding: Encoding;
  private readonly minPoints: number;

  constructor(
    private readonly space: SearchSpace,
    private readonly numTrials: number,
    seed: number,
    private readonly budgets: readonly number[],
    private readonly opts: BohbOptions,
  ) {
    if (budgets.length === 0 || !budgets.every((b, k) => Number.isFinite(b) && b > 0 && (k === 0 || b > budgets[k - 1]))) {
      throw new Error(`BOHB budgets are [${budgets.join(', ')}], but must be positive and strictly ascending`);
    }
    this.rng = new Rng(seed);
    this.encoding = new Encoding(space);
    this.results = budgets.map(() => []);
    // HpBandSter raises a min_points_in_model below dimensions + 1 to that (a KDE needs more points than dimensions).
    const d = this.encoding.dimensions.length;
    this.minPoints = Math.max(opts.min_points_in_model ?? d + 1, d + 1);
  }

  suggest(trialIndex: number): Config | 'finished' {
    if (this.suggested >= this.numTrials) return 'finished';
    if (this.configs.has(trialIndex)) throw new Error(`BOHB was asked twice for trial ${trialIndex}`);
    const budget = this.modelBudget();
    let config: Config;
    if (budget === null || this.rng.next() < this.opts.random_fraction) {
      config = sampleConfig(this.space, this.rng);
    } else {
      const model = this.modelAt(this.budgets.indexOf(budget)) as Model;
      const snap = (v: number[]) => this.encoding.snap(v);
      config = this.encoding.decode(propose(model, this.rng, this.opts.num_samples, this.opts.bandwidth_factor, snap));
    }
    this.suggested++;
    this.configs.set(trialIndex, config);
    return { ...config };
  }

  /** Records results at the budgets; other iterations are progress the model does not use. */
  onResult(trialIndex: number, iteration: number, loss: Loss): void {
    const k = this.budgets.indexOf(iteration);
    if (k < 0) return;
    if (!this.configs.has(trialIndex)) throw new Error(`BOHB got a result for trial ${trialIndex}, which it did not propose`);
    if (this.results[k].some(([t]) => t === trialIndex)) throw new Error(`BOHB got trial ${trialIndex}'s result at iteration ${iteration} twice`);
    this.results[k].push([trialIndex, loss === null || Number.isFinite(loss) ? loss : null]);
  }

  /** The budget whose model the next proposal would use (the largest that has one), or null: random. */
  modelBudget(): number | null {
    for (let k = this.budgets.length - 1; k >= 0; k--) if (this.modelAt(k)) return this.budgets[k];
    return null;
  }

  private modelAt(k: number): Model | null {
    const results = this.results[k];
    const cached = this.models.get(k);
    if (cached && cached.count === results.length) return cached.model;
    const observations: Observation[] = results.map(([t, loss]) => ({ vector: this.encoding.encode(this.configs.get(t) as Config), loss }));
    const model = buildModel(observations, this.encoding.dimensions, {
      minPoints: this.minPoints,
      topNPercent: this.opts.top_n_percent,
      minBandwidth: this.opts.min_bandwidth,
    });
    this.models.set(k, { count: results.length, model });
    return model;
  }

  getState(): Json {
    return {
      rng: this.rng.getState(),
      suggested: this.suggested,
      configs: [...this.configs].map(([t, c]) => [t, { ...c }]),
      observations: this.budgets.map((budget, k) => ({ budget, results: this.results[k].map(([t, l]) => [t, l]) })),
    };
  }

  setState(state: Json): void {
    const bad = (why: string): never => {
      throw new Error(`BOHB searcher state ${why}`);
    };
    const s = state as { rng?: unknown; suggested?: unknown; configs?: unknown; observations?: unknown } | null;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) return bad('must be an object');
    const rng = s.rng;
    if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) || rng.every((w) => w === 0)) {
      return bad('needs rng: four 32-bit words, not all zero');
    }
    const suggested = s.suggested;
    if (typeof suggested !== 'number' || !Number.isInteger(suggested) || suggested < 0 || suggested > this.numTrials) {
      return bad(`needs suggested: a whole number from 0 to ${this.numTrials}`);
    }
    if (!Array.isArray(s.configs)) return bad('needs configs: a list of [trial index, config]');
    const configs = new Map<number, Config>();
    for (const entry of s.configs as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 2 || !isIndex(entry[0]) || typeof entry[1] !== 'object' || entry[1] === null || Array.isArray(entry[1])) {
        return bad(`has configs entry ${JSON.stringify(entry)}, but each must be [trial index, config]`);
      }
      const [t, config] = entry as [number, Config];
      if (configs.has(t)) return bad(`has trial ${t} twice in configs`);
      const problem = this.encoding.problem(config);
      if (problem) return bad(`has trial ${t}'s config, which ${problem}`);
      configs.set(t, { ...config });
    }
    if (configs.size !== suggested) return bad(`has ${configs.size} configs, but suggested is ${suggested}`);
    const obs = s.observations;
    if (!Array.isArray(obs) || obs.length !== this.budgets.length) return bad(`needs observations for the budgets ${this.budgets.join(', ')}`);
    const results: Results[] = [];
    for (const [k, o] of (obs as unknown[]).entries()) {
      const { budget, results: rs } = (o ?? {}) as { budget?: unknown; results?: unknown };
      if (budget !== this.budgets[k]) return bad(`has observations for budget ${JSON.stringify(budget)} where budget ${this.budgets[k]} belongs`);
      if (!Array.isArray(rs)) return bad(`needs results for budget ${budget}: a list of [trial index, loss]`);
      const seen = new Set<number>();
      const list: Results = [];
      for (const r of rs as unknown[]) {
        if (!Array.isArray(r) || r.length !== 2 || !isIndex(r[0]) || !(r[1] === null || (typeof r[1] === 'number' && Number.isFinite(r[1])))) {
          return bad(`has result ${JSON.stringify(r)} at budget ${budget}, but each must be [trial index, finite loss or null]`);
        }
        const [t, loss] = r as [number, Loss];
        if (!configs.has(t)) return bad(`has a result at budget ${budget} for trial ${t}, which has no config`);
        if (seen.has(t)) return bad(`has trial ${t} twice at budget ${budget}`);
        seen.add(t);
        list.push([t, loss]);
      }
      results.push(list);
    }
    this.rng = new Rng(rng as RngState);
    this.suggested = suggested;
    this.configs = configs;
    this.results = results;
    this.models = new Map();
  }
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
