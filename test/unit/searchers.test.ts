import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GridSearcher } from '../../src/search/grid-searcher.js';
import { RandomSearcher } from '../../src/search/random-searcher.js';
import { Rng } from '../../src/search/rng.js';
import { gridPoint, gridSize, sampleValue, type SearchSpace } from '../../src/search/space.js';
import type { Searcher } from '../../src/search/types.js';

const space: SearchSpace = {
  lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
  width: { type: 'choice', values: [16, 32, 64] },
  depth: { type: 'int', low: 1, high: 3 },
  drop: { type: 'uniform', low: 0, high: 0.5 },
};
const gridSpace: SearchSpace = {
  opt: { type: 'grid', values: ['sgd', 'adam'] },
  width: { type: 'choice', values: [16, 32, 64] },
  depth: { type: 'int', low: 2, high: 6, step: 2 },
};

const makers: Record<string, { make: () => Searcher; n: number }> = {
  random: { make: () => new RandomSearcher(space, 12, 1234), n: 12 },
  grid: { make: () => new GridSearcher(gridSpace), n: 18 },
};

function drain(s: Searcher, max: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < max; i++) {
    const c = s.suggest(i);
    if (c === 'finished') break;
    out.push(c);
  }
  return out;
}

// One suite for every searcher: same seed, same configs; N = K + (N - K) across a save and restore
// (LESSONS: Optuna re-proposes points after a resume because its sampler state is lost).
for (const [name, { make, n }] of Object.entries(makers)) {
  describe(`${name} searcher`, () => {
    test('is reproducible', () => {
      assert.deepEqual(drain(make(), 100), drain(make(), 100));
    });
    test('proposes exactly its budget, then finished', () => {
      const s = make();
      assert.equal(drain(s, 100).length, n);
      assert.equal(s.suggest(n), 'finished');
    });
    for (const k of [0, 1, 5, n]) {
      test(`N = ${k} + (N - ${k}) across a save and restore through JSON`, () => {
        const whole = drain(make(), 100);
        const first = make();
        const head = drain(first, k);
        const saved = JSON.parse(JSON.stringify(first.getState()));
        const second = make();
        second.setState(saved);
        assert.deepEqual([...head, ...drain(second, 100)], whole);
      });
    }
  });
}

test('random draws respect every distribution', () => {
  const r = new Rng(5);
  for (let i = 0; i < 2000; i++) {
    const lr = sampleValue(space.lr, r) as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-1);
    assert.ok([16, 32, 64].includes(sampleValue(space.width, r) as number));
    const d = sampleValue({ type: 'int', low: 2, high: 9, step: 3 }, r) as number;
    assert.ok([2, 5, 8].includes(d), `int with step gave ${d}`);
  }
});

test('loguniform is uniform in log space: the median is the geometric mean', () => {
  const r = new Rng(11);
  const xs = Array.from({ length: 20001 }, () => sampleValue({ type: 'loguniform', low: 1e-4, high: 1 }, r) as number).sort((a, b) => a - b);
  const median = xs[10000];
  assert.ok(median > 0.008 && median < 0.0125, `median ${median}`);
});

test('grid enumerates the cartesian product, last dimension fastest, in key order', () => {
  assert.equal(gridSize(gridSpace), 18);
  assert.deepEqual(gridPoint(gridSpace, 0), { opt: 'sgd', width: 16, depth: 2 });
  assert.deepEqual(gridPoint(gridSpace, 1), { opt: 'sgd', width: 16, depth: 4 });
  assert.deepEqual(gridPoint(gridSpace, 3), { opt: 'sgd', width: 32, depth: 2 });
  assert.deepEqual(gridPoint(gridSpace, 17), { opt: 'adam', width: 64, depth: 6 });
  const all = new Set(drain(new GridSearcher(gridSpace), 100).map((c) => JSON.stringify(c)));
  assert.equal(all.size, 18);
});

test('grid with num_trials below its size stops early', () => {
  assert.equal(drain(new GridSearcher(gridSpace, 5), 100).length, 5);
});
