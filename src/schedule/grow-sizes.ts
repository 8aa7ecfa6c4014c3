import type { ModelDef } from '../train/models/types.js';

/**
 * The sizes a built-in model has after a growth operation, checked the way Trainer.applyOperation checks
 * them, without touching any parameter. The plan uses it so that it grows models by the trainer's rule
 * (the model's own `grow`, then its own `sizes` check) rather than a copy of it.
 */
export function grownSizes<S>(model: ModelDef<S>, sizes: S, name: string, value: number): S {
  if (!Number.isInteger(value) || value < 1) throw new Error(`operation ${name}: value ${value} must be a whole number >= 1`);
  if (name !== 'stack_layers' && name !== 'widen_mlp') throw new Error(`the ${model.kind} trainer cannot apply ${name}`);
  return model.sizes(model.grow(sizes, name, value));
}
