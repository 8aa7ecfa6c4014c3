import { operationSpec } from './operations.js';
import type { HyperValues, ModelShape, PlanTrial } from './plan-trials.js';
import { triggerText } from './trigger.js';
import type { Operation } from './types.js';

/** Where a plan stands: the model (null when unknown) and the scheduled hyperparameters. */
export interface PlanPoint {
  readonly model: ModelShape | null;
  readonly hyper: HyperValues;
}

/** What one operation does when it fires. */
export type Outcome =
  | { readonly kind: 'model'; readonly before: ModelShape; readonly after: ModelShape }
  | { readonly kind: 'hyper'; readonly param: string; readonly before: number | undefined; readonly after: number | undefined }
  /** Marked completed in the file, so it will not fire. */
  | { readonly kind: 'skipped' }
  /** A model operation on a model the plan cannot see. */
  | { readonly kind: 'model-unknown' }
  /** The trial would refuse it, and fail. */
  | { readonly kind: 'fails'; readonly reason: string }
  /** After an operation the trial fails on. */
  | { readonly kind: 'not-reached' };

export interface PlanStep {
  readonly index: number;
  readonly op: Operation;
  /** When it fires, e.g. "loss < 0.2 or 500 it after the previous". */
  readonly when: string;
  readonly outcome: Outcome;
}

export interface Plan {
  readonly start: PlanPoint;
  readonly steps: PlanStep[];
  readonly end: PlanPoint;
}

/**
 * The operations in order and what each does to `trial`, which applies them by its own rules. With
 * `ignoreCompleted` (a spec's init_from: scratch) every operation fires, whatever the file's flags say.
 */
export function planSchedule<S>(ops: readonly Operation[], trial: PlanTrial<S>, opts: { ignoreCompleted?: boolean } = {}): Plan {
  const point = (s: S): PlanPoint => ({ model: trial.model(s), hyper: trial.hyper(s) });
  let state = trial.start;
  let failed = false;
  const steps = ops.map((op, index): PlanStep => {
    const step = (outcome: Outcome): PlanStep => ({ index, op, when: triggerText(op), outcome });
    if (failed) return step({ kind: 'not-reached' });
    if (op.completed && !opts.ignoreCompleted) return step({ kind: 'skipped' });
    const isModel = operationSpec(op.name)?.kind === 'model';
    const before = point(state);
    if (isModel && !before.model) return step({ kind: 'model-unknown' });
    try {
      state = trial.apply(state, op);
    } catch (err) {
      failed = true;
      return step({ kind: 'fails', reason: (err as Error).message });
    }
    const after = point(state);
    if (isModel) return step({ kind: 'model', before: before.model!, after: after.model! });
    const param = operationSpec(op.name)?.param ?? op.name;
    return step({ kind: 'hyper', param, before: before.hyper[param], after: after.hyper[param] });
  });
  return { start: point(trial.start), steps, end: point(state) };
}
