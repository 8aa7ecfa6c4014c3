import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BohbSearcher, Kde, normalReference, splitSizes } from '../../src/search/bohb/index.js';
import { Encoding } from '../../src/search/bohb/encoding.js';
import { normalCdf, normalQuantile, truncatedNormal } from '../../src/search/bohb/kde.js';
import { RandomSearcher } from '../../src/search/random-searcher.js';
import { Rng } from '../../src/search/rng.js';
import type { Config, SearchSpace } from '../../src/search/space.js';
import type { Loss } from '../../src/search/types.js';
import type { BohbOptions } from '../../src/spec/types.js';
import type { Json } from '../../src/util/json.js';

// HpBandSter's defaults (bohb.py), as the spec fills them in.
const DEFAULTS: BohbOptions = { min_points_in_model: null, top_n_percent: 15, num_samples: 64, random_fraction: 1 / 3, bandwidth_factor: 3, min_bandwidth: 1e-3 };
const BUDGETS = [1, 3, 9];

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} ± ${tol}`);

describe('the KDE', () => {
  test('1-D continuous: normal-reference bandwidth and the density at two points', () => {
    // Sample 0.2, 0.4, 0.5, 0.6, 0.8: mean 0.5, squared deviations .09 .01 0 .01 .09, sum .2, /5 = .04, so σ = 0.2
    // (population std, as numpy's default). q = 1 dimension: n^(-1/(q+4)) = 5^(-1/5) = e^(-ln 5 / 5)
    // = e^(-1.6094379 / 5) = e^(-0.3218876) = 0.7247797. h = 1.06 · 0.2 · 0.7247797 = 0.212 · 0.7247797 = 0.1536533.
    const kde = new Kde([[0.2], [0.4], [0.5], [0.6], [0.8]], [{ kind: 'continuous' }], 1e-3);
    close(kde.bandwidths[0], 0.1536533, 1e-6, 'bandwidth');
    close(normalReference([0.2, 0.4, 0.5, 0.6, 0.8], 1), 0.1536533, 1e-6, 'normal reference');
    // f(x) = Σ exp(-(x - xi)² / 2h²) / (n h √(2π)); 2h² = 2 · 0.02360933 = 0.04721866; n h √(2π) = 5 · 0.1536533 · 2.5066283 = 1.925758.
    // At x = 0.5: distances 0.3 0.1 0 0.1 0.3 → exponents 0.09/0.04721866 = 1.906025 and 0.01/0.04721866 = 0.2117806:
    // 1 + 2 e^-0.2117806 + 2 e^-1.906025 = 1 + 2 · 0.809161 + 2 · 0.148658 = 2.915638; / 1.925758 = 1.514019.
    close(kde.pdf([0.5]), 1.514019, 1e-4, 'f(0.5)');
    // At x = 0 (the Gaussian is not renormalised to [0, 1], as in statsmodels): distances 0.2 0.4 0.5 0.6 0.8 →
    // exponents 0.847123, 3.388493, 5.294520, 7.624109, 13.55397 → e^-: 0.428646 + 0.033760 + 0.005016 + 0.000489
    // + 0.0000013 = 0.467912; / 1.925758 = 0.242976.
    close(kde.pdf([0]), 0.242976, 1e-5, 'f(0)');
    close(kde.logPdf([0]), Math.log(0.242976), 1e-4, 'log f(0)');
  });

  test('2-D mixed: the exponent counts every dimension, categorical ones too', () => {
    // Columns 0.2 0.4 0.5 0.6 0.8 (σ 0.2) and levels 0 0 0 1 2 (σ 0.8); q = 2: 5^(-1/6) = e^(-1.6094379 / 6) = e^(-0.2682397)
    // = 0.7647245. h1 = 0.212 · 0.7647245 = 0.1621216, h2 = 0.848 · 0.7647245 = 0.6484864 (below 2/3).
    const kde = new Kde([[0.2, 0], [0.4, 0], [0.5, 0], [0.6, 1], [0.8, 2]], [{ kind: 'continuous' }, { kind: 'categorical', levels: 3 }], 1e-3);
    close(kde.bandwidths[0], 0.1621216, 1e-6, 'h1');
    close(kde.bandwidths[1], 0.6484864, 1e-6, 'h2');
    // f(0.5, 0) = Σ_i K1 · K2 / (n h1 √(2π)). 2h1² = 0.05256682; e^-(0.09/0.05256682) = e^-1.712107 = 0.180503,
    // e^-(0.01/0.05256682) = e^-0.190234 = 0.826766. K2 = 1 - h2 = 0.3515136 on level 0, h2/2 = 0.3242432 elsewhere.
    // Σ = 0.3515136 (0.180503 + 0.826766 + 1) + 0.3242432 (0.826766 + 0.180503) = 0.705582 + 0.326600 = 1.032182;
    // n h1 √(2π) = 5 · 0.1621216 · 2.5066283 = 2.031925; f = 1.032182 / 2.031925 = 0.507982.
    close(kde.pdf([0.5, 0]), 0.507982, 1e-5, 'f(0.5, 0)');
  });

  test('min_bandwidth floors a bandwidth that would be 0', () => {
    const kde = new Kde([[0.3], [0.3], [0.3]], [{ kind: 'continuous' }], 0.05);
    assert.equal(kde.bandwidths[0], 0.05);
    // One Gaussian of σ 0.05 at 0.3: its peak is 1 / (0.05 √(2π)) = 7.978846.
    close(kde.pdf([0.3]), 7.978846, 1e-5, 'peak');
  });

  test('Aitchison–Aitken probabilities of a 3-choice categorical', () => {
    // Levels 0 0 0 1 2: mean 0.6, squared deviations .36 .36 .36 .16 1.96, sum 3.2, /5 = .64, σ = 0.8.
    // h = 1.06 · 0.8 · 5^(-1/5) = 0.848 · 0.7247797 = 0.6146132 (below the cap 2/3).
    // P(0) = (3 (1 - h) + 2 h/2) / 5 = (3 - 2h) / 5 = (3 - 1.2292264) / 5 = 0.3541547;
    // P(1) = P(2) = ((1 - h) + 4 h/2) / 5 = (1 + h) / 5 = 0.3229226. They sum to 1 (no bandwidth divides a categorical).
    const kde = new Kde([[0], [0], [0], [1], [2]], [{ kind: 'categorical', levels: 3 }], 1e-3);
    close(kde.bandwidths[0], 0.6146132, 1e-6, 'bandwidth');
    close(kde.pdf([0]), 0.3541547, 1e-6, 'P(0)');
    close(kde.pdf([1]), 0.3229226, 1e-6, 'P(1)');
    close(kde.pdf([2]), 0.3229226, 1e-6, 'P(2)');
  });

  test('a categorical bandwidth is capped where the kernel is uniform', () => {
    // Levels 0 0 2 2 2: mean 1.2, squared deviations 1.44 1.44 .64 .64 .64, sum 4.8, /5 = .96, σ = 0.9797959;
    // h = 1.06 · 0.9797959 · 0.7247797 = 0.7527 > 2/3, so h = 2/3: every level gets 1 - 2/3 = (2/3)/2 = 1/3.
    const kde = new Kde([[0], [0], [2], [2], [2]], [{ kind: 'categorical', levels: 3 }], 1e-3);
    close(kde.bandwidths[0], 2 / 3, 1e-12, 'bandwidth');
    for (const level of [0, 1, 2]) close(kde.pdf([level]), 1 / 3, 1e-12, `P(${level})`);
  });

  test('a categorical draw keeps the level with probability 1 - h, else one of the others', () => {
    // All points at level 0, so σ = 0 and h = min_bandwidth = 0.3: level 0 with 0.7, levels 1 and 2 with 0.15 each.
    const kde = new Kde([[0], [0], [0], [0]], [{ kind: 'categorical', levels: 3 }], 0.3);
    const rng = new Rng(3);
    const counts = [0, 0, 0];
    const n = 40_000;
    for (let i = 0; i < n; i++) counts[kde.sample(rng, 3)[0]]++;
    close(counts[0] / n, 0.7, 0.01, 'P(keep)');
    close(counts[1] / n, 0.15, 0.01, 'P(1)');
    close(counts[2] / n, 0.15, 0.01, 'P(2)');
  });

  test('the normal CDF and quantile give the table values', () => {
    close(normalCdf(0), 0.5, 1e-7, 'Φ(0)');
    close(normalCdf(1.959964), 0.975, 1e-7, 'Φ(1.96)');
    close(normalCdf(-3), 0.0013499, 1e-7, 'Φ(-3)');
    close(normalQuantile(0.975), 1.959964, 1e-6, 'Φ⁻¹(0.975)');
    close(normalQuantile(0.01), -2.326348, 1e-6, 'Φ⁻¹(0.01)');
    close(normalQuantile(0.9999), 3.719016, 1e-6, 'Φ⁻¹(0.9999)');
  });

  test('a continuous draw is the widened kernel truncated to [0, 1] (not clipped)', () => {
    // Three points at 0: σ = 0, so h = min_bandwidth = 0.1, widened by bandwidth_factor 2 to 0.2. N(0, 0.2²) cut to
    // [0, 1] is a half-normal (1 is 5σ away): mean 0.2 · φ(0) / (Φ(5) - Φ(0)) = 0.2 · 0.398942 / 0.5 = 0.159577.
    // Clipping instead would put half the draws at 0 and give 0.2 · φ(0) = 0.0798; ignoring the factor, 0.0798 too.
    const kde = new Kde([[0], [0], [0]], [{ kind: 'continuous' }], 0.1);
    const rng = new Rng(8);
    let sum = 0;
    let zeros = 0;
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const x = kde.sample(rng, 2)[0];
      assert.ok(x >= 0 && x <= 1, `${x}`);
      if (x === 0) zeros++;
      sum += x;
    }
    close(sum / n, 0.159577, 0.003, 'mean');
    assert.ok(zeros < 10, `${zeros} draws at exactly 0`);
    // Around 0.5 with σ 0.1 the cut is 5σ away on both sides: the plain normal's mean.
    let mid = 0;
    for (let i = 0; i < n; i++) mid += truncatedNormal(rng, 0.5, 0.1, 0, 1);
    close(mid / n, 0.5, 0.002, 'mean around 0.5');
  });
});

test('good/bad split sizes for n = 10 and top_n_percent 15, as HpBandSter computes them', () => {
  // n_good = max(min, ⌊15 · 10 / 100⌋) = max(3, 1) = 3; n_bad = max(3, ⌊85 · 10 / 100⌋) = 8, but only 10 - 3 = 7 remain.
  assert.deepEqual(splitSizes(10, 15, 3), { good: 3, bad: 7 });
  // With min 1: n_good = max(1, 1) = 1, n_bad = max(1, 8) = 8: the worst point is in neither.
  assert.deepEqual(splitSizes(10, 15, 1), { good: 1, bad: 8 });
  // n = 40: ⌊6⌋ = 6 good, ⌊34⌋ = 34 bad.
  assert.deepEqual(splitSizes(40, 15, 3), { good: 6, bad: 34 });
});

const square: SearchSpace = { x: { type: 'uniform', low: 0, high: 1 }, y: { type: 'uniform', low: 0, high: 1 } };

describe('which model is used', () => {
  // Two dimensions and min_points_in_model 3: a budget with n results has n_good = 3 and n - 3 bad points, and both
  // must be more than 2, so the model appears at n = 6, not before.
  const opts: BohbOptions = { ...DEFAULTS, min_points_in_model: 3, random_fraction: 0 };

  test('only once a budget has enough results; until then every config is the random one', () => {
    const s = new BohbSearcher(square, 100, 5, BUDGETS, opts);
    const twin = new RandomSearcher(square, 100, 5); // same seed: the same stream of random configs
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(s.suggest(i), twin.suggest());
      s.onResult(i, 1, i / 10);
      assert.equal(s.modelBudget(), null, `after ${i + 1} results`);
    }
    // Results at an iteration that is not a budget change nothing.
    for (let i = 0; i < 5; i++) s.onResult(i, 2, 0);
    assert.equal(s.modelBudget(), null);
    assert.deepEqual(s.suggest(5), twin.suggest());
    s.onResult(5, 1, 0.5);
    assert.equal(s.modelBudget(), 1);
    assert.notDeepEqual(s.suggest(6), twin.suggest());
  });

  test('from the largest budget that has one', () => {
    // At budget 1 small x is good; at budget 9 large x is good. Proposals follow budget 9 once it has a model.
    const s = new BohbSearcher(square, 100, 11, BUDGETS, opts);
    const configs: Config[] = [];
    for (let i = 0; i < 12; i++) configs.push(s.suggest(i) as Config);
    configs.forEach((c, i) => s.onResult(i, 1, c.x as number));
    assert.equal(s.modelBudget(), 1);
    const meanX = (from: number) => {
      let sum = 0;
      for (let i = from; i < from + 20; i++) sum += (s.suggest(i) as Config).x as number;
      return sum / 20;
    };
    const atOne = meanX(12);
    configs.slice(0, 5).forEach((c, i) => s.onResult(i, 9, -(c.x as number)));
    assert.equal(s.modelBudget(), 1, 'five results at budget 9 are not enough');
    configs.slice(5).forEach((c, i) => s.onResult(i + 5, 9, -(c.x as number)));
    assert.equal(s.modelBudget(), 9);
    const atNine = meanX(32);
    assert.ok(atOne < 0.35, `mean x from budget 1's model: ${atOne}`);
    assert.ok(atNine > 0.65, `mean x from budget 9's model: ${atNine}`);
  });

  test('a diverged result (null) ranks worst', () => {
    // Six results, the best five of them null but the last: if null counted as 0 or -∞ the good group would be there.
    const s = new BohbSearcher(square, 100, 2, BUDGETS, opts);
    const configs: Config[] = [];
    for (let i = 0; i < 12; i++) configs.push(s.suggest(i) as Config);
    configs.forEach((c, i) => s.onResult(i, 1, (c.x as number) < 0.5 ? (c.x as number) : null));
    let sum = 0;
    for (let i = 12; i < 32; i++) sum += (s.suggest(i) as Config).x as number;
    assert.ok(sum / 20 < 0.35, `mean x ${sum / 20}`);
  });
});

