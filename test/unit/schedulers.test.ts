import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AshaScheduler } from '../../src/search/asha-scheduler.js';
import { HyperbandScheduler } from '../../src/search/hyperband-scheduler.js';
import {
  ashaRungs,
  bracketOfTrial,
  ceilDiv,
  floorDiv,
  hyperbandBrackets,
  hyperbandBudgets,
  hyperbandSMax,
  intPow,
  rankRecords,
  rungBudgets,
  rungIteration,
} from '../../src/search/rungs.js';
import type { Choice, ChooseContext, Decision, Loss, Scheduler } from '../../src/search/types.js';
import type { Json } from '../../src/util/json.js';

const going: ChooseContext = { searcherFinished: false, running: 1 };
const finished: ChooseContext = { searcherFinished: true, running: 0 };

describe('rung arithmetic', () => {
  test('whole-number division and powers', () => {
    assert.equal(ceilDiv(7, 2), 4);
    assert.equal(ceilDiv(6, 2), 3);
    assert.equal(ceilDiv(0, 5), 0);
    assert.equal(ceilDiv(135, 4), 34);
    assert.equal(floorDiv(135, 4), 33);
    assert.equal(intPow(3, 5), 243);
    assert.equal(intPow(10, 3), 1000);
    assert.equal(intPow(7, 0), 1);
    assert.throws(() => intPow(10, 16), /exact/);
    assert.throws(() => ceilDiv(1.5, 2), /whole number/);
  });

  test('s_max counts with whole numbers (a logarithm says 2 for 1000 with η = 10, 4 for 243 with η = 3)', () => {
    assert.equal(hyperbandSMax(1, 10, 1000), 3);
    assert.equal(hyperbandSMax(1, 3, 243), 5);
    assert.equal(hyperbandSMax(10, 10, 10000), 3);
    assert.equal(hyperbandSMax(2, 3, 486), 5);
    assert.equal(hyperbandSMax(1, 3, 242), 4);
    assert.equal(hyperbandSMax(5, 2, 5), 0);
  });

  test('ASHA budgets: grace·η^k below max_t, then max_t; taken at the next boundary', () => {
    assert.deepEqual(rungBudgets(1, 3, 81), [1, 3, 9, 27, 81]);
    assert.deepEqual(rungBudgets(1, 3, 100), [1, 3, 9, 27, 81, 100]);
    assert.deepEqual(rungBudgets(10, 3, 810), [10, 30, 90, 270, 810]);
    assert.deepEqual(rungBudgets(5, 2, 5), [5]);
    assert.equal(rungIteration(1, 10, 81), 10);
    assert.equal(rungIteration(27, 10, 81), 30);
    assert.equal(rungIteration(81, 10, 81), 81);
    assert.equal(rungIteration(100, 7, 1000), 105);
    assert.equal(rungIteration(30, 10, 1000), 30);
    // 1, 3 and 9 all land on iteration 10: one rung there.
    assert.deepEqual(ashaRungs({ grace_period: 1, reduction_factor: 3, max_t: 81 }, 10), [10, 30, 81]);
    assert.deepEqual(ashaRungs({ grace_period: 1, reduction_factor: 3, max_t: 81 }, 1), [1, 3, 9, 27, 81]);
  });

  test('Hyperband brackets for R = 81, η = 3 (Li et al., table 1)', () => {
    const table = hyperbandBrackets({ grace_period: 1, reduction_factor: 3, max_t: 81 }, 1);
    assert.deepEqual(
      table.map((b) => [b.s, b.n, b.rungs[0]]),
      [[4, 81, 1], [3, 34, 3], [2, 15, 9], [1, 8, 27], [0, 5, 81]],
    );
    assert.deepEqual(table.map((b) => b.rungs), [[1, 3, 9, 27, 81], [3, 9, 27, 81], [9, 27, 81], [27, 81], [81]]);
    assert.deepEqual(hyperbandBudgets({ grace_period: 1, reduction_factor: 3, max_t: 81 }, 1), [1, 3, 9, 27, 81]);
  });

  test('the same table in units of 10 iterations (grace 10, max_t 810)', () => {
    const opts = { grace_period: 10, reduction_factor: 3, max_t: 810 };
    const table = hyperbandBrackets(opts, 1);
    assert.deepEqual(
      table.map((b) => [b.s, b.n, b.rungs[0]]),
      [[4, 81, 10], [3, 34, 30], [2, 15, 90], [1, 8, 270], [0, 5, 810]],
    );
    assert.deepEqual(table[0].rungs, [10, 30, 90, 270, 810]);
    assert.deepEqual(hyperbandBrackets(opts, 10), table);
    assert.deepEqual(hyperbandBudgets(opts, 20), [20, 40, 100, 280, 810]);
  });

  test('Hyperband budgets that do not divide evenly round up, then to a boundary', () => {
    const table = hyperbandBrackets({ grace_period: 1, reduction_factor: 3, max_t: 100 }, 1);
    assert.equal(table[0].s, 4);
    assert.deepEqual(table[0].budgets, [2, 4, 12, 34, 100]);
    assert.deepEqual(hyperbandBudgets({ grace_period: 1, reduction_factor: 3, max_t: 81 }, 10), [10, 30, 81]);
    const coarse = hyperbandBrackets({ grace_period: 1, reduction_factor: 3, max_t: 81 }, 10);
    assert.deepEqual(coarse.map((b) => b.rungs), [[10, 30, 81], [10, 30, 81], [10, 30, 81], [30, 81], [81]]);
  });

  test('trial index to bracket: s_max first, then down to 0, then a new cycle', () => {
    const table = hyperbandBrackets({ grace_period: 1, reduction_factor: 3, max_t: 81 }, 1); // 81+34+15+8+5 = 143
    const at = (i: number) => bracketOfTrial(i, table);
    assert.deepEqual(at(0), { instance: 0, bracket: 0, first: 0 });
    assert.deepEqual(at(80), { instance: 0, bracket: 0, first: 0 });
    assert.deepEqual(at(81), { instance: 1, bracket: 1, first: 81 });
    assert.deepEqual(at(114), { instance: 1, bracket: 1, first: 81 });
    assert.deepEqual(at(115), { instance: 2, bracket: 2, first: 115 });
    assert.deepEqual(at(130), { instance: 3, bracket: 3, first: 130 });
    assert.deepEqual(at(142), { instance: 4, bracket: 4, first: 138 });
    assert.deepEqual(at(143), { instance: 5, bracket: 0, first: 143 });
  });

  test('ranking: lower loss first, null last, ties to the lower index', () => {
    assert.deepEqual(rankRecords([[3, 0.5], [1, null], [2, 0.5], [0, 0.7], [4, null], [5, -1]]), [5, 2, 3, 0, 1, 4]);
  });

  test('options are checked with the parameter and the rule named', () => {
    assert.throws(() => hyperbandBrackets({ grace_period: 1, reduction_factor: 1, max_t: 81 }, 1), /`reduction_factor` is 1, but must be a whole number >= 2/);
    assert.throws(() => ashaRungs({ grace_period: 100, reduction_factor: 3, max_t: 81 }, 1), /`grace_period` is 100, but must be <= max_t \(81\)/);
    assert.throws(() => ashaRungs({ grace_period: 1, reduction_factor: 2.5, max_t: 81 }, 1), /reduction_factor/);
    assert.throws(() => new HyperbandScheduler({ grace_period: 1, reduction_factor: 3, max_t: 81 }, 0), /`eval_interval` is 0/);
    assert.throws(() => new AshaScheduler({ grace_period: 1, reduction_factor: 3, max_t: 81, variant: 'x' as 'promotion' }, 1), /`variant`/);
  });
});

