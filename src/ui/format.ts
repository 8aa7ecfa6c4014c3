import type { ParamValue } from '../search/space.js';

/** Numbers for reading: 4 significant digits, exponent form for very small or large magnitudes. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e6) return String(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(4)));
  return v.toExponential(2).replace('e+', 'e');
}

/**
 * `v` with at most `digits` significant digits: whole numbers below a million as they are, plain decimals
 * from 0.001 up to 100,000, exponent form (`1.5e-4`) outside, trailing zeros dropped.
 */
export function formatSig(v: number, digits: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e6) return String(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(digits)));
  const [mantissa, exponent] = v.toExponential(Math.max(0, digits - 1)).split('e');
  return `${Number(mantissa)}e${exponent.replace('+', '')}`;
}

/** A number in at most `width` characters: the most significant digits that fit (4 at most), or cut. */
export function fitNumber(v: number, width: number, maxDigits = 4): string {
  for (let d = maxDigits; d >= 1; d--) {
    const s = formatSig(v, d);
    if (s.length <= width) return s;
  }
  return formatSig(v, 1).slice(0, width);
}

/** A reported metric: null (not a finite number) and absent both read as "-"/"nan". */
export function formatMetric(v: number | null | undefined): string {
  return v === undefined ? '-' : v === null ? 'nan' : formatNumber(v);
}

export function formatValue(v: ParamValue | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

export function formatConfig(config: Record<string, ParamValue>): string {
  return Object.entries(config).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ');
}

/** "1 trial", "3 trials". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A plain text table with left-aligned text and right-aligned numbers. */
export function table(header: string[], rows: string[][], numeric: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