// A scripted session: each trial is proposed, then reports at iteration 1 (a budget), 2 (not one), 3 for a third of
// them and 9 for a ninth; x > 0.9 diverges. The events are fixed; only the configs come from the searcher.
const mixed: SearchSpace = {
  lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
  width: { type: 'choice', values: [16, 32, 64] },
  depth: { type: 'int', low: 2, high: 8, step: 2 },
  act: { type: 'grid', values: ['relu', 'tanh', true] },
  x: { type: 'uniform', low: -1, high: 1 },
};
type Event = { suggest: number } | { result: number; iteration: number };
const N = 60;
const events: Event[] = [];
for (let i = 0; i < N; i++) {
  events.push({ suggest: i }, { result: i, iteration: 1 }, { result: i, iteration: 2 });
  if (i % 3 === 0) events.push({ result: i, iteration: 3 });
  if (i % 9 === 0) events.push({ result: i, iteration: 9 });
}
function lossOf(c: Config, iteration: number): Loss {
  const x = c.x as number;
  if (x > 0.9) return null;
  return (Math.log10(c.lr as number) + 2.5) ** 2 + (x - 0.2) ** 2 + (c.width === 32 ? 0 : 0.3) + (c.act === 'tanh' ? 0 : 0.2) + 1 / iteration;
}
function play(s: BohbSearcher, from: number, to: number, configs: Map<number, Config>): Config[] {
  const out: Config[] = [];
  for (const e of events.slice(from, to)) {
    if ('suggest' in e) {
      const c = s.suggest(e.suggest);
      assert.ok(c !== 'finished' && c !== null);
      configs.set(e.suggest, c);
      out.push(c);
    } else {
      s.onResult(e.result, e.iteration, lossOf(configs.get(e.result) as Config, e.iteration));
    }
  }
  return out;
}
const make = (seed = 77) => new BohbSearcher(mixed, N, seed, BUDGETS, DEFAULTS);