/** Calls a scheduler and checks at every chooseNext that it is pure: same answer twice, state unchanged. */
function choose(s: Scheduler, ctx: ChooseContext): Choice {
  const before = JSON.stringify(s.getState());
  const a = s.chooseNext(ctx);
  assert.deepEqual(s.chooseNext(ctx), a, 'chooseNext twice gives the same answer');
  assert.equal(JSON.stringify(s.getState()), before, 'chooseNext leaves the state alone');
  return a;
}

describe('ASHA, promotion variant (grace 1, η 2, max_t 4: rungs at 1, 2, 4)', () => {
  const make = () => new AshaScheduler({ grace_period: 1, reduction_factor: 2, max_t: 4, variant: 'promotion' }, 1);

  test('a scripted run: who pauses, who is promoted, who is stopped at the end', () => {
    const s = make();
    for (let i = 0; i < 4; i++) s.onTrialAdded(i);
    assert.equal(s.onResult(0, 1, 0.5), 'pause'); //    rung 0: {0}, top ⌊1/2⌋ = none
    assert.equal(s.describe(0), '0/2 @1');
    assert.equal(s.onResult(1, 1, 0.3), 'continue'); // rung 0: {1, 0}, top 1 = {1}: itself, promoted at once
    assert.equal(s.describe(1), '→1/2 @2');
    assert.equal(choose(s, going), 'new'); //           1 is already promoted
    assert.equal(s.onResult(2, 1, 0.4), 'pause'); //    rung 0: {1, 2, 0}, top 1 = {1}
    assert.equal(s.onResult(3, 1, 0.1), 'continue'); // rung 0: {3, 1, 2, 0}, top 2 = {3, 1}
    assert.equal(choose(s, going), 'new');
    assert.equal(s.onResult(1, 2, 0.2), 'pause'); //    rung 1: {1}, none
    assert.equal(s.onResult(3, 2, 0.25), 'pause'); //   rung 1: {1, 3}, top 1 = {1}, not 3
    assert.deepEqual(choose(s, going), { promote: 1 });
    s.promote(1);
    assert.equal(choose(s, going), 'new');
    s.onTrialAdded(4);
    assert.equal(s.onResult(4, 1, 0.45), 'pause'); //   rung 0 top 2 = {3, 1}
    s.onTrialAdded(5);
    assert.equal(s.onResult(5, 1, 0.35), 'continue'); // rung 0: 6 records, top 3 = {3, 1, 5}
    assert.equal(s.onResult(1, 4, 0.15), 'continue'); // max_t: completes on its own
    s.onTrialEnd(1, 'completed');
    assert.equal(s.onResult(5, 2, null), 'pause'); //   rung 1: {1, 3, 5 (null)}, top 1 = {1}
    assert.equal(choose(s, { searcherFinished: true, running: 1 }), null); // something still runs
    // Nothing left to promote and rung 2 has trial 1: the waiting ones stop, one per call, lowest index first.
    for (const i of [0, 2, 3, 4, 5]) {
      assert.deepEqual(choose(s, finished), { stop: i });
      s.onTrialEnd(i, 'stopped');
    }
    assert.equal(choose(s, finished), null);
  });

  test('an arrival at a rung can make a waiting trial a candidate; the highest rung is promoted first', () => {
    const s = make();
    for (let i = 0; i < 6; i++) s.onTrialAdded(i);
    assert.equal(s.onResult(0, 1, 0.2), 'pause');
    assert.equal(s.onResult(1, 1, 0.9), 'pause'); //    rung 0: {0, 1}, top 1 = {0}: 0 waits as a candidate
    assert.deepEqual(choose(s, going), { promote: 0 });
    s.promote(0);
    assert.equal(s.onResult(0, 2, 0.3), 'pause'); //    rung 1: {0}
    assert.equal(s.onResult(2, 1, 0.1), 'continue'); // rung 0: {2, 0, 1}, top 1 = {2}
    assert.equal(s.onResult(2, 2, 0.4), 'pause'); //    rung 1: {0, 2}, top 1 = {0}: 0 is a candidate again
    assert.equal(s.onResult(3, 1, 0.5), 'pause'); //    rung 0: {2, 0, 3, 1}, top 2 = {2, 0}, both promoted
    assert.equal(s.onResult(4, 1, 0.6), 'pause'); //    rung 0: 5 records, top 2 = {2, 0}
    assert.equal(s.onResult(5, 1, 0.7), 'pause'); //    rung 0: 6 records, top 3 = {2, 0, 3}: 3 becomes a candidate
    assert.deepEqual(choose(s, going), { promote: 0 }); // rung 1 before rung 0
    s.promote(0);
    assert.deepEqual(choose(s, going), { promote: 3 });
    s.promote(3);
    assert.equal(choose(s, going), 'new');
    assert.equal(s.onResult(0, 4, 0.25), 'continue');
  });

  test('with a finite budget, the best waiting trial of the highest rung climbs while the rung above is empty', () => {
    const s = new AshaScheduler({ grace_period: 1, reduction_factor: 3, max_t: 9, variant: 'promotion' }, 1); // rungs 1, 3, 9
    s.onTrialAdded(0);
    s.onTrialAdded(1);
    assert.equal(s.onResult(0, 1, 0.5), 'pause');
    assert.equal(s.onResult(1, 1, 0.4), 'pause'); // ⌊2/3⌋ = 0: no regular promotion ever
    assert.equal(choose(s, { searcherFinished: false, running: 0 }), 'new');
    assert.deepEqual(choose(s, finished), { promote: 1 });
    s.promote(1);
    assert.equal(s.onResult(1, 3, 0.3), 'pause');
    assert.deepEqual(choose(s, finished), { promote: 1 }); // rung 2 is empty
    s.promote(1);
    assert.equal(s.onResult(1, 9, 0.2), 'continue');
    s.onTrialEnd(1, 'completed');
    assert.deepEqual(choose(s, finished), { stop: 0 }); // rung 1 has trial 1
    s.onTrialEnd(0, 'stopped');
    assert.equal(choose(s, finished), null);
  });

  test('a trial that failed above does not block: another waiting trial climbs in its place', () => {
    const s = new AshaScheduler({ grace_period: 1, reduction_factor: 3, max_t: 9, variant: 'promotion' }, 1);
    s.onTrialAdded(0);
    s.onTrialAdded(1);
    s.onResult(0, 1, 0.5);
    s.onResult(1, 1, 0.4);
    assert.deepEqual(choose(s, finished), { promote: 1 });
    s.promote(1);
    assert.equal(s.onResult(1, 3, 0.3), 'pause');
    assert.deepEqual(choose(s, finished), { promote: 1 });
    s.promote(1);
    s.onTrialEnd(1, 'failed'); // on its way to max_t
    assert.deepEqual(choose(s, finished), { promote: 0 });
    s.promote(0);
    assert.equal(s.onResult(0, 3, 0.6), 'pause');
    assert.deepEqual(choose(s, finished), { promote: 0 });
  });

  test('results between rungs, and a result from a waiting or ended trial', () => {
    const s = new AshaScheduler({ grace_period: 3, reduction_factor: 3, max_t: 9, variant: 'promotion' }, 1); // rungs 3, 9
    s.onTrialAdded(0);
    assert.equal(s.onResult(0, 1, 0.5), 'continue');
    assert.equal(s.onResult(0, 2, 0.5), 'continue');
    assert.equal(s.describe(0), '→0/1 @3');
    assert.equal(s.onResult(0, 3, 0.5), 'pause');
    assert.equal(s.onResult(0, 4, 0.5), 'pause');
    s.onTrialEnd(0, 'stopped');
    assert.equal(s.onResult(0, 5, 0.5), 'stop');
    assert.equal(s.describe(0), '0/1 @3');
    assert.equal(s.describe(7), null);
    assert.throws(() => s.onResult(7, 3, 0.5), /no trial 7/);
    assert.throws(() => s.onTrialAdded(3), /next trial is 1/);
    assert.throws(() => s.promote(0), /stopped, not waiting/);
  });
});

