/**
 * The operation registry: every operation a schedule may name, with the rule its value must follow.
 * Hyperparameter operations come in a multiplicative (`change_*`) and an absolute (`set_*`) form; the
 * built-in trainer's model operations (stack_layers, widen_mlp) are registered beside them.
 */
export type ValueRule = 'positive' | 'positive-int' | 'non-negative' | 'non-negative-int';

export interface OperationSpec {
  readonly name: string;
  /** The hyperparameter it changes, or null for a model operation. */
  readonly param: string | null;
  readonly kind: 'multiply' | 'set' | 'model';
  readonly value: ValueRule;
  readonly help: string;
}

interface Hyperparameter {
  readonly param: string;
  readonly what: string;
  readonly integer: boolean;
  /** The smallest value it may take after an operation. */
  readonly min: number;
  /** Must stay above zero (a learning rate of 0 trains nothing). */
  readonly positive: boolean;
}

export const HYPERPARAMETERS: readonly Hyperparameter[] = [
  { param: 'lr', what: 'learning rate', integer: false, min: 0, positive: true },
  { param: 'batch_size', what: 'batch size', integer: true, min: 1, positive: true },
  { param: 'grad_accum', what: 'gradient accumulation steps', integer: true, min: 1, positive: true },
  { param: 'weight_decay', what: 'weight decay', integer: false, min: 0, positive: false },
  { param: 'warmup_iters', what: 'learning-rate warmup iterations', integer: true, min: 0, positive: false },
  { param: 'eval_interval', what: 'iterations between evaluations', integer: true, min: 1, positive: true },
];

const registry = new Map<string, OperationSpec>();

for (const h of HYPERPARAMETERS) {
  // A factor of 0 would be a set_* in disguise (and, for the learning rate, stop training): factors are > 0.
  registry.set(`change_${h.param}`, { name: `change_${h.param}`, param: h.param, kind: 'multiply', value: 'positive', help: `multiply the ${h.what} by value` });
  const setRule: ValueRule = h.integer ? (h.positive ? 'positive-int' : 'non-negative-int') : h.positive ? 'positive' : 'non-negative';
  registry.set(`set_${h.param}`, { name: `set_${h.param}`, param: h.param, kind: 'set', value: setRule, help: `set the ${h.what} to value` });
}
registry.set('stack_layers', { name: 'stack_layers', param: null, kind: 'model', value: 'positive-int', help: 'add value blocks on top, starting as the identity' });
registry.set('widen_mlp', { name: 'widen_mlp', param: null, kind: 'model', value: 'positive-int', help: 'add value hidden units to every hidden layer; their outgoing weights start at zero' });

export function operationSpec(name: string): OperationSpec | undefined {
  return registry.get(name);
}

export function operationNames(): string[] {
  return [...registry.keys()].sort();
}

/** Why `value` does not suit the operation, or null when it does. */
export function checkValue(spec: OperationSpec, value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
  switch (spec.value) {
    case 'positive':
      return value > 0 ? null : 'must be > 0';
    case 'positive-int':
      return Number.isInteger(value) && value >= 1 ? null : 'must be a whole number >= 1';
    case 'non-negative':
      return value >= 0 ? null : 'must be >= 0';
    case 'non-negative-int':
      return Number.isInteger(value) && value >= 0 ? null : 'must be a whole number >= 0';
  }
}

/** The hyperparameter's value after the operation: integer ones are rounded and kept at their minimum. */
export function applyToParam(spec: OperationSpec, current: number, value: number): number {
  const raw = spec.kind === 'multiply' ? current * value : value;
  const h = HYPERPARAMETERS.find((x) => x.param === spec.param);
  if (!h?.integer) return raw;
  return Math.max(h.min, Math.round(raw));
}
