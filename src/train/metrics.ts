/**
 * Validation metrics from logits, in float64 on the JS side: the eval graph stays a plain forward pass,
 * and padding is skipped by weight instead of by shape.
 */
export interface MetricSums {
  /** Sum of weight * cross-entropy, in nats. */
  loss: number;
  /** Sum of weight where the arg-max class is the label. */
  correct: number;
  /** Sum of weights: the number of real targets. */
  count: number;
}

export const emptySums = (): MetricSums => ({ loss: 0, correct: 0, count: 0 });

/** Adds one batch: `logits` rows of `classes`, one label and one weight per row. */
export function accumulateMetrics(sums: MetricSums, logits: Float32Array, classes: number, labels: BigInt64Array, weights: Float32Array): void {
  for (let r = 0; r < weights.length; r++) {
    const w = weights[r];
    if (w === 0) continue;
    const off = r * classes;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) {
      if (logits[off + c] > max) {
        max = logits[off + c];
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[off + c] - max);
    const label = Number(labels[r]);
    sums.loss += w * (Math.log(sum) + max - logits[off + label]);
    if (arg === label) sums.correct += w;
    sums.count += w;
  }
}
