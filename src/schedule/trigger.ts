import type { Operation, ScheduleState } from './types.js';

export interface TriggerResult {
  /** Indices of the operations that fire now, in order. */
  fire: number[];
  /** The last one asks for an evaluation before any further trigger is checked. */
  reevaluate: boolean;
}

/**
 * The trigger rule at a validation boundary: the next uncompleted operation fires when the loss is below
 * its trigger_loss, or when max_wait_iters iterations have passed since the last operation fired (or the
 * start). Several fire at one boundary while each one's own condition holds; after one that asks to
 * reevaluate, nothing more is checked until the trial has evaluated again. A null loss (NaN) triggers
 * nothing by itself. Pure: the caller records what fired.
 */
export function dueOperations(ops: readonly Operation[], state: ScheduleState, iteration: number, loss: number | null): TriggerResult {
  const fire: number[] = [];
  let last = state.lastFire;
  for (let i = 0; i < ops.length; i++) {
    if (state.completed[i]) continue;
    const op = ops[i];
    const byLoss = op.trigger_loss !== null && loss !== null && loss < op.trigger_loss;
    const byWait = op.max_wait_iters !== null && iteration - last >= op.max_wait_iters;
    if (!byLoss && !byWait) break;
    fire.push(i);
    last = iteration;
    if (op.reevaluate) return { fire, reevaluate: true };
  }
  return { fire, reevaluate: false };
}

/** The state after `fire` happened at `iteration` with `loss`. */
export function afterFiring(state: ScheduleState, fire: readonly number[], iteration: number, loss: number | null): ScheduleState {
  if (fire.length === 0) return state;
  const completed = [...state.completed];
  for (const i of fire) completed[i] = true;
  return { completed, lastFire: iteration, fired: [...state.fired, ...fire.map((index) => ({ index, iteration, loss }))] };
}

/** "loss < 2.5 or 120 it after the previous": when an operation fires, for the plan and the detail view. */
export function triggerText(op: Operation): string {
  const when: string[] = [];
  if (op.trigger_loss !== null) when.push(`loss < ${op.trigger_loss}`);
  if (op.max_wait_iters !== null) when.push(`${op.max_wait_iters} it after the previous`);
  return when.join(' or ');
}

/** "2/5 · next change_lr at loss < 2.5 or +120 it" for the UI's schedule column. */
export function scheduleProgress(ops: readonly Operation[], state: ScheduleState, iteration: number): string {
  const done = state.completed.filter(Boolean).length;
  const next = state.completed.findIndex((c) => !c);
  if (next < 0) return `${done}/${ops.length} · all done`;
  const op = ops[next];
  const when: string[] = [];
  if (op.trigger_loss !== null) when.push(`loss < ${op.trigger_loss}`);
  if (op.max_wait_iters !== null) when.push(`+${Math.max(0, state.lastFire + op.max_wait_iters - iteration)} it`);
  return `${done}/${ops.length} · next ${op.name} at ${when.join(' or ')}`;
}
