import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, deriveSeed } from '../../src/search/rng.js';

test('xoshiro128** gives the reference outputs for state [1, 2, 3, 4]', () => {
  const r = new Rng([1, 2, 3, 4]);
  // Worked by hand from the algorithm: rotl(2*5, 7)*9 = 11520, then s1 becomes 0 so the next is 0.
  assert.equal(r.nextU32(), 11520);
  assert.equal(r.nextU32(), 0);
});

test('a restored state continues the same stream', () => {
  const a = new Rng(42);
  for (let i = 0; i < 10; i++) a.next();
  const b = new Rng(a.getState());
  for (let i = 0; i < 100; i++) assert.equal(b.next(), a.next());
});

test('uniform draws lie in [0, 1) with mean 1/2 and variance 1/12', () => {
  const r = new Rng(7);
  const n = 200_000;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1);
    sum += x;
    sq += x * x;
  }
  const mean = sum / n;
  assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(sq / n - mean * mean - 1 / 12) < 0.002);
});

test('normal draws have mean 0 and variance 1', () => {
  const r = new Rng(9);
  const n = 100_000;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    sum += x;
    sq += x * x;
  }
  assert.ok(Math.abs(sum / n) < 0.02);
  assert.ok(Math.abs(sq / n - 1) < 0.02);
});

test('int covers both ends and nothing outside', () => {
  const r = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(r.int(2, 5));
  assert.deepEqual([...seen].sort(), [2, 3, 4, 5]);
});

test('derived seeds depend on every part and on order', () => {
  assert.equal(deriveSeed(1, 2, 3), deriveSeed(1, 2, 3));
  assert.notEqual(deriveSeed(1, 2, 3), deriveSeed(1, 2, 4));
  assert.notEqual(deriveSeed(1, 2), deriveSeed(2, 1));
  assert.notEqual(deriveSeed(0, 1), deriveSeed(0, 2));
});

test('the first draws of the searchers of different session seeds are uniform (Kolmogorov–Smirnov, 20,000 seeds)', () => {
  // A user saw the default seed 0 start every range at its low end: that is one draw (0.0005), not the
  // mixing. Across seeds the first, second and third draws are uniform at the 5 % level.
  for (let k = 0; k < 3; k++) {
    const xs: number[] = [];
    for (let s = 0; s < 20000; s++) {
      const r = new Rng(deriveSeed(s, 1));
      for (let j = 0; j < k; j++) r.next();
      xs.push(r.next());
    }
    xs.sort((a, b) => a - b);
    let d = 0;
    xs.forEach((x, i) => (d = Math.max(d, Math.abs(x - i / xs.length), Math.abs(x - (i + 1) / xs.length))));
    assert.ok(d < 1.36 / Math.sqrt(xs.length), `draw ${k}: D = ${d}`);
  }
});
