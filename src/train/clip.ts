/**
 * Gradient clipping by global norm in the graph (PyTorch's clip_grad_norm_ with its 1e-6 guard): the
 * reference for the trainer's own clipping (trainer.ts clipFactor), which scales the fused update instead.
 */
import { add, div, greater, mul, reduceSum, sqrt, where, type Value } from './onnx/index.js';

/** Every gradient scaled by min(1, threshold / (norm + 1e-6)), norm the L2 norm of all of them together. */
export function clipByGlobalNorm(grads: readonly Value[], threshold: Value): Value[] {
  if (grads.length === 0) return [];
  const squares = grads.map((g) => reduceSum(mul(g, g)));
  const norm = sqrt(squares.reduce((a, b) => add(a, b)));
  const coef = where(greater(norm, threshold), div(threshold, add(norm, 1e-6)), 1);
  return grads.map((g) => mul(g, coef));
}
