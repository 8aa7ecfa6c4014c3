import { formatNumber } from '../ui/format.js';
import { applyToParam, operationSpec } from './operations.js';
import { triggerText } from './trigger.js';
import type { Operation } from './types.js';

/** The built-in MLP trial's starting point, which `--set` changes. */
export const PLAN_DEFAULTS: Record<string, number> = {
  lr: 0.1, batch_size: 32, grad_accum: 1, weight_decay: 0, warmup_iters: 0, eval_interval: 10, hidden: 32, layers: 1,
};

export interface PlanStep {
  index: number;
  op: Operation;
  when: string;
  change: string;
}

/** What each operation does, in order, starting from `start`: the hyperparameters and the model's shape. */
export function planSchedule(ops: readonly Operation[], start: Record<string, number>): { steps: PlanStep[]; final: Record<string, number> } {
  const h = { ...start };
  const shape = () => `2-${Array.from({ length: h.layers }, () => h.hidden).join('-')}-3`;
  const steps = ops.map((op, index) => {
    const spec = operationSpec(op.name);
    const when = triggerText(op);
    let change: string;
    if (op.completed) {
      change = 'already completed: skipped';
    } else if (spec?.kind === 'model') {
      const before = shape();
      if (op.name === 'widen_mlp') h.hidden += op.value;
      else h.layers += op.value;
      change = `model ${before} → ${shape()}`;
    } else if (spec?.param) {
      const before = h[spec.param] ?? 0;
      h[spec.param] = applyToParam(spec, before, op.value);
      change = `${spec.param} ${formatNumber(before)} → ${formatNumber(h[spec.param])}`;
    } else {
      change = 'unknown operation';
    }
    return { index, op, when, change };
  });
  return { steps, final: h };
}
