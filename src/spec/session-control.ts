/**
 * The spec's session-control fields: when a search pauses by itself (pause_after, pause_when), how long a
 * pause may wait for a trial to reach its boundary (pause_timeout), and what runs once it has paused
 * (on_pause). Checked like every other field: one line each, naming the field and the fix.
 */
import { isPlainObject } from '../util/json.js';
import { parseDuration } from './duration.js';
import type { Problems } from './problems.js';

/** Pause once the best value so far of `metric` is below (or above) the number; stored as written. */
export type PauseWhen = { metric: string; below: number } | { metric: string; above: number };

export function pauseWhenSide(w: PauseWhen): { side: 'below' | 'above'; value: number } {
  return 'below' in w ? { side: 'below', value: w.below } : { side: 'above', value: w.above };
}

export interface SessionControl {
  /** Seconds of wall-clock time a run may take before the session pauses; counted afresh on every resume. */
  pause_after: number | null;
  pause_when: PauseWhen | null;
  /** Seconds a trial may take to reach its boundary once a pause was asked for; then it is stopped. */
  pause_timeout: number | null;
  /** Run once the session has paused and is written: argv, no shell unless it names one. */
  on_pause: string[] | null;
}

export const CONTROL_KEYS = ['pause_after', 'pause_when', 'pause_timeout', 'on_pause'] as const;

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

export function checkSessionControl(p: Problems, raw: Record<string, unknown>): SessionControl {
  const out: SessionControl = { pause_after: null, pause_when: null, pause_timeout: null, on_pause: null };
  const duration = (key: 'pause_after' | 'pause_timeout', example: string): number | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    const s = parseDuration(v);
    if (s === null) p.add(key, `is ${show(v)}, but must be a duration such as ${example} (d, h, m, s) or a number of seconds`);
    return s;
  };
  out.pause_after = duration('pause_after', '2h, 30m, 90s or 1h30m');
  out.pause_timeout = duration('pause_timeout', '10m or 300s');

  const w = raw.pause_when;
  if (w !== undefined && w !== null) {
    if (!isPlainObject(w)) {
      p.add('pause_when', `is ${show(w)}, but must be a mapping such as {metric: val_loss, below: 0.05}`);
    } else {
      for (const k of Object.keys(w)) if (!['metric', 'below', 'above'].includes(k)) p.add(`pause_when.${k}`, 'is not a field of pause_when; it takes metric and one of below or above');
      const sides = (['below', 'above'] as const).filter((k) => w[k] !== undefined);
      if (typeof w.metric !== 'string' || w.metric === '') p.add('pause_when.metric', `is ${show(w.metric)}, but must name a reported metric, e.g. val_loss`);
      else if (sides.length !== 1) p.add('pause_when', 'needs exactly one of below or above, e.g. {metric: val_loss, below: 0.05}');
      else if (typeof w[sides[0]] !== 'number' || !Number.isFinite(w[sides[0]])) p.add(`pause_when.${sides[0]}`, `is ${show(w[sides[0]])}, but must be a number`);
      else out.pause_when = sides[0] === 'below' ? { metric: w.metric, below: w.below as number } : { metric: w.metric, above: w.above as number };
    }
  }

  const h = raw.on_pause;
  if (h !== undefined && h !== null) {
    if (!Array.isArray(h) || h.length === 0 || !h.every((a) => typeof a === 'string' && a !== '')) {
      p.add('on_pause', `is ${show(h)}, but must be a command as a list of words, e.g. [mail, -s, paused, me@example.org]; for a shell, [sh, -c, "…"]`);
    } else {
      out.on_pause = h as string[];
    }
  }
  return out;
}
