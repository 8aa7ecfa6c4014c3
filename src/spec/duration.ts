/**
 * A wall-clock duration as people write it in a spec: `2h`, `30m`, `90s`, `1h30m`, `1d`, or a number of
 * seconds. Returns seconds, or null when the text is not one.
 */
export function parseDuration(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v : null;
  if (typeof v !== 'string') return null;
  const text = v.trim();
  if (!/^(\d+(\.\d+)?[dhms])+$/.test(text)) return null;
  const unit: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };
  let seconds = 0;
  const seen = new Set<string>();
  for (const [, n, u] of text.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) {
    if (seen.has(u)) return null; // "1h2h" is a typo, not three hours
    seen.add(u);
    seconds += Number(n) * unit[u];
  }
  return seconds > 0 ? seconds : null;
}

/** "1h30m", "90s": how tune writes a duration back. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const parts: string[] = [];
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (r || parts.length === 0) parts.push(`${r}s`);
  return parts.join('');
}
