import type { TpeOptions } from '../../spec/types.js';
import type { Json } from '../../util/json.js';
import { isPlainObject } from '../../util/json.js';
import { Rng } from '../rng.js';
import { sampleConfig, type Config, type Distribution, type ParamValue, type SearchSpace } from '../space.js';
import type { Searcher, TrialOutcome } from '../types.js';
import { decode, encode, modelDim, type ModelDim } from './dims.js';
import { RUNNING, rankKey, sampleTpe, type Observation } from './sampler.js';

export { defaultWeights, ParzenEstimator, type ParzenOptions } from './parzen.js';
export { gamma, rankKey, splitByRank, type RankKey } from './sampler.js';

/** What the searcher remembers of one trial it proposed. */
interface TrialRecord {
  index: number;
  config: Config;
  /** null while the trial runs. */
  outcome: TrialOutcome | null;
}

/**
 * Tree-structured Parzen Estimator, as Optuna 3.1's TPESampler does it (optuna/samplers/_tpe): random
 * draws until n_startup_trials trials have finished, then each config maximises l(x)/g(x) among
 * n_ei_candidates drawn from l. Two departures, both what later Optuna does: kernel densities are
 * normalised (Optuna 3.5's fix, optuna#5110), and multivariate kernels take Optuna 5.0's bandwidths
 * (ParzenOptions.multivariateBandwidth). Univariate TPE is thus Optuna 3.5 to 4.8's. The searcher learns
 * configs from its own suggestions and results from onComplete; every random number comes from its one
 * saved Rng, and the whole state is plain JSON.
 */
export class TpeSearcher implements Searcher {
  private rng: Rng;
  private suggested = 0;
  /** By trial index, in the order suggested. */
  private trials = new Map<number, TrialRecord>();
  private readonly modelled: { name: string; dist: Distribution; dim: ModelDim }[] = [];
  private readonly fixed = new Map<string, ParamValue>();

  constructor(
    private readonly space: SearchSpace,
    private readonly numTrials: number,
    seed: number,
    private readonly opts: TpeOptions,
  ) {
    checkOptions(opts);
    this.rng = new Rng(seed);
    for (const [name, dist] of Object.entries(space)) {
      const m = modelDim(dist);
      if ('fixed' in m) this.fixed.set(name, m.fixed);
      else this.modelled.push({ name, dist, dim: m });
    }
  }

  suggest(trialIndex: number): Config | 'finished' {
    if (this.suggested >= this.numTrials) return 'finished';
    const config = this.propose();
    this.suggested++;
    this.trials.delete(trialIndex);
    this.trials.set(trialIndex, { index: trialIndex, config: { ...config }, outcome: null });
    return config;
  }

  onComplete(trialIndex: number, outcome: TrialOutcome): void {
    const record = this.trials.get(trialIndex);
    if (!record) return; // not one of ours: nothing to learn from
    const loss = typeof outcome.loss === 'number' && Number.isFinite(outcome.loss) ? outcome.loss : null;
    record.outcome = { status: outcome.status, iteration: outcome.iteration, loss };
  }

  onReopen(trialIndex: number): void {
    const record = this.trials.get(trialIndex);
    if (record) record.outcome = null;
  }

  /** A trial waiting at a rung ranks, until it ends, like a stopped one at that iteration. */
  onWait(trialIndex: number, outcome: TrialOutcome): void {
    this.onComplete(trialIndex, outcome);
  }

  private propose(): Config {
    const observations = this.observations();
    const finished = observations.filter((o) => o.key[0] !== Infinity).length; // running ones do not count
    if (finished < this.opts.n_startup_trials) return sampleConfig(this.space, this.rng);
    const values = this.modelled.length > 0 ? sampleTpe(this.modelled.map((m) => m.dim), observations, this.opts, this.rng) : [];
    const byName = new Map(this.modelled.map((m, k) => [m.name, decode(m.dist, values[k])]));
    const config: Config = {};
    for (const name of Object.keys(this.space)) config[name] = byName.get(name) ?? (this.fixed.get(name) as ParamValue);
    return config;
  }

  /** Finished trials (and, with constant_liar, running ones), oldest trial index first. */
  private observations(): Observation[] {
    const out: Observation[] = [];
    for (const record of [...this.trials.values()].sort((a, b) => a.index - b.index)) {
      const key = record.outcome ? rankKey(record.outcome) : this.opts.constant_liar ? RUNNING : null;
      if (!key) continue;
      out.push({ key, values: this.modelled.map((m) => encode(m.dist, record.config[m.name])) });
    }
    return out;
  }