describe('ASHA, stopping variant (grace 1, η 2, max_t 4)', () => {
  test('a scripted run: continue within the top ⌈n/η⌉ so far, else stop; never pause', () => {
    const s = new AshaScheduler({ grace_period: 1, reduction_factor: 2, max_t: 4, variant: 'stopping' }, 1);
    for (let i = 0; i < 7; i++) s.onTrialAdded(i);
    const steps: [number, number, Loss, Decision][] = [
      [0, 1, 0.5, 'continue'], // {0}: keep 1
      [1, 1, 0.6, 'stop'], //     {0, 1}: keep 1
      [2, 1, 0.4, 'continue'], // {2, 0, 1}: keep 2
      [3, 1, 0.55, 'stop'], //    {2, 0, 3, 1}: keep 2, 3 is third
      [4, 1, 0.5, 'continue'], // {2, 0, 4, 3, 1}: keep 3; 4 ties with 0 and ranks after it
      [5, 1, 0.5, 'stop'], //     {2, 0, 4, 5, ...}: keep 3, 5 is fourth
      [6, 1, null, 'stop'], //    null is worst
      [0, 2, 0.3, 'continue'],
      [2, 2, 0.35, 'stop'], //    {0, 2}: keep 1
      [0, 4, 0.1, 'continue'], // max_t
    ];
    for (const [i, it, loss, want] of steps) assert.equal(s.onResult(i, it, loss), want, `trial ${i} at ${it}`);
    assert.equal(choose(s, going), 'new');
    assert.equal(choose(s, finished), null);
    assert.throws(
      () => s.setState({ trials: [{ status: 'waiting', losses: [0.5] }] }),
      /stopping variant never pauses/,
    );
  });
});

