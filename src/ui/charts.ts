/** Text charts for the terminal: a one-line sparkline and a small block chart. Pure functions. */
const BARS = '▁▂▃▄▅▆▇█';

function range(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The last `width` values as one line of bars, scaled between their own minimum and maximum. */
export function sparkline(values: readonly number[], width: number): string {
  const tail = values.slice(-width);
  if (tail.length === 0) return '';
  const [lo, hi] = range(tail);
  return tail
    .map((v) => {
      if (!Number.isFinite(v)) return ' ';
      const x = hi === lo ? 0.5 : (v - lo) / (hi - lo);
      return BARS[Math.min(BARS.length - 1, Math.round(x * (BARS.length - 1)))];
    })
    .join('');
}

/** A block chart `height` rows tall, one column per value (the last `width` of them), top row first. */
export function blockChart(values: readonly number[], width: number, height: number): string[] {
  const tail = values.slice(-width);
  if (tail.length === 0) return [];
  const [lo, hi] = range(tail);
  const levels = height * 8;
  const heights = tail.map((v) => (!Number.isFinite(v) ? 0 : hi === lo ? levels / 2 : 1 + Math.round(((v - lo) / (hi - lo)) * (levels - 1))));
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    rows.push(heights.map((h) => {
      const fill = h - r * 8;
      return fill >= 8 ? '█' : fill <= 0 ? ' ' : BARS[fill - 1];
    }).join(''));
  }
  return rows;
}

/** `[██████░░░░]` style progress of `done` out of `total` in `width` cells. */
export function progressBar(done: number, total: number, width: number): string {
  const x = total <= 0 ? 0 : Math.max(0, Math.min(1, done / total));
  const full = Math.round(x * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}