describe('a scripted session', () => {
  test('is reproducible for a seed, and another seed gives other configs', () => {
    const a = play(make(), 0, events.length, new Map());
    assert.deepEqual(a, play(make(), 0, events.length, new Map()));
    assert.notDeepEqual(a, play(make(78), 0, events.length, new Map()));
  });

  test('proposes numTrials configs, each inside the space, then finished', () => {
    const s = make();
    const out = play(s, 0, events.length, new Map());
    assert.equal(out.length, N);
    assert.equal(s.modelBudget(), 3); // 20 results at 3; 7 at 9 are too few for two groups of 6 in 5 dimensions
    const enc = new Encoding(mixed);
    for (const c of out) assert.equal(enc.problem(c), null, JSON.stringify(c));
    assert.equal(s.suggest(N), 'finished');
  });

  // Cut points: before anything, mid-warm-up, between a suggestion and its results, just after the first model,
  // deep into model-based proposals, at the end.
  for (const cut of [0, 1, 17, 40, 41, 150, events.length]) {
    test(`N = K + (N - K) across getState → JSON → setState, cut after event ${cut}`, () => {
      const whole = play(make(), 0, events.length, new Map());
      const first = make();
      const configs = new Map<number, Config>();
      const head = play(first, 0, cut, configs);
      const saved = JSON.parse(JSON.stringify(first.getState())) as Json;
      const second = make();
      second.setState(saved);
      assert.deepEqual(second.getState(), saved);
      assert.deepEqual([...head, ...play(second, cut, events.length, configs)], whole);
    });
  }

  test('setState refuses a state that does not fit, and changes nothing then', () => {
    const s = make();
    play(s, 0, 100, new Map());
    const good = JSON.parse(JSON.stringify(s.getState())) as { [k: string]: Json };
    const broken = (f: (st: any) => void) => {
      const st = JSON.parse(JSON.stringify(good));
      f(st);
      return st as Json;
    };
    const fresh = make();
    const before = JSON.stringify(fresh.getState());
    const cases: [string, Json][] = [
      ['not an object', [1, 2]],
      ['rng all zero', broken((st) => (st.rng = [0, 0, 0, 0]))],
      ['suggested past numTrials', broken((st) => (st.suggested = N + 1))],
      ['suggested not the config count', broken((st) => (st.suggested -= 1))],
      ['a config outside the space', broken((st) => (st.configs[0][1].depth = 5))],
      ['a config with a missing key', broken((st) => delete st.configs[0][1].lr)],
      ['a choice that is not offered', broken((st) => (st.configs[0][1].width = 48))],
      ['other budgets', broken((st) => (st.observations[1].budget = 4))],
      ['a result for an unknown trial', broken((st) => st.observations[0].results.push([999, 1]))],
      ['a result twice', broken((st) => st.observations[0].results.push(st.observations[0].results[0]))],
      ['a loss that is not a number', broken((st) => (st.observations[0].results[0][1] = 'x'))],
    ];
    for (const [why, st] of cases) {
      assert.throws(() => fresh.setState(st), /BOHB searcher state/, why);
      assert.equal(JSON.stringify(fresh.getState()), before, `${why}: state changed`);
    }
    fresh.setState(good as Json);
    assert.deepEqual(fresh.getState(), good);
  });

  test('refuses a result for a trial it did not propose, and the same result twice', () => {
    const s = make();
    s.suggest(0);
    assert.throws(() => s.onResult(5, 1, 0.1), /did not propose/);
    s.onResult(0, 1, 0.1);
    assert.throws(() => s.onResult(0, 1, 0.1), /twice/);
    assert.throws(() => s.suggest(0), /twice/);
  });
});

