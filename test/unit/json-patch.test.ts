import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, diff, isPatch } from '../../src/util/json-patch.js';
import type { Json } from '../../src/util/json.js';

const copy = (v: Json): Json => JSON.parse(JSON.stringify(v)) as Json;

test('a patch holds only what changed: one more observation is one element, not the whole list', () => {
  const before: Json = { rng: [1, 2, 3, 4], suggested: 2, trials: [{ index: 0, outcome: null }, { index: 1, outcome: null }] };
  const after: Json = { rng: [1, 2, 3, 9], suggested: 3, trials: [{ index: 0, outcome: { loss: 0.5 } }, { index: 1, outcome: null }, { index: 2, outcome: null }] };
  assert.deepStrictEqual(diff(before, after), {
    o: {
      rng: { a: { 3: { s: 9 } }, n: 4 },
      suggested: { s: 3 },
      trials: { a: { 0: { o: { outcome: { s: { loss: 0.5 } } } }, 2: { s: { index: 2, outcome: null } } }, n: 3 },
    },
  });
  assert.deepStrictEqual(applyPatch(copy(before), diff(before, after)!), after);
  assert.equal(diff(after, copy(after)), null, 'equal values give no patch');
});

test('diff then apply gives the new value, for random JSON pairs (removed keys, shorter lists, changed types)', () => {
  let r = 7;
  const rand = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const gen = (depth: number): Json => {
    const k = Math.floor(rand() * (depth > 2 ? 4 : 6));
    if (k === 0) return null;
    if (k === 1) return rand() < 0.5;
    if (k === 2) return Math.floor(rand() * 5);
    if (k === 3) return ['a', 'b', 'c'][Math.floor(rand() * 3)];
    if (k === 4) return Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
    const o: { [key: string]: Json } = {};
    for (const key of ['x', 'y', 'z']) if (rand() < 0.6) o[key] = gen(depth + 1);
    return o;
  };
  for (let i = 0; i < 2000; i++) {
    const a = gen(0);
    const b = rand() < 0.3 ? copy(a) : gen(0);
    const p = diff(a, b);
    if (p === null) assert.deepStrictEqual(a, b);
    else {
      assert.ok(isPatch(JSON.parse(JSON.stringify(p))), 'a patch survives JSON and reads as one');
      assert.deepStrictEqual(applyPatch(copy(a), p), b);
    }
  }
});

test('a crafted patch cannot reach an object prototype, and a malformed one is recognised', () => {
  const target = {} as { [key: string]: Json };
  const patch = JSON.parse('{"o": {"__proto__": {"s": {"polluted": true}}}}');
  assert.ok(isPatch(patch));
  applyPatch(target, patch);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(target), Object.prototype);
  assert.ok(!isPatch({ a: { x: { s: 1 } }, n: 1 }), 'array indices are numbers');
  assert.ok(!isPatch({ s: 1, extra: 2 }));
  assert.ok(!isPatch({ a: {}, n: -1 }));
  assert.throws(() => applyPatch([1, 2], { o: {} }), /a patch for an object met something else/);
});