describe('Hyperband (grace 1, η 3, max_t 9: brackets 9 × [1, 3, 9], 5 × [3, 9], 3 × [9])', () => {
  const opts = { grace_period: 1, reduction_factor: 3, max_t: 9 };
  const make = () => new HyperbandScheduler(opts, 1);
  const rung0 = [0.9, 0.5, 0.7, 0.3, 0.8, 0.2, 0.6, 0.4, 0.1]; // best: 8, 5, 3, 7, 1, 6, 2, 4, 0

  test('one bracket end to end: wait at each rung until all have reported, then the top third goes on', () => {
    const s = make();
    for (let i = 0; i < 9; i++) s.onTrialAdded(i);
    for (let i = 0; i < 8; i++) {
      assert.equal(s.onResult(i, 1, rung0[i]), 'pause', `trial ${i}`);
      assert.equal(choose(s, going), 'new'); // rung 0 is not complete: trial 8 has not reported
    }
    assert.equal(s.describe(0), 'b0 0/2 @1');
    assert.equal(s.onResult(8, 1, rung0[8]), 'continue'); // completes the rung, and is in the top 3
    for (const i of [0, 1, 2, 4, 6, 7]) {
      assert.deepEqual(choose(s, going), { stop: i });
      s.onTrialEnd(i, 'stopped');
    }
    assert.deepEqual(choose(s, going), { promote: 5 }); // the better first
    s.promote(5);
    assert.deepEqual(choose(s, going), { promote: 3 });
    s.promote(3);
    assert.equal(choose(s, going), 'new');
    assert.equal(s.onResult(8, 3, 0.3), 'pause');
    assert.equal(s.onResult(3, 3, 0.05), 'pause');
    assert.equal(s.onResult(5, 2, 0.2), 'continue'); // between rungs
    assert.equal(s.onResult(5, 3, 0.2), 'stop'); //    completes rung 1: top ⌊3/3⌋ = {3}
    s.onTrialEnd(5, 'stopped');
    assert.deepEqual(choose(s, going), { stop: 8 });
    s.onTrialEnd(8, 'stopped');
    assert.deepEqual(choose(s, going), { promote: 3 });
    s.promote(3);
    assert.equal(s.describe(3), 'b0 →2/2 @9');
    assert.equal(s.onResult(3, 9, 0.01), 'continue'); // the last rung: completes
    s.onTrialEnd(3, 'completed');
    assert.equal(choose(s, finished), null);
  });

  test('the next trials go to bracket s = 1 and s = 0, whose rungs start later', () => {
    const s = make();
    for (let i = 0; i < 17; i++) s.onTrialAdded(i);
    assert.equal(s.describe(9), 'b1 →0/1 @3');
    assert.equal(s.describe(14), 'b2 →0/0 @9');
    assert.equal(s.onResult(9, 1, 0.5), 'continue');
    assert.equal(s.onResult(9, 3, 0.5), 'pause');
    assert.equal(s.onResult(14, 3, 0.5), 'continue');
    assert.equal(s.onResult(14, 9, 0.5), 'continue');
    s.onTrialAdded(17);
    assert.equal(s.describe(17), 'b3 →0/2 @1');
  });

  test('stops in any bracket come first, then promotions, oldest bracket first', () => {
    const s = make();
    for (let i = 0; i < 14; i++) s.onTrialAdded(i); // bracket 0: trials 0-8; bracket 1: trials 9-13, rungs at 3, 9
    for (let i = 0; i < 9; i++) s.onResult(i, 1, rung0[i]); // 8 goes on; 5 and 3 are to be promoted
    for (const i of [0, 1, 2, 4, 6, 7]) {
      assert.deepEqual(choose(s, going), { stop: i });
      s.onTrialEnd(i, 'stopped');
    }
    const rung0b = [0.5, 0.4, 0.3, 0.6, 0.7]; // trials 9-13: top max(1, ⌊5/3⌋) = {11}
    for (let j = 0; j < 4; j++) assert.equal(s.onResult(9 + j, 3, rung0b[j]), 'pause');
    assert.equal(s.onResult(13, 3, rung0b[4]), 'stop');
    s.onTrialEnd(13, 'stopped');
    for (const i of [9, 10, 12]) {
      assert.deepEqual(choose(s, going), { stop: i }); // before bracket 0's promotions
      s.onTrialEnd(i, 'stopped');
    }
    for (const i of [5, 3, 11]) {
      assert.deepEqual(choose(s, going), { promote: i });
      s.promote(i);
    }
    assert.equal(choose(s, going), 'new');
  });

  test('failed members do not block a rung', () => {
    const s = make();
    for (let i = 0; i < 9; i++) s.onTrialAdded(i);
    s.onTrialEnd(4, 'failed'); // before rung 0
    for (const i of [0, 1, 2, 3, 5, 6, 7]) assert.equal(s.onResult(i, 1, rung0[i]), 'pause');
    // 8 reports: 8 reports in all, top ⌊8/3⌋ = 2 = {8, 5}
    assert.equal(s.onResult(8, 1, rung0[8]), 'continue');
    for (const i of [0, 1, 2, 3, 6, 7]) {
      assert.deepEqual(choose(s, going), { stop: i });
      s.onTrialEnd(i, 'stopped');
    }
    assert.deepEqual(choose(s, going), { promote: 5 });
    s.promote(5);
    assert.equal(s.onResult(5, 3, 0.4), 'pause');
    assert.equal(choose(s, going), 'new'); // 8 is on its way to rung 1
    s.onTrialEnd(8, 'failed');
    assert.deepEqual(choose(s, going), { promote: 5 }); // rung 1 is complete with 5 alone
  });

  test('a bracket that never fills is decided with the members it has once the searcher is finished', () => {
    const s = make();
    for (let i = 0; i < 5; i++) s.onTrialAdded(i);
    for (let i = 0; i < 5; i++) assert.equal(s.onResult(i, 1, rung0[i]), 'pause'); // not full: wait
    assert.equal(choose(s, { searcherFinished: false, running: 0 }), 'new');
    // 5 reports: top max(1, ⌊5/3⌋) = 1 = {3}; the others stop first, even while the slots are busy.
    for (const i of [0, 1, 2, 4]) {
      assert.deepEqual(choose(s, { searcherFinished: true, running: 2 }), { stop: i });
      s.onTrialEnd(i, 'stopped');
    }
    assert.deepEqual(choose(s, finished), { promote: 3 });
    s.promote(3);
    assert.equal(s.onResult(3, 3, 0.5), 'pause'); // rung 1 waits: the bracket is not full
    assert.deepEqual(choose(s, finished), { promote: 3 }); // m = 1: max(1, 0) = 1 goes on
  });

  test('state is checked on restore', () => {
    const s = make();
    assert.throws(() => s.setState(null), /trials: an array/);
    assert.throws(() => s.setState({ trials: [{ status: 'paused', losses: [] }] }), /status is "paused"/);
    assert.throws(() => s.setState({ trials: [{ status: 'running', losses: ['x'] }] }), /finite numbers or null/);
    assert.throws(() => s.setState({ trials: [{ status: 'running', losses: [1, 2, 3, 4] }] }), /4 entries, but the trial has 3 rungs/);
    assert.throws(() => s.setState({ trials: [{ status: 'waiting', losses: [] }] }), /waiting/);
    assert.throws(() => s.setState({ trials: [{ status: 'waiting', losses: [1, 2, 3] }] }), /waiting/);
    // trial 9 is in bracket s = 1: two rungs
    const nine = Array.from({ length: 9 }, () => ({ status: 'stopped', losses: [0.5] }));
    assert.throws(() => s.setState({ trials: [...nine, { status: 'running', losses: [1, 2, 3] }] }), /trials\[9\]\.losses has 3 entries, but the trial has 2 rungs/);
    s.setState({ trials: [...nine, { status: 'waiting', losses: [1] }] });
    assert.equal(s.describe(9), 'b1 0/1 @3');
  });
});