test('proposals respect ints with a step, log ranges and categories', () => {
  const enc = new Encoding(mixed);
  const rng = new Rng(4);
  for (let i = 0; i < 500; i++) {
    const v = enc.snap([rng.next(), rng.int(0, 2), rng.next(), rng.int(0, 2), rng.next()]);
    const c = enc.decode(v);
    assert.equal(enc.problem(c), null, JSON.stringify(c));
    assert.deepEqual(enc.encode(c).map((u) => +u.toFixed(9)), v.map((u) => +u.toFixed(9)));
  }
  // depth 2, 4, 6, 8 sit at the centres 1/8, 3/8, 5/8, 7/8 of four equal cells.
  assert.deepEqual([2, 4, 6, 8].map((d) => enc.encode({ lr: 0.01, width: 16, depth: d, act: true, x: 0 })[2]), [0.125, 0.375, 0.625, 0.875]);
});

test('on a 2-D quadratic, proposals after the model land closer to the optimum than random ones (median over seeds)', () => {
  // Loss (x - 1)² + (y + 2)² on [-5, 5]², reported at budget 1 for every trial as soon as it is proposed. With 2
  // dimensions the model exists from the 6th result; trials 20..59 are compared with the random searcher's, same seed.
  const space: SearchSpace = { x: { type: 'uniform', low: -5, high: 5 }, y: { type: 'uniform', low: -5, high: 5 } };
  const dist = (c: Config) => Math.hypot((c.x as number) - 1, (c.y as number) + 2);
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
  };
  const bohb: number[] = [];
  const random: number[] = [];
  for (let seed = 0; seed < 21; seed++) {
    const s = new BohbSearcher(space, 60, seed, BUDGETS, DEFAULTS);
    const r = new RandomSearcher(space, 60, seed);
    const bd: number[] = [];
    const rd: number[] = [];
    for (let i = 0; i < 60; i++) {
      const c = s.suggest(i) as Config;
      s.onResult(i, 1, dist(c) ** 2);
      const rc = r.suggest() as Config;
      if (i >= 20) {
        bd.push(dist(c));
        rd.push(dist(rc));
      }
    }
    bohb.push(median(bd));
    random.push(median(rd));
  }
  // Random points lie at a median distance of about 4 from (1, -2) here; BOHB's (a third of them still random, the
  // default random_fraction) at about 1.3 over these seeds. Swapping l and g, or proposing at random, fails this.
  assert.ok(median(bohb) < 0.6 * median(random), `BOHB ${median(bohb).toFixed(3)} vs random ${median(random).toFixed(3)}`);
});
