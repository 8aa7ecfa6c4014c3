import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomSearcher } from '../../src/search/random-searcher.js';
import { Rng } from '../../src/search/rng.js';
import type { Config, SearchSpace } from '../../src/search/space.js';
import { decode, modelDim, roundToGrid, type ModelDim } from '../../src/search/tpe/dims.js';
import { defaultWeights, gamma, ParzenEstimator, rankKey, splitByRank, TpeSearcher, type ParzenOptions } from '../../src/search/tpe/index.js';
import { parzenOptions, RUNNING } from '../../src/search/tpe/sampler.js';
import { logGaussMass, logNdtr, ndtr, truncnormPpf } from '../../src/search/tpe/truncnorm.js';
import type { TrialOutcome } from '../../src/search/types.js';
import type { TpeOptions } from '../../src/spec/types.js';
import { TPE_DEFAULTS } from '../../src/spec/strategy.js';

/** Optuna's TPESampler defaults (ours, but for the constant liar that tune turns on for concurrent trials). */
const defaults: TpeOptions = { ...TPE_DEFAULTS, constant_liar: false };
const univariate: ParzenOptions = { priorWeight: 1, considerMagicClip: true, considerEndpoints: false, multivariate: false };

function close(actual: number, expected: number, tol = 1e-12, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what} ${actual} is not ${expected}`);
}
function allClose(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length, `${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`);
  actual.forEach((a, i) => close(a, expected[i], tol, `[${i}]`));
}

describe('TPE pieces, against answers worked out by hand', () => {
  test('gamma: 10% of the finished trials, rounded up, at most 25', () => {
    // ceil(0.1) = 1, ceil(1.0) = 1, ceil(1.1) = 2, ceil(25.0) = 25, min(ceil(30), 25) = 25.
    assert.deepEqual([1, 10, 11, 250, 300].map(gamma), [1, 1, 2, 25, 25]);
  });

  test('the split: completed by loss, then stopped by iteration reached and loss, then running', () => {
    // Trials in chronological order, and the key each gets (stage, loss); smaller ranks better:
    //   t0 completed 0.5       → (−∞, 0.5)
    //   t1 completed null      → (−∞, +∞)    diverged: the worst completed, still before any stopped one
    //   t2 stopped at it 10, 0.1 → (−10, 0.1)
    //   t3 completed 0.2       → (−∞, 0.2)
    //   t4 stopped at it 30, 0.9 → (−30, 0.9)  went further than t2 and t8, so ranks before them
    //   t5 failed              → ignored (no key)
    //   t6 running             → (+∞, +∞)    constant liar: after everything
    //   t7 completed 0.3       → (−∞, 0.3)
    //   t8 stopped at it 10, 0.05 → (−10, 0.05)
    // Ranking: t3, t7, t0, t1, t4, t8, t2, t6.
    const outcomes: (TrialOutcome | 'running')[] = [
      { status: 'completed', iteration: 100, loss: 0.5 },
      { status: 'completed', iteration: 100, loss: null },
      { status: 'stopped', iteration: 10, loss: 0.1 },
      { status: 'completed', iteration: 100, loss: 0.2 },
      { status: 'stopped', iteration: 30, loss: 0.9 },
      { status: 'failed', iteration: 3, loss: 0.01 },
      'running',
      { status: 'completed', iteration: 100, loss: 0.3 },
      { status: 'stopped', iteration: 10, loss: 0.05 },
    ];
    const trials: number[] = [];
    const keys = [];
    for (const [t, o] of outcomes.entries()) {
      const key = o === 'running' ? RUNNING : rankKey(o);
      if (key) {
        trials.push(t);
        keys.push(key);
      }
    }
    assert.deepEqual(trials, [0, 1, 2, 3, 4, 6, 7, 8], 'the failed trial is dropped');
    assert.deepEqual(keys[1], [-Infinity, Infinity]);
    assert.deepEqual(keys[4], [-30, 0.9]);
    const named = (positions: number[]) => positions.map((p) => trials[p]);
    // 7 finished (the running one does not count): gamma(7) = ceil(0.7) = 1, so only t3 is good.
    const g = splitByRank(keys, gamma(7));
    assert.deepEqual(named(g.below), [3]);
    assert.deepEqual(named(g.above), [0, 1, 2, 4, 6, 7, 8]);
    // Taking 5: t3, t7, t0, t1, t4 (listed back in chronological order); the rest, running t6 included, above.
    const five = splitByRank(keys, 5);
    assert.deepEqual(named(five.below), [0, 1, 3, 4, 7]);
    assert.deepEqual(named(five.above), [2, 6, 8]);
    // Taking 6 adds t8 (same iteration as t2, lower loss), not the older t2.
    assert.deepEqual(named(splitByRank(keys, 6).below), [0, 1, 3, 4, 7, 8]);
  });

  test('weights: flat below 25 observations, a ramp from 1/n for the oldest beyond', () => {
    // n = 3: [1, 1, 1]; with the prior (weight 1) appended and normalised: 1/4 each.
    assert.deepEqual(defaultWeights(3), [1, 1, 1]);
    allClose(new ParzenEstimator([{ kind: 'categorical', size: 2 }], [[0], [1], [0]], univariate).weights, [0.25, 0.25, 0.25, 0.25]);
    // prior_weight 2: [1, 1, 1, 2] / 5.
    allClose(new ParzenEstimator([{ kind: 'categorical', size: 2 }], [[0], [1], [0]], { ...univariate, priorWeight: 2 }).weights, [0.2, 0.2, 0.2, 0.4]);
    // n = 30: the 30 − 25 = 5 oldest ramp linearly from 1/30 to 1, step (1 − 1/30)/4 = 29/120:
    // 4/120, 33/120, 62/120, 91/120, 120/120; then 25 ones.
    const w30 = defaultWeights(30);
    allClose(w30.slice(0, 5), [4 / 120, 33 / 120, 62 / 120, 91 / 120, 1]);
    assert.deepEqual(w30.slice(5), new Array(25).fill(1));
    // n = 25 has no ramp; n = 26 a ramp of one: [1/26].
    assert.deepEqual(defaultWeights(25), new Array(25).fill(1));
    allClose(defaultWeights(26).slice(0, 2), [1 / 26, 1]);
  });

  test('univariate Parzen mixture of a uniform dimension: mus, sigmas, weights and the density at a point', () => {
    // uniform [0, 20], observations 2, 3, 14. The prior sits at the midpoint 10 with sigma = range = 20.
    // mus = [2, 3, 14, 10]. Sorted with the bounds: 0 | 2 3 10 14 | 20.
    // Each sigma = larger gap to a neighbour: 2 → max(2, 1) = 2, 3 → max(1, 7) = 7, 10 → max(7, 4) = 7,
    // 14 → max(4, 6) = 6; without consider_endpoints the outermost use their inner gap only:
    // 2 → 3 − 2 = 1, 14 → 14 − 10 = 4. Magic clip: at least 20 / min(100, 1 + 4) = 4, at most 20:
    // 2 → 4, 3 → 7, 14 → 4, and the prior's is set to 20.
    const dim: ModelDim = { kind: 'numeric', low: 0, high: 20, step: null };
    const obs = [[2], [3], [14]];
    const est = new ParzenEstimator([dim], obs, univariate);
    const k = est.kernels[0];
    assert.equal(k.kind, 'numeric');
    if (k.kind !== 'numeric') return;
    allClose(k.mus, [2, 3, 14, 10]);
    allClose(k.sigmas, [4, 7, 4, 20]);
    allClose(est.weights, [0.25, 0.25, 0.25, 0.25]);
    // With consider_endpoints the outer ones keep max(2, 1) = 2 → clipped to 4, and max(4, 6) = 6.
    const ends = new ParzenEstimator([dim], obs, { ...univariate, considerEndpoints: true }).kernels[0];
    if (ends.kind === 'numeric') allClose(ends.sigmas, [4, 7, 6, 20]);
    // Without the magic clip the 1 stays: [1, 7, 4, 20].
    const noClip = new ParzenEstimator([dim], obs, { ...univariate, considerMagicClip: false }).kernels[0];
    if (noClip.kind === 'numeric') allClose(noClip.sigmas, [1, 7, 4, 20]);

    // Density at x = 5: each kernel is φ(z) / (σ (Φ(b) − Φ(a))), z = (5 − μ)/σ, cut at a = −μ/σ, b = (20 − μ)/σ.
    //   μ=2,  σ=4:  z = 0.75,   φ = 0.301137432155, [−0.5, 4.5]  mass 0.691459063601 → 0.108877534480
    //   μ=3,  σ=7:  z = 2/7,    φ = 0.382986759944, [−3/7, 17/7] mass 0.658303209664 → 0.083111237306
    //   μ=14, σ=4:  z = −2.25,  φ = 0.031739651836, [−3.5, 1.5]  mass 0.932960169652 → 0.008505092947
    //   μ=10, σ=20: z = −0.25,  φ = 0.386668116803, [−0.5, 0.5]  mass 0.382924922548 → 0.050488763467
    // l(5) = (0.108877534480 + 0.083111237306 + 0.008505092947 + 0.050488763467) / 4 = 0.062745657050,
    // log l(5) = −2.768665913723.
    close(est.logPdf([[5]])[0], -2.768665913723, 1e-11);
    // Outside the bounds there is no density.
    assert.equal(est.logPdf([[20.5]])[0], -Infinity);
  });

  test('multivariate bandwidth: 0.2 · n^(−1/(d+4)) · range for every kernel, the prior as wide as the range', () => {
    // d = 2 (uniform [0, 10], int [1, 5] → kernels on [0.5, 5.5]), n = 16: 16^(−1/6) = 2^(−2/3) = 0.629960524947,
    // sigma0 = 0.125992104989; sigmas 1.25992104989 and 0.629960524947 (above the magic clip's 10/18 and 5/18).
    const dims: ModelDim[] = [
      { kind: 'numeric', low: 0, high: 10, step: null },
      { kind: 'numeric', low: 1, high: 5, step: 1 },
    ];
    const obs = Array.from({ length: 16 }, (_, i) => [i * 0.6, 1 + (i % 5)]);
    const est = new ParzenEstimator(dims, obs, { ...univariate, multivariate: true });
    const [u, n] = est.kernels;
    if (u.kind !== 'numeric' || n.kind !== 'numeric') throw new Error('numeric kernels expected');
    allClose(u.sigmas, [...new Array(16).fill(1.25992104989), 10], 1e-11);
    allClose(n.sigmas, [...new Array(16).fill(0.629960524947), 5], 1e-11);
    assert.deepEqual([n.low, n.high], [0.5, 5.5]);
    // With 3 observations sigma0·10 = 2·3^(−1/6) = 1.665; the clip's floor 10/(1 + 4) = 2 wins.
    const few = new ParzenEstimator(dims, obs.slice(0, 3), { ...univariate, multivariate: true }).kernels[0];
    if (few.kind === 'numeric') allClose(few.sigmas, [2, 2, 2, 10]);
  });

  test('multivariate TPE sizes kernels as Optuna 5.0 does: neighbour gaps per dimension, the prior not a neighbour', () => {
    // The searcher asks for it; Scott's rule (the test above) stays the estimator's default.
    assert.equal(parzenOptions({ ...defaults, multivariate: true }).multivariateBandwidth, 'gaps');
    const gaps: ParzenOptions = { ...univariate, multivariate: true, multivariateBandwidth: 'gaps' };
    // x: uniform [0, 20], observations 2, 3, 14: sorted with the bounds 0 | 2 3 14 | 20 (no prior centre 10).
    //   2 → inner gap only (no consider_endpoints): 1; 3 → max(1, 11) = 11; 14 → inner gap 14 − 3 = 11.
    //   Magic clip: at least 20 / min(100, 1 + 4) = 4 → [4, 11, 11], prior 20. (Scott's rule would give
    //   0.2 · 3^(−1/6) · 20 = 3.33 for all, clipped to 4; univariate, with the prior's centre, [4, 7, 4].)
    // y: int [1, 5] (kernels on [0.5, 5.5]), observations 5, 1, 4: 0.5 | 1 4 5 | 5.5.
    //   1 → inner gap 3; 4 → max(3, 1) = 3; 5 → inner gap 1. Clip at least 5 / 5 = 1 → [1, 3, 3] in
    //   observation order (5, 1, 4), prior 5.
    const dims: ModelDim[] = [
      { kind: 'numeric', low: 0, high: 20, step: null },
      { kind: 'numeric', low: 1, high: 5, step: 1 },
    ];
    const est = new ParzenEstimator(dims, [[2, 5], [3, 1], [14, 4]], gaps);
    const [x, y] = est.kernels;
    if (x.kind !== 'numeric' || y.kind !== 'numeric') throw new Error('numeric kernels expected');
    allClose(x.mus, [2, 3, 14, 10]);
    allClose(x.sigmas, [4, 11, 11, 20]);
    allClose(y.sigmas, [1, 3, 3, 5]);
    // One observation: as wide as its larger distance to a bound, 20 − 2 = 18; none: only the prior.
    const one = new ParzenEstimator(dims, [[2, 5]], gaps).kernels[0];
    if (one.kind === 'numeric') allClose(one.sigmas, [18, 20]);
    const none = new ParzenEstimator(dims, [], gaps).kernels[0];
    if (none.kind === 'numeric') allClose(none.sigmas, [20]);
  });

  test('categorical kernel: prior mass spread over the choices, +1 on the observed one, rows normalised', () => {
    // 3 choices, observed 0, 2, 0, prior_weight 1: every cell starts at 1/(3 + 1) = 1/4.
    //   row for obs 0: [5/4, 1/4, 1/4] / (7/4) = [5/7, 1/7, 1/7]
    //   row for obs 2: [1/7, 1/7, 5/7]
    //   row for obs 0: [5/7, 1/7, 1/7]
    //   prior row:     [1/3, 1/3, 1/3]
    // Weights 1/4 each: P(0) = (5/7 + 1/7 + 5/7 + 1/3)/4 = (33/21 + 7/21)/4 = 10/21,
    // P(1) = (3/7 + 1/3)/4 = (16/21)/4 = 4/21, P(2) = (1/7 + 5/7 + 1/7 + 1/3)/4 = (4/3)/4 = 7/21.
    const est = new ParzenEstimator([{ kind: 'categorical', size: 3 }], [[0], [2], [0]], univariate);
    const k = est.kernels[0];
    if (k.kind !== 'categorical') throw new Error('categorical kernel expected');
    const rows = [[5 / 7, 1 / 7, 1 / 7], [1 / 7, 1 / 7, 5 / 7], [5 / 7, 1 / 7, 1 / 7], [1 / 3, 1 / 3, 1 / 3]];
    assert.equal(k.probs.length, 4);
    k.probs.forEach((row, i) => allClose(row, rows[i]));
    allClose(est.logPdf([[0], [1], [2]]), [Math.log(10 / 21), Math.log(4 / 21), Math.log(7 / 21)]);
    // Draws follow those probabilities.
    const draws = est.sample(new Rng(4), 21000).map((p) => p[0]);
    [10, 4, 7].forEach((n, c) => close(draws.filter((d) => d === c).length / 21000, n / 21, 0.02, `P(${c})`));
  });

  test('int with a step: kernels widened by half a step, draws rounded to the grid and clipped', () => {
    // int 2..9 step 3: the grid is 2, 5, 8 (9 is not on it); kernels live on [2 − 1.5, 8 + 1.5] = [0.5, 9.5].
    const d = { type: 'int', low: 2, high: 9, step: 3 } as const;
    assert.deepEqual(modelDim(d), { kind: 'numeric', low: 2, high: 8, step: 3 });
    // (6.4 − 2)/3 = 1.47 → 1 → 5;  (9.4 − 2)/3 = 2.47 → 2 → 8;  (0.6 − 2)/3 = −0.47 → 0 → 2;
    // (3.4 − 2)/3 = 0.47 → 0 → 2;  (3.6 − 2)/3 = 0.53 → 1 → 5;  12 → 3.33 → 3 → clipped to 8;  −4 → −2 → 2.
    assert.deepEqual([6.4, 9.4, 0.6, 3.4, 3.6, 12, -4].map((x) => decode(d, x)), [5, 8, 2, 2, 5, 8, 2]);
    assert.equal(roundToGrid(3.6, 2, 8, 3), 5);
    // Each grid point owns the cell of width 3 around it, so the three masses of l(x) sum to 1.
    const est = new ParzenEstimator([{ kind: 'numeric', low: 2, high: 8, step: 3 }], [[5], [8], [5]], univariate);
    const k = est.kernels[0];
    if (k.kind === 'numeric') assert.deepEqual([k.low, k.high], [0.5, 9.5]);
    const total = est.logPdf([[2], [5], [8]]).reduce((s, lp) => s + Math.exp(lp), 0);
    close(total, 1, 1e-12, 'grid mass');
    // Draws land on the grid only.
    const draws = new Set(est.sample(new Rng(3), 300).map((p) => p[0]));
    assert.deepEqual([...draws].sort((a, b) => a - b), [2, 5, 8]);
  });

  test('loguniform dimensions are modelled in log space', () => {
    const d = { type: 'loguniform', low: 1e-4, high: 1 } as const;
    const m = modelDim(d);
    assert.ok('kind' in m && m.kind === 'numeric');
    if (m.kind === 'numeric') allClose([m.low, m.high], [Math.log(1e-4), 0]);
    // The prior kernel is centred at log 0.01 (the geometric mean): the prior alone gives it the highest density.
    const est = new ParzenEstimator([m as ModelDim], [], univariate);
    const [atMean, atEdge] = est.logPdf([[Math.log(0.01)], [Math.log(0.9)]]);
    assert.ok(atMean > atEdge);
  });

  test('the truncated normal helper, far into the tails', () => {
    // Tabulated: Φ(−1) = 0.158655253931457; log Φ(−10) = −53.2312851505125; log Φ(−40) = −804.608442013754
    // (Φ(−40) is 7e−350, below the smallest double); log Φ(5) = log(1 − 2.8665e−7) = −2.86651612963764e−7.
    close(ndtr(-1), 0.158655253931457, 1e-13);
    close(logNdtr(-10), -53.2312851505125, 1e-13);
    close(logNdtr(-40), -804.608442013754, 1e-13);
    close(logNdtr(5), -2.86651612963764e-7, 1e-12);
    // log(Φ(1) − Φ(−1)) = log 0.682689492137086 = −0.381715146302126; log(Φ(31) − Φ(30)) = −454.321243956343.
    close(logGaussMass(-1, 1), -0.381715146302126, 1e-13);
    close(logGaussMass(30, 31), -454.321243956343, 1e-13);
    // Quantiles: symmetric interval → median 0; on [0, 1] the median x solves Φ(x) = (Φ(0) + Φ(1))/2 → 0.441770546686581.
    close(truncnormPpf(0.5, -1, 1), 0, 1e-15);
    close(truncnormPpf(0.5, 0, 1), 0.441770546686581, 1e-13);
    // On [−30, −29] the mass crowds at −29 (the density grows like e^(29.5 x)); the quartile is −29.0477074657323.
    close(truncnormPpf(0.25, -30, -29), -29.0477074657323, 1e-13);
    close(truncnormPpf(0.75, 29, 30), 29.0477074657323, 1e-13);
    assert.equal(truncnormPpf(0, -2, 3), -2);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The searcher as the orchestrator drives it.

const mixed: SearchSpace = {
  lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
  width: { type: 'choice', values: [16, 32, 64] },
  depth: { type: 'int', low: 1, high: 6 },
  batch: { type: 'int', low: 8, high: 64, step: 8 },
  drop: { type: 'uniform', low: 0, high: 0.5 },
  opt: { type: 'grid', values: ['sgd', 'adam', true] },
  fixed: { type: 'choice', values: ['only'] },
};

function lossOf(c: Config): number {
  const lr = Math.log10(c.lr as number) + 2.5;
  return lr * lr + Math.abs((c.width as number) - 32) / 32 + ((c.depth as number) - 3) ** 2 / 9 + ((c.batch as number) - 32) ** 2 / 1024 + (c.drop as number) + (c.opt === 'adam' ? 0 : 0.5);
}

/** How trial i ends: some fail, some are stopped early, some diverge; the rest complete. */
function outcomeOf(i: number, c: Config): TrialOutcome {
  if (i % 7 === 5) return { status: 'failed', iteration: 2, loss: null };
  if (i % 4 === 3) return { status: 'stopped', iteration: 10 * (1 + (i % 3)), loss: lossOf(c) + 1 };
  if (i % 11 === 10) return { status: 'completed', iteration: 100, loss: null };
  return { status: 'completed', iteration: 100, loss: lossOf(c) };
}

/** Steps from..to: suggest trial `step`, and finish the trial suggested two steps earlier (two always run). */
function play(s: TpeSearcher, from: number, to: number, seen: Config[]): unknown[] {
  const out: unknown[] = [];
  for (let step = from; step < to; step++) {
    const c = s.suggest(step);
    out.push(c);
    if (c !== 'finished') seen[step] = c;
    const done = step - 2;
    if (done >= 0 && seen[done]) s.onComplete(done, outcomeOf(done, seen[done]));
  }
  return out;
}

const variants: Record<string, TpeOptions> = {
  univariate: { ...defaults, n_startup_trials: 6 },
  multivariate: { ...defaults, n_startup_trials: 6, multivariate: true },
  'constant liar': { ...defaults, n_startup_trials: 6, constant_liar: true },
  'multivariate, liar, no clip, endpoints': { ...defaults, n_startup_trials: 4, multivariate: true, constant_liar: true, consider_magic_clip: false, consider_endpoints: true, prior_weight: 0.5, n_ei_candidates: 7 },
};

describe('TpeSearcher', () => {
  for (const [name, opts] of Object.entries(variants)) {
    const make = () => new TpeSearcher(mixed, 30, 77, opts);
    describe(name, () => {
      test('is reproducible for a seed, and another seed differs', () => {
        const a = play(make(), 0, 32, []);
        assert.deepEqual(a, play(make(), 0, 32, []));
        assert.notDeepEqual(a, play(new TpeSearcher(mixed, 30, 78, opts), 0, 32, []));
      });

      test('proposes exactly numTrials, each a valid point of the space, then finished', () => {
        const out = play(make(), 0, 32, []);
        assert.deepEqual(out.slice(30), ['finished', 'finished']);
        for (const c of out.slice(0, 30) as Config[]) {
          assert.deepEqual(Object.keys(c), Object.keys(mixed));
          assert.ok((c.lr as number) >= 1e-4 && (c.lr as number) <= 1e-1, `lr ${c.lr}`);
          assert.ok([16, 32, 64].includes(c.width as number));
          assert.ok(Number.isInteger(c.depth) && (c.depth as number) >= 1 && (c.depth as number) <= 6, `depth ${c.depth}`);
          assert.ok([8, 16, 24, 32, 40, 48, 56, 64].includes(c.batch as number), `batch ${c.batch}`);
          assert.ok((c.drop as number) >= 0 && (c.drop as number) <= 0.5);
          assert.ok(['sgd', 'adam', true].includes(c.opt as string | boolean));
          assert.equal(c.fixed, 'only');
        }
      });

      for (const k of [0, 1, 5, 9, 17, 30]) {
        test(`N = ${k} + (N − ${k}) across getState → JSON → setState`, () => {
          const whole = play(make(), 0, 32, []);
          const seen: Config[] = [];
          const first = make();
          const head = play(first, 0, k, seen);
          const saved = JSON.parse(JSON.stringify(first.getState()));
          const second = make();
          second.setState(saved);
          assert.deepEqual(second.getState(), first.getState(), 'restored exactly');
          assert.deepEqual([...head, ...play(second, k, 32, seen)], whole);
        });
      }
    });
  }

  test('startup: the random searcher’s own draws until n_startup_trials trials finished; failed ones do not count', () => {
    const space: SearchSpace = { x: { type: 'uniform', low: 0, high: 1 }, y: { type: 'choice', values: ['a', 'b', 'c'] } };
    const random = new RandomSearcher(space, 20, 5);
    const tpe = new TpeSearcher(space, 20, 5, { ...defaults, n_startup_trials: 3 });
    const done = (i: number, status: TrialOutcome['status']) => tpe.onComplete(i, { status, iteration: 4, loss: i });
    // Four suggestions with nothing finished, then 2 completed + 1 failed (2 finished): still random.
    for (let i = 0; i < 4; i++) assert.deepEqual(tpe.suggest(i), random.suggest());
    done(0, 'completed');
    done(1, 'failed');
    done(2, 'completed');
    assert.deepEqual(tpe.suggest(4), random.suggest());
    // A stopped trial is finished too: 3 now, so the model takes over and the streams part.
    done(3, 'stopped');
    assert.notDeepEqual(tpe.suggest(5), random.suggest());
  });

  test('a failed trial retried counts as running again, not as failed', () => {
    const space: SearchSpace = { x: { type: 'uniform', low: 0, high: 1 } };
    const tpe = new TpeSearcher(space, 20, 5, { ...defaults, n_startup_trials: 3 });
    tpe.suggest(0);
    tpe.onComplete(0, { status: 'failed', iteration: 4, loss: null });
    const outcome = () => (tpe.getState() as { trials: { outcome: unknown }[] }).trials[0].outcome;
    assert.deepEqual(outcome(), { status: 'failed', iteration: 4, loss: null });
    tpe.onReopen(0);
    assert.equal(outcome(), null);
  });

  test('it ranks its history as Optuna does: failed ignored, stopped after completed, null worst, ties to the older', () => {
    // A history injected through setState (1-D, uniform [−10, 10]); 9 trials finished (the failed one does not
    // count), so gamma(9) = 1 trial forms l(x). Contenders: t1 at 8 (stopped with a tiny loss, but completed
    // trials rank first), t2 at 5 (failed: ignored), t3 at −3 (null: the worst completed), and the seven tied at
    // loss 1, of which the oldest, t0 at −7, wins. l(x) is a kernel at −7 plus the prior, g(x) holds the others
    // spread over the range, so the next suggestion lands on the far side of −7, away from every contender
    // (had t9, t2, t3 or t1 won, it would land near 7, 5, −3 or 8).
    const space: SearchSpace = { x: { type: 'uniform', low: -10, high: 10 } };
    const done = (loss: number | null): TrialOutcome => ({ status: 'completed', iteration: 100, loss });
    const history: [number, TrialOutcome][] = [
      [-7, done(1)],
      [8, { status: 'stopped', iteration: 50, loss: 0.01 }],
      [5, { status: 'failed', iteration: 3, loss: 0.001 }],
      [-3, done(null)],
      ...[-9, -5, -1, 1, 3, 7].map((x): [number, TrialOutcome] => [x, done(1)]),
    ];
    const trials = history.map(([x, outcome], index) => ({ index, config: { x }, outcome: { ...outcome } }));
    for (let seed = 1; seed <= 6; seed++) {
      // The order trials are listed in the state does not matter: trial indices are the chronology.
      for (const listed of [trials, [...trials].reverse()]) {
        const s = new TpeSearcher(space, 20, seed, { ...defaults, n_startup_trials: 5 });
        const { rng } = s.getState() as { rng: number[] };
        s.setState({ rng, suggested: 10, trials: listed });
        const x = (s.suggest(10) as Config).x as number;
        assert.ok(x < -6, `seed ${seed}: ${x}`);
      }
    }
  });

  test('multivariate TPE draws dimensions jointly; univariate TPE mixes them', () => {
    // Injected history on [−10, 10]²: the two best trials sit at (−8, −8) and (8, 8), sixteen worse ones on
    // the grid {−6, −2, 2, 6}². gamma(18) = 2, so l(x) holds exactly the two diagonal corners. A joint kernel
    // keeps x and y from the same corner (same sign); per-dimension sampling pairs them independently.
    const space: SearchSpace = { x: { type: 'uniform', low: -10, high: 10 }, y: { type: 'uniform', low: -10, high: 10 } };
    const configs = [{ x: -8, y: -8 }, { x: 8, y: 8 }];
    for (const x of [-6, -2, 2, 6]) for (const y of [-6, -2, 2, 6]) configs.push({ x, y });
    const trials = configs.map((config, index) => ({ index, config, outcome: { status: 'completed', iteration: 1, loss: index < 2 ? 0 : 1 } }));
    const sameSign = (multivariate: boolean) => {
      let same = 0;
      for (let seed = 1; seed <= 12; seed++) {
        const s = new TpeSearcher(space, 30, seed, { ...defaults, multivariate });
        const { rng } = s.getState() as { rng: number[] };
        s.setState({ rng, suggested: 18, trials });
        const c = s.suggest(18) as Config;
        if (Math.sign(c.x as number) === Math.sign(c.y as number)) same++;
      }
      return same;
    };
    assert.equal(sameSign(true), 12);
    assert.ok(sameSign(false) <= 9, `univariate kept the sign ${sameSign(false)} times in 12`);
  });

  test('a loss that is not a finite number is stored as null (the worst), so the state stays JSON', () => {
    const space: SearchSpace = { x: { type: 'uniform', low: 0, high: 1 } };
    const run = (bad: number | null) => {
      const s = new TpeSearcher(space, 15, 3, { ...defaults, n_startup_trials: 3 });
      const out = [];
      for (let i = 0; i < 15; i++) {
        const c = s.suggest(i) as Config;
        out.push(c);
        s.onComplete(i, { status: 'completed', iteration: 1, loss: i === 1 ? bad : (c.x as number) });
      }
      return { out, state: s.getState() };
    };
    const withNull = run(null);
    for (const bad of [NaN, Infinity]) assert.deepEqual(run(bad), withNull);
  });

  test('constant liar: suggestions made while others run are pushed apart', () => {
    // Continuous: three suggestions in a row with no results between them all differ.
    const space: SearchSpace = { x: { type: 'uniform', low: -10, high: 10 } };
    for (let seed = 1; seed <= 4; seed++) {
      const s = new TpeSearcher(space, 20, seed, { ...defaults, constant_liar: true });
      for (let i = 0; i < 10; i++) s.onComplete(i, { status: 'completed', iteration: 1, loss: (((s.suggest(i) as Config).x as number) - 3) ** 2 });
      const xs = [10, 11, 12].map((i) => (s.suggest(i) as Config).x);
      assert.equal(new Set(xs).size, 3, `seed ${seed}: ${xs.join(', ')}`);
    }
    // On a small integer range TPE keeps proposing its favourite; the liar counts the running trials as bad,
    // so over several seeds the three pending suggestions spread over clearly more distinct values.
    const ints: SearchSpace = { x: { type: 'int', low: 0, high: 20 } };
    const distinct = (liar: boolean) => {
      let count = 0;
      for (let seed = 1; seed <= 8; seed++) {
        const s = new TpeSearcher(ints, 20, seed, { ...defaults, constant_liar: liar });
        for (let i = 0; i < 10; i++) s.onComplete(i, { status: 'completed', iteration: 1, loss: (((s.suggest(i) as Config).x as number) - 7) ** 2 });
        count += new Set([10, 11, 12].map((i) => (s.suggest(i) as Config).x)).size;
      }
      return count;
    };
    const [withLiar, without] = [distinct(true), distinct(false)];
    assert.ok(withLiar >= without + 4, `distinct pending values: ${withLiar} with the liar, ${without} without`);
  });

  test('on a 1-D quadratic, TPE after startup lands much nearer the optimum than random search', () => {
    const space: SearchSpace = { x: { type: 'uniform', low: -10, high: 10 } };
    const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
    for (const multivariate of [false, true]) {
      const tpe: number[] = [];
      const rnd: number[] = [];
      for (let seed = 1; seed <= 8; seed++) {
        const t = new TpeSearcher(space, 40, seed, { ...defaults, multivariate });
        const r = new RandomSearcher(space, 40, seed + 1000);
        for (let i = 0; i < 40; i++) {
          const x = (t.suggest(i) as Config).x as number;
          t.onComplete(i, { status: 'completed', iteration: 1, loss: (x - 3) ** 2 });
          const y = (r.suggest() as Config).x as number;
          if (i >= 10) {
            tpe.push(Math.abs(x - 3));
            rnd.push(Math.abs(y - 3));
          }
        }
      }
      // Random: |U(−10, 10) − 3| has median about 5.3; TPE's is about 2 here.
      assert.ok(median(tpe) < 0.5 * median(rnd), `multivariate ${multivariate}: median distance TPE ${median(tpe)}, random ${median(rnd)}`);
    }
  });

  test('a maximised metric arrives as a negated loss: TPE then climbs towards the maximum', () => {
    const space: SearchSpace = { x: { type: 'uniform', low: 0, high: 1 } };
    const s = new TpeSearcher(space, 40, 9, defaults);
    const late: number[] = [];
    for (let i = 0; i < 40; i++) {
      const x = (s.suggest(i) as Config).x as number;
      s.onComplete(i, { status: 'completed', iteration: 1, loss: -x }); // accuracy x, mode max
      if (i >= 20) late.push(x);
    }
    assert.ok(late.reduce((a, b) => a + b, 0) / late.length > 0.75, `late mean ${late}`);
  });

  test('setState rejects broken states with a clear error and keeps the old state', () => {
    const space: SearchSpace = { x: { type: 'uniform', low: 0, high: 1 }, y: { type: 'choice', values: ['a', 'b'] } };
    const s = new TpeSearcher(space, 10, 1, defaults);
    s.suggest(0);
    const good = JSON.parse(JSON.stringify(s.getState()));
    const broken: [unknown, RegExp][] = [
      [null, /an object/],
      [{ ...good, rng: [0, 0, 0, 0] }, /rng/],
      [{ ...good, suggested: -1 }, /suggested/],
      [{ ...good, trials: {} }, /trials/],
      [{ ...good, suggested: 0 }, /at most one trial per suggestion/],
      [{ ...good, trials: [{ ...good.trials[0], config: { x: 0.5, y: 'c' } }] }, /trials\[0\]\.config\.y = "c"/],
      [{ ...good, trials: [{ ...good.trials[0], config: { x: 0.5 } }] }, /trials\[0\]\.config\.y/],
      [{ ...good, trials: [{ ...good.trials[0], config: { x: 0.5, y: 'a', z: 1 } }] }, /config\.z, which is not in the search space/],
      [{ ...good, trials: [{ ...good.trials[0], outcome: { status: 'done', iteration: 1, loss: 1 } }] }, /outcome\.status/],
      [{ ...good, trials: [{ ...good.trials[0], outcome: { status: 'completed', iteration: 1, loss: 'x' } }] }, /outcome\.loss/],
      [{ ...good, suggested: 2, trials: [good.trials[0], good.trials[0]] }, /appears twice/],
    ];
    for (const [state, message] of broken) {
      assert.throws(() => s.setState(state as never), message, JSON.stringify(state));
    }
    assert.deepEqual(s.getState(), good);
  });

  test('rejects options it cannot work with, naming the option', () => {
    const space: SearchSpace = { x: { type: 'uniform', low: 0, high: 1 } };
    assert.throws(() => new TpeSearcher(space, 5, 1, { ...defaults, n_ei_candidates: 0 }), /`n_ei_candidates` is 0/);
    assert.throws(() => new TpeSearcher(space, 5, 1, { ...defaults, prior_weight: 0 }), /`prior_weight` is 0/);
  });

  test('100 suggestions in a 6-dimensional space take well under a second of CPU', () => {
    const space: SearchSpace = {
      a: { type: 'uniform', low: -5, high: 5 },
      b: { type: 'loguniform', low: 1e-5, high: 1 },
      c: { type: 'int', low: 1, high: 64 },
      d: { type: 'int', low: 2, high: 200, step: 3 },
      e: { type: 'choice', values: ['x', 'y', 'z', true, 3] },
      f: { type: 'uniform', low: 0, high: 1 },
    };
    for (const multivariate of [false, true]) {
      const s = new TpeSearcher(space, 100, 7, { ...defaults, multivariate, constant_liar: true });
      const start = process.cpuUsage();
      for (let i = 0; i < 100; i++) {
        const c = s.suggest(i) as Config;
        const loss = ((c.a as number) - 1) ** 2 + (Math.log10(c.b as number) + 3) ** 2 + ((c.c as number) - 20) ** 2 / 100 + (c.e === true ? 0 : 1);
        s.onComplete(i, { status: 'completed', iteration: 1, loss });
      }
      const used = process.cpuUsage(start);
      const ms = (used.user + used.system) / 1000;
      assert.ok(ms < 1000, `multivariate ${multivariate}: ${ms.toFixed(0)} ms`);
    }
  });
});