// ---------------------------------------------------------------------------------------------------------
// A small orchestrator, as DESIGN describes it: trials run at different speeds and report every evalInterval;
// free slots ask chooseNext (also asked when no slot is free, acting on stops only).

interface SimOptions {
  make: () => Scheduler;
  numTrials: number;
  concurrency: number;
  maxT: number;
  evalInterval: number;
  failAt?: (trial: number, iteration: number) => boolean;
  /** Before every call, swap the scheduler for a fresh one restored from its state through JSON text. */
  roundTrip?: boolean;
}

interface SimResult {
  trace: string[];
  /** How each trial ended and at which iteration. */
  ends: Map<number, { status: string; iteration: number }>;
  state: Json;
}

function hash(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ p, 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0; // murmur3's finaliser, once per part
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h / 2 ** 32;
}

function simLoss(trial: number, iteration: number): Loss {
  if (hash(trial, 7) < 0.08) return null; // a diverged trial
  return hash(trial) + 1 / iteration + 0.05 * hash(trial, iteration);
}

function simulate(o: SimOptions): SimResult {
  let s = o.make();
  const sched = (): Scheduler => {
    if (o.roundTrip) {
      const fresh = o.make();
      const text = JSON.stringify(s.getState());
      fresh.setState(JSON.parse(text) as Json);
      assert.equal(JSON.stringify(fresh.getState()), text, 'getState after setState gives the same state');
      s = fresh;
    }
    return s;
  };
  const trace: string[] = [];
  const ends = new Map<number, { status: string; iteration: number }>();
  const running = new Map<number, { iter: number; time: number }>();
  const waiting = new Map<number, number>(); // trial → iteration it waits at
  let created = 0;
  let now = 0;
  const nextIteration = (iter: number) => Math.min(iter - (iter % o.evalInterval) + o.evalInterval, o.maxT);
  const start = (i: number, iter: number) => {
    const next = nextIteration(iter);
    running.set(i, { iter, time: now + (next - iter) * (1 + hash(i, 99) * 3) });
  };
  const end = (i: number, status: 'completed' | 'stopped' | 'failed', iteration: number) => {
    assert.ok(!ends.has(i), `trial ${i} ends once`);
    ends.set(i, { status, iteration });
    sched().onTrialEnd?.(i, status);
  };
  const fill = () => {
    for (;;) {
      const ctx: ChooseContext = { searcherFinished: created >= o.numTrials, running: running.size };
      const c = choose(sched(), ctx);
      trace.push(`choose ${JSON.stringify(ctx)} ${JSON.stringify(c)}`);
      if (c !== null && typeof c === 'object' && 'stop' in c) {
        assert.ok(waiting.has(c.stop), `stop ${c.stop}: it waits`);
        end(c.stop, 'stopped', waiting.get(c.stop)!);
        waiting.delete(c.stop);
        continue;
      }
      if (running.size >= o.concurrency) return;
      if (c === null) {
        assert.ok(!(ctx.searcherFinished && running.size === 0 && waiting.size > 0), 'null while trials wait and nothing runs: a hang');
        return;
      }
      if (c === 'new') {
        assert.ok(!ctx.searcherFinished, "'new' after the searcher finished");
        sched().onTrialAdded?.(created);
        start(created++, 0);
      } else {
        assert.ok(waiting.has(c.promote), `promote ${c.promote}: it waits`);
        sched().promote?.(c.promote);
        start(c.promote, waiting.get(c.promote)!);
        waiting.delete(c.promote);
      }
    }
  };
  fill();
  while (running.size > 0) {
    let i = -1;
    for (const [j, r] of running) if (i < 0 || r.time < running.get(i)!.time) i = j;
    const r = running.get(i)!;
    now = r.time;
    const it = nextIteration(r.iter);
    running.delete(i);
    if (o.failAt?.(i, it)) {
      trace.push(`fail ${i} ${it}`);
      end(i, 'failed', it);
    } else {
      const d = sched().onResult(i, it, simLoss(i, it));
      trace.push(`result ${i} ${it} ${d}`);
      if (d === 'pause') waiting.set(i, it);
      else if (d === 'stop') end(i, 'stopped', it);
      else if (it >= o.maxT) end(i, 'completed', it);
      else start(i, it);
    }
    fill();
  }
  assert.equal(waiting.size, 0, 'nothing is left waiting');
  assert.equal(created, o.numTrials, 'every trial was created');
  assert.equal(ends.size, o.numTrials, 'every trial ended');
  assert.equal(choose(sched(), { searcherFinished: true, running: 0 }), null);
  return { trace, ends, state: sched().getState() };
}

