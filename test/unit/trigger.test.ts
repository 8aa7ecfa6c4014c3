import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterFiring, dueOperations, scheduleProgress } from '../../src/schedule/trigger.js';
import { initialScheduleState, type Operation } from '../../src/schedule/types.js';

function op(name: string, trigger_loss: number | null, max_wait_iters: number | null, reevaluate = false, completed = false): Operation {
  return { name, value: 0.5, trigger_loss, max_wait_iters, desc: '', reevaluate, completed };
}

// Each row: the schedule, where it stands, the boundary (iteration, loss), and what must fire.
const rows: { what: string; ops: Operation[]; completed?: boolean[]; lastFire?: number; iteration: number; loss: number | null; fire: number[]; reevaluate?: boolean }[] = [
  { what: 'loss below trigger_loss fires', ops: [op('a', 2.0, null)], iteration: 10, loss: 1.9, fire: [0] },
  { what: 'loss equal to trigger_loss does not fire (strictly below)', ops: [op('a', 2.0, null)], iteration: 10, loss: 2.0, fire: [] },
  { what: 'loss above and no wait: nothing', ops: [op('a', 2.0, null)], iteration: 1000, loss: 2.5, fire: [] },
  { what: 'wait trigger fires after max_wait_iters since the start', ops: [op('a', null, 100)], iteration: 100, loss: 9, fire: [0] },
  { what: 'wait trigger not yet', ops: [op('a', null, 100)], iteration: 99, loss: 9, fire: [] },
  { what: 'wait counts from the last firing', ops: [op('a', null, 100, false, true), op('b', null, 100)], completed: [true, false], lastFire: 150, iteration: 240, loss: 9, fire: [] },
  { what: 'wait counts from the last firing (reached)', ops: [op('a', null, 100, false, true), op('b', null, 100)], completed: [true, false], lastFire: 150, iteration: 250, loss: 9, fire: [1] },
  { what: 'both given: the loss fires it early', ops: [op('a', 1.0, 500)], iteration: 20, loss: 0.9, fire: [0] },
  { what: 'both given: the wait fires it late', ops: [op('a', 1.0, 500)], iteration: 500, loss: 3, fire: [0] },
  { what: 'several fire at one boundary while each condition holds', ops: [op('a', 2.0, null), op('b', 1.5, null), op('c', 1.0, null)], iteration: 10, loss: 1.2, fire: [0, 1] },
  { what: 'a wait-only operation after one that fired now waits its turn', ops: [op('a', 2.0, null), op('b', null, 50)], iteration: 300, loss: 1.0, fire: [0] },
  { what: 'reevaluate stops the checking until the trial evaluates again', ops: [op('a', 2.0, null, true), op('b', 3.0, null)], iteration: 10, loss: 1.0, fire: [0], reevaluate: true },
  { what: 'operations in order: a later one never jumps an earlier one', ops: [op('a', 0.5, null), op('b', 2.0, null)], iteration: 10, loss: 1.0, fire: [] },
  { what: 'completed ones are skipped; the last one fires', ops: [op('a', 2, null, false, true), op('b', 2, null)], completed: [true, false], iteration: 10, loss: 1.0, fire: [1] },
  { what: 'all completed: nothing more', ops: [op('a', 2, 1, false, true)], completed: [true], iteration: 10, loss: 0, fire: [] },
  { what: 'an empty schedule fires nothing', ops: [], iteration: 10, loss: 0, fire: [] },
  { what: 'a diverged loss (null) triggers no loss condition', ops: [op('a', 2.0, null)], iteration: 10, loss: null, fire: [] },
  { what: 'a diverged loss still lets a wait trigger fire', ops: [op('a', 2.0, 10)], iteration: 10, loss: null, fire: [0] },
  { what: 'max_wait_iters 0 fires at the first boundary', ops: [op('a', null, 0), op('b', null, 0)], iteration: 10, loss: 5, fire: [0, 1] },
];

for (const r of rows) {
  test(`trigger rule: ${r.what}`, () => {
    const state = { ...initialScheduleState(r.ops), ...(r.completed ? { completed: r.completed } : {}), lastFire: r.lastFire ?? 0 };
    const got = dueOperations(r.ops, state, r.iteration, r.loss);
    assert.deepEqual(got.fire, r.fire);
    assert.equal(got.reevaluate, r.reevaluate ?? false);
  });
}

test('after firing, the operations are completed, lastFire moves and the firing is recorded with its loss', () => {
  const ops = [op('a', 2, null), op('b', null, 100)];
  const s1 = afterFiring(initialScheduleState(ops), [0], 40, 1.5);
  assert.deepEqual(s1, { completed: [true, false], lastFire: 40, fired: [{ index: 0, iteration: 40, loss: 1.5 }] });
  assert.deepEqual(dueOperations(ops, s1, 139, 0).fire, []);
  assert.deepEqual(dueOperations(ops, s1, 140, 0).fire, [1]);
});

test('schedule progress text for the UI', () => {
  const ops = [op('change_lr', 2.5, 120), op('widen_mlp', null, 300)];
  const s = initialScheduleState(ops);
  assert.equal(scheduleProgress(ops, s, 20), '0/2 · next change_lr at loss < 2.5 or +100 it');
  const s1 = afterFiring(s, [0], 50, 2.4);
  assert.equal(scheduleProgress(ops, s1, 150), '1/2 · next widen_mlp at +200 it');
  assert.equal(scheduleProgress(ops, afterFiring(s1, [1], 350, 2), 350), '2/2 · all done');
});