  getState(): Json {
    const trials: Json[] = [...this.trials.values()].map((t) => ({
      index: t.index,
      config: { ...t.config },
      outcome: t.outcome && { status: t.outcome.status, iteration: t.outcome.iteration, loss: t.outcome.loss },
    }));
    return { rng: this.rng.getState(), suggested: this.suggested, trials };
  }

  setState(state: Json): void {
    const bad = (what: string): never => {
      throw new Error(`tpe searcher state needs ${what}`);
    };
    if (!isPlainObject(state)) bad('an object with rng, suggested and trials');
    const s = state as Record<string, unknown>;
    const rng = s.rng;
    if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) || rng.every((w) => w === 0)) {
      bad('rng: four 32-bit words, not all zero');
    }
    if (!Number.isInteger(s.suggested) || (s.suggested as number) < 0) bad('suggested: a whole number');
    if (!Array.isArray(s.trials)) bad('trials: a list');
    const trials = new Map<number, TrialRecord>();
    (s.trials as unknown[]).forEach((t, i) => {
      const at = `trials[${i}]`;
      if (!isPlainObject(t)) bad(`${at} to be an object with index, config and outcome`);
      const r = t as Record<string, unknown>;
      if (!Number.isInteger(r.index) || (r.index as number) < 0) bad(`${at}.index: a whole number`);
      const index = r.index as number;
      if (trials.has(index)) bad(`${at}.index to be unique, but trial ${index} appears twice`);
      if (!isPlainObject(r.config)) bad(`${at}.config: an object`);
      const config = this.checkConfig(r.config as Record<string, unknown>, `${at}.config`);
      trials.set(index, { index, config, outcome: r.outcome === null ? null : checkOutcome(r.outcome, `${at}.outcome`) });
    });
    if (trials.size > (s.suggested as number)) bad(`at most one trial per suggestion, but suggested is ${s.suggested as number} and there are ${trials.size} trials`);
    this.rng = new Rng(rng as [number, number, number, number]);
    this.suggested = s.suggested as number;
    this.trials = trials;
  }

  private checkConfig(raw: Record<string, unknown>, at: string): Config {
    const config: Config = {};
    const names = Object.keys(this.space);
    for (const name of names) {
      const v = raw[name];
      if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') {
        throw new Error(`tpe searcher state needs ${at}.${name}: a number, string or boolean`);
      }
      try {
        encode(this.space[name], v);
      } catch (e) {
        throw new Error(`tpe searcher state has ${at}.${name} = ${JSON.stringify(v)}, which does not fit the search space: ${(e as Error).message}`);
      }
      config[name] = v;
    }
    const extra = Object.keys(raw).filter((k) => !(k in this.space));
    if (extra.length > 0) throw new Error(`tpe searcher state has ${at}.${extra[0]}, which is not in the search space`);
    return config;
  }
}

function checkOutcome(raw: unknown, at: string): TrialOutcome {
  const bad = (what: string): never => {
    throw new Error(`tpe searcher state needs ${at}${what}`);
  };
  if (!isPlainObject(raw)) bad(': null or an object with status, iteration and loss');
  const o = raw as Record<string, unknown>;
  if (o.status !== 'completed' && o.status !== 'stopped' && o.status !== 'failed' && o.status !== 'waiting') bad('.status: completed, stopped, failed or waiting');
  if (typeof o.iteration !== 'number' || !Number.isFinite(o.iteration)) bad('.iteration: a finite number');
  if (o.loss !== null && (typeof o.loss !== 'number' || !Number.isFinite(o.loss))) bad('.loss: a finite number or null');
  return { status: o.status as TrialOutcome['status'], iteration: o.iteration as number, loss: o.loss as number | null };
}

function checkOptions(o: TpeOptions): void {
  const whole = (name: keyof TpeOptions, min: number) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`tpe option \`${name}\` is ${String(v)}, but must be a whole number >= ${min}`);
  };
  whole('n_startup_trials', 0);
  whole('n_ei_candidates', 1);
  if (typeof o.prior_weight !== 'number' || !(o.prior_weight > 0) || !Number.isFinite(o.prior_weight)) {
    throw new Error(`tpe option \`prior_weight\` is ${String(o.prior_weight)}, but must be a positive number`);
  }
}