/** About one trial in three fails, at the first result past an iteration of its own. */
const failSome = (trial: number, iteration: number) => hash(trial, 3) < 0.3 && iteration >= 1 + Math.floor(hash(trial, 4) ** 2 * 26);

const cases: { name: string; sim: Omit<SimOptions, 'roundTrip'> }[] = [];
for (const variant of ['promotion', 'stopping'] as const) {
  for (const [concurrency, numTrials, evalInterval, failAt] of [
    [1, 12, 1, undefined],
    [4, 40, 1, undefined],
    [7, 40, 2, failSome],
    [3, 5, 1, failSome],
  ] as const) {
    cases.push({
      name: `asha ${variant}, ${numTrials} trials, ${concurrency} at a time, eval every ${evalInterval}${failAt ? ', some fail' : ''}`,
      sim: {
        make: () => new AshaScheduler({ grace_period: 1, reduction_factor: 3, max_t: 27, variant }, evalInterval),
        numTrials, concurrency, maxT: 27, evalInterval, failAt,
      },
    });
  }
}
// Brackets for grace 1, η 3, max_t 27: 27 × [1, 3, 9, 27], 12 × [3, 9, 27], 6 × [9, 27], 4 × [27].
for (const [concurrency, numTrials, evalInterval, failAt] of [
  [1, 20, 1, undefined],
  [5, 49, 1, undefined],
  [8, 70, 2, failSome],
  [3, 31, 1, failSome],
] as const) {
  cases.push({
    name: `hyperband, ${numTrials} trials, ${concurrency} at a time, eval every ${evalInterval}${failAt ? ', some fail' : ''}`,
    sim: {
      make: () => new HyperbandScheduler({ grace_period: 1, reduction_factor: 3, max_t: 27 }, evalInterval),
      numTrials, concurrency, maxT: 27, evalInterval, failAt,
    },
  });
}

