import type { Rng } from '../rng.js';

/**
 * The Parzen estimator BOHB fits per budget, as HpBandSter gets it from statsmodels' KDEMultivariate
 * (var_type 'c' / 'u', bw 'normal_reference'): a product kernel over the dimensions, Gaussian on the
 * continuous ones (in the [0, 1]-scaled space) and Aitchison–Aitken on the categorical ones (values are
 * level indices 0..levels-1).
 */
export type Dimension = { kind: 'continuous' } | { kind: 'categorical'; levels: number };

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Scott's normal-reference rule exactly as statsmodels writes it for the multivariate KDE
 * (GenericKDE._normal_reference): h = 1.06 · σ · n^(-1/(q+4)), with σ the population standard deviation
 * (numpy's std, ddof 0) of this column, n the number of points and q the number of dimensions of the whole
 * estimator (categorical ones included). statsmodels applies it to the categorical level indices too.
 */
export function normalReference(column: readonly number[], numDimensions: number): number {
  const n = column.length;
  let mean = 0;
  for (const x of column) mean += x;
  mean /= n;
  let sq = 0;
  for (const x of column) sq += (x - mean) * (x - mean);
  return 1.06 * Math.sqrt(sq / n) * n ** (-1 / (numDimensions + 4));
}

export class Kde {
  /**
   * One per dimension: the normal-reference value raised to `minBandwidth` (HpBandSter clips both KDEs'
   * bandwidths so). A categorical one is also capped at (levels-1)/levels, where the Aitchison–Aitken kernel
   * is already uniform: past it, statsmodels' kernel would give the other levels more than the point's own
   * and its "probability" 1 - h would turn negative.
   */
  readonly bandwidths: readonly number[];

  constructor(readonly data: readonly (readonly number[])[], readonly dimensions: readonly Dimension[], minBandwidth: number) {
    if (data.length === 0) throw new Error('a KDE needs at least one point');
    this.bandwidths = dimensions.map((dim, k) => {
      const bw = Math.max(normalReference(data.map((row) => row[k]), dimensions.length), minBandwidth);
      return dim.kind === 'continuous' ? bw : Math.min(bw, (dim.levels - 1) / dim.levels);
    });
  }

  /**
   * log f(x), f(x) = (1/n) Σ_i Π_k K_k(x_k, X_ik) / Π_{k continuous} h_k, summed in log space so that a far
   * point gets a finite, comparable value instead of 0.
   */
  logPdf(x: readonly number[]): number {
    const terms = this.data.map((row) => {
      let s = 0;
      this.dimensions.forEach((dim, k) => (s += logKernel(dim, this.bandwidths[k], x[k], row[k])));
      return s;
    });
    let logNorm = Math.log(this.data.length);
    this.dimensions.forEach((dim, k) => {
      if (dim.kind === 'continuous') logNorm += Math.log(this.bandwidths[k]);
    });
    return logSumExp(terms) - logNorm;
  }

  pdf(x: readonly number[]): number {
    return Math.exp(this.logPdf(x));
  }

  /**
   * One draw from the kernel around a random data point, as HpBandSter proposes: continuous dimensions from
   * a normal truncated to [0, 1] with the bandwidth times `bandwidthFactor`; a categorical one keeps the
   * point's level with probability 1 - h and otherwise takes one of the other levels, uniformly.
   */
  sample(rng: Rng, bandwidthFactor: number): number[] {
    const row = this.data[rng.int(0, this.data.length - 1)];
    return this.dimensions.map((dim, k) => {
      const h = this.bandwidths[k];
      if (dim.kind === 'continuous') return truncatedNormal(rng, row[k], h * bandwidthFactor, 0, 1);
      if (rng.next() < 1 - h) return row[k];
      const other = rng.int(0, dim.levels - 2);
      return other >= row[k] ? other + 1 : other;
    });
  }
}

function logKernel(dim: Dimension, h: number, x: number, xi: number): number {
  if (dim.kind === 'continuous') return -((x - xi) * (x - xi)) / (2 * h * h) - LOG_SQRT_2PI;
  // Aitchison–Aitken: 1 - h on the point's own level, h / (levels - 1) on each other one.
  return x === xi ? Math.log(1 - h) : Math.log(h / (dim.levels - 1));
}

function logSumExp(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** A normal(mean, sd) draw conditioned on [lo, hi] (mean inside it), by inverting the CDF: one uniform. */
export function truncatedNormal(rng: Rng, mean: number, sd: number, lo: number, hi: number): number {
  const pa = normalCdf((lo - mean) / sd);
  const pb = normalCdf((hi - mean) / sd);
  const x = mean + sd * normalQuantile(pa + rng.next() * (pb - pa));
  return Math.min(hi, Math.max(lo, x));
}

/**
 * Φ(z) through erfc's Chebyshev fit from Numerical Recipes (§6.2, erfcc; fractional error below 1.2e-7),
 * ample for drawing proposals.
 */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(-x * x + poly);
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

// P. J. Acklam's rational approximation of the normal quantile (relative error below 1.15e-9).
const QA = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const QB = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const QC = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const QD = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Φ⁻¹(p); ±Infinity at p = 0 and 1. */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const tail = (q: number) =>
    (((((QC[0] * q + QC[1]) * q + QC[2]) * q + QC[3]) * q + QC[4]) * q + QC[5]) / ((((QD[0] * q + QD[1]) * q + QD[2]) * q + QD[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((QA[0] * r + QA[1]) * r + QA[2]) * r + QA[3]) * r + QA[4]) * r + QA[5]) * q) / (((((QB[0] * r + QB[1]) * r + QB[2]) * r + QB[3]) * r + QB[4]) * r + 1);
}
