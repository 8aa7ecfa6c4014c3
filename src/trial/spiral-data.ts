import { Rng } from '../search/rng.js';

export interface Dataset {
  x: Float64Array; // n × 2
  y: Uint8Array; // n labels
  n: number;
  classes: number;
}

/**
 * The classic interleaved-spirals problem (one arm per class): small, generated, not linearly separable.
 * The data seed is fixed, so every trial of every session sees the same points.
 */
export function spirals(perClass: number, classes: number, noise: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const n = perClass * classes;
  const x = new Float64Array(n * 2);
  const y = new Uint8Array(n);
  let i = 0;
  for (let c = 0; c < classes; c++) {
    for (let k = 0; k < perClass; k++, i++) {
      const r = k / perClass;
      const t = (c * 4 + 4 * r) + rng.normal() * noise;
      x[2 * i] = r * Math.sin(t);
      x[2 * i + 1] = r * Math.cos(t);
      y[i] = c;
    }
  }
  return { x, y, n, classes };
}

export const SPIRAL_DATA_SEED = 20261125;

export function trainAndValidation(): { train: Dataset; val: Dataset } {
  return {
    train: spirals(1000, 3, 0.25, SPIRAL_DATA_SEED),
    val: spirals(200, 3, 0.25, SPIRAL_DATA_SEED + 1),
  };
}