describe('every scheduler, driven like the orchestrator drives it', () => {
  for (const { name, sim } of cases) {
    test(`${name}: ends with nothing waiting; chooseNext pure; restored after every step, runs identically`, () => {
      const plain = simulate(sim);
      const restored = simulate({ ...sim, roundTrip: true });
      assert.deepEqual(restored.trace, plain.trace);
      assert.deepEqual(restored.state, plain.state);
      assert.deepEqual(simulate(sim).trace, plain.trace, 'reproducible');
      if (!sim.failAt) {
        const completed = [...plain.ends.values()].filter((e) => e.status === 'completed');
        assert.ok(completed.length >= 1, 'at least one trial reaches max_t');
        assert.ok(completed.every((e) => e.iteration === 27));
      }
    });
  }

  test('promotion ASHA pauses and promotes; stopping ASHA never pauses', () => {
    const promo = simulate(cases[1].sim);
    assert.ok(promo.trace.some((l) => l.endsWith(' pause')));
    assert.ok(promo.trace.some((l) => l.includes('"promote"')));
    const stopping = simulate(cases[5].sim);
    assert.ok(!stopping.trace.some((l) => l.endsWith(' pause')));
    assert.ok(stopping.trace.some((l) => l.endsWith(' stop')));
  });

  test('hyperband, one full cycle of 49 trials: each bracket halves by η down to its last rung', () => {
    const { ends } = simulate(cases[9].sim);
    const reached = (first: number, n: number) => [...ends].filter(([i, e]) => i >= first && i < first + n && e.status === 'completed').length;
    // s = 3: 27 → 9 → 3 → 1; s = 2: 12 → 4 → 1; s = 1: 6 → 2; s = 0: all 4 run to max_t.
    assert.deepEqual([reached(0, 27), reached(27, 12), reached(39, 6), reached(45, 4)], [1, 1, 2, 4]);
    const at = (first: number, n: number, it: number) => [...ends].filter(([i, e]) => i >= first && i < first + n && e.iteration === it).length;
    assert.deepEqual([at(0, 27, 1), at(0, 27, 3), at(0, 27, 9)], [18, 6, 2]);
    assert.deepEqual([at(27, 12, 3), at(27, 12, 9)], [8, 3]);
  });
});

describe('a failed trial retried (resume --retry-failed)', () => {
  test('ASHA counts it as running again: its later results rank at their rungs', () => {
    const s = new AshaScheduler({ grace_period: 1, reduction_factor: 2, max_t: 4, variant: 'promotion' }, 1); // rungs 1, 2, 4
    for (const i of [0, 1]) s.onTrialAdded?.(i);
    const status = (i: number) => (s.getState() as { trials: { status: string }[] }).trials[i].status;
    s.onResult(0, 1, 0.5);
    s.onTrialEnd(0, 'failed');
    assert.equal(status(0), 'failed');
    s.onReopen(0);
    assert.equal(status(0), 'running');
    // Retried, its next results count: at rung 1 (two iterations) it is the only one, and goes on to max_t.
    assert.equal(s.onResult(0, 2, 0.4), 'pause');
    s.onResult(1, 1, 0.9);
    assert.equal(status(1), 'waiting');
  });

  test('Hyperband counts it as running again', () => {
    const s = new HyperbandScheduler({ grace_period: 1, reduction_factor: 3, max_t: 9 }, 1);
    s.onTrialAdded?.(0);
    s.onTrialEnd(0, 'failed');
    s.onReopen(0);
    assert.equal((s.getState() as { trials: { status: string }[] }).trials[0].status, 'running');
  });
});
