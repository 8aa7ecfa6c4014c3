import { isAbsolute, join } from 'node:path';
import { trialPaths } from '../session/layout.js';
import { appliedConfig, grownConfig } from '../session/applied-config.js';
import { bestTrial, modelCheckpoint, type SessionState, type SessionStatus, type TrialRecord } from '../session/state.js';
import { fitColumns, type ColumnDef } from '../ui/columns.js';
import { fitNumber, formatConfig, formatNumber, formatValue } from '../ui/format.js';
import { textWidth } from '../ui/text.js';
import { paramCell, shortNames } from '../ui/param-columns.js';
import { companion } from '../ui/table-layout.js';
import type { Config } from '../search/space.js';
import type { Json } from '../util/json.js';

/** Every value a trial ran with: the spec's fixed params and its searched config (DESIGN §7: config). */
export function fullConfig(state: SessionState, t: TrialRecord): Config {
  return { ...state.spec.trial.params, ...t.config };
}

/**
 * Where a trial's model is (modelCheckpoint: the checkpoint of its best report when kept, else its newest),
 * as a path that works from anywhere (the record's is relative to the trial folder).
 */
export function checkpointPath(sessionDir: string, t: TrialRecord): string | null {
  const c = modelCheckpoint(t);
  if (!c) return null;
  return isAbsolute(c.path) ? c.path : join(trialPaths(sessionDir, t.id).dir, c.path);
}

/**
 * `tune results --json` (DESIGN §7): stable fields, numbers exactly as reported. Given the session's
 * folder, `best_checkpoint` names the best trial's model by absolute path (the checkpoint of its best report
 * when tune kept it, else its newest), beside `best`
 * rather than in it: `best` stays equal between two runs of the same search, as the contract wants.
 */
export function resultsDocument(state: SessionState, status: SessionStatus, sessionDir?: string): Json {
  const best = bestTrial(state);
  const ckpt = best && sessionDir ? checkpointPath(sessionDir, best) : null;
  return {
    session: state.id,
    experiment: state.experiment,
    status,
    metric: state.spec.metric,
    mode: state.spec.mode,
    best: best && best.best ? { trial: best.id, value: best.best.value, iteration: best.best.iteration, config: fullConfig(state, best) } : null,
    ...(state.history?.length ? { history: state.history } : {}),
    ...(sessionDir ? { best_checkpoint: best && ckpt ? { trial: best.id, iteration: modelCheckpoint(best)?.iteration ?? null, path: ckpt } : null } : {}),
    trials: state.trials.map((t) => ({
      id: t.id,
      status: t.status,
      config: fullConfig(state, t),
      iteration: t.iteration,
      last: t.last,
      ...(t.status === 'running' && t.handle ? { handle: t.handle } : {}),
      best: t.best ? t.best.value : null,
      failures: t.failures,
      ...(t.place ? { rung: t.place } : {}),
      ...(t.error ? { error: t.error } : {}),
    })),
  } as unknown as Json;
}

/** The reported metrics: the spec's first, then the others in the order the trials first reported them. */
function metricNames(state: SessionState): string[] {
  const names = [state.spec.metric];
  for (const t of state.trials) for (const k of Object.keys(t.last ?? {})) if (!names.includes(k)) names.push(k);
  return names;
}

/** `words` after `label`, on as many lines as `width` needs, the later ones indented under the first word. */
function wrapWords(label: string, words: readonly string[], width: number): string[] {
  const indent = ' '.repeat(label.length);
  const lines: string[] = [];
  let line = label;
  for (const w of words) {
    if (line.length > label.length && line.length + 1 + w.length > width) {
      lines.push(line);
      line = indent + w;
    } else {
      line += (line.length > label.length ? ' ' : '') + w;
    }
  }
  return [...lines, line];
}

/** The terminal's width when printing to one; no limit for a file or a pipe. */
function outputWidth(): number {
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : Number.POSITIVE_INFINITY;
}

export interface ResultsTableOptions {
  /** Columns to fit (the least important go first): the terminal's width by default, no limit for a pipe. */
  readonly width?: number;
  /** The session's folder, to name the best trial's checkpoint by a usable path. */
  readonly sessionDir?: string;
}

/**
 * The results as text: one row per trial with its hyperparameters as searched (short names, three
 * significant digits; sizes as the trial's schedule grew them, marked *), its iterations and every
 * reported metric, fitted to the width like the live table; then the best trial, its whole config, what
 * its schedule changed and its checkpoint.
 */
export function resultsTable(state: SessionState, opts: ResultsTableOptions = {}): string {
  const width = opts.width ?? outputWidth();
  const m = state.spec.metric;
  const keys = Object.keys(state.spec.search_space);
  const titles = shortNames(keys);
  const metrics = metricNames(state);
  const rows = state.trials.map((t) => {
    const applied = appliedConfig(fullConfig(state, t), t.schedule);
    const grown = new Set(applied.changes.filter((c) => c.growth).map((c) => c.key));
    const cells: Record<string, string> = { id: t.id, status: t.status, iter: String(t.iteration), best: t.best ? fitNumber(t.best.value, 7, 3) : '-', rung: t.place ?? '' };
    const shown = grownConfig(t.config, applied.changes);
    for (const k of keys) cells[`p:${k}`] = paramCell(shown[k], 9) + (grown.has(k) ? '*' : '');
    for (const name of metrics) {
      const v = t.last?.[name];
      cells[`m:${name}`] = v === undefined ? '-' : v === null ? 'nan' : fitNumber(v, 7, 3);
    }
    return { cells, grown: grown.size > 0 };
  });
  const w = (key: string, title: string) => Math.max(textWidth(title), ...rows.map((r) => textWidth(r.cells[key] ?? '')));
  const metricDef = (name: string, cuts: number[]): ColumnDef => ({ key: `m:${name}`, title: name, align: 'right', sizes: [w(`m:${name}`, name)], cuts });
  const others = metrics.slice(1);
  const inFamily = (n: string) => companion(n, m);
  const defs: ColumnDef[] = [
    { key: 'id', title: 'trial', align: 'left', sizes: [w('id', 'trial')], cuts: [] },
    { key: 'status', title: 'status', align: 'left', sizes: [w('status', 'status')], cuts: [80] },
    ...keys.map((k, i): ColumnDef => ({ key: `p:${k}`, title: titles.get(k) as string, align: 'right', sizes: [w(`p:${k}`, titles.get(k) as string)], cuts: [50 - i / 100] })),
    { key: 'iter', title: 'iter', align: 'right', sizes: [w('iter', 'iter')], cuts: [] },
    metricDef(m, []),
    { key: 'best', title: 'best', align: 'right', sizes: [w('best', 'best')], cuts: [70] },
    ...others.filter(inFamily).map((n, i) => metricDef(n, [60 - i / 100])),
    ...others.filter((n) => !inFamily(n)).map((n, i) => metricDef(n, [10 - i / 100])),
    ...(state.trials.some((t) => t.place) ? [{ key: 'rung', title: 'rung', align: 'left', sizes: [w('rung', 'rung')], cuts: [40] } as ColumnDef] : []),
  ];
  const cols = fitColumns(defs, width);
  const line = (text: (key: string, title: string) => string) =>
    cols.map((c) => {
      const t = text(c.def.key, c.def.title);
      const fill = ' '.repeat(Math.max(0, c.width - textWidth(t)));
      return c.def.align === 'right' ? fill + t : t + fill;
    }).join('  ').trimEnd();
  const lines = [line((_, title) => title), ...rows.map((r) => line((key) => r.cells[key] ?? ''))];
  const hidden = defs.filter((d) => !cols.some((c) => c.def === d)).map((d) => d.title);
  if (hidden.length) lines.push(`(not shown at this width: ${hidden.join(', ')}; --json has all)`);
  if (rows.some((r) => r.grown)) lines.push('* the size the trial grew to (widen_mlp, stack_layers)');

  const best = bestTrial(state);
  if (best?.best) {
    lines.push('', `best: trial ${best.id}, ${m} ${formatNumber(best.best.value)} at iteration ${best.best.iteration}`);
    lines.push(...wrapWords('  config: ', formatConfig(fullConfig(state, best)).split(' '), width));
    const changed = appliedConfig(fullConfig(state, best), best.schedule).changes;
    if (changed.length) lines.push(...wrapWords('  after its schedule: ', changed.map((c) => `${c.key}=${formatValue(c.to)}`), width));
    if (opts.sessionDir) {
      const path = checkpointPath(opts.sessionDir, best);
      // Its weights are those of where the checkpoint was taken, which is not always where the best report was.
      const at = modelCheckpoint(best)?.iteration;
      const ended = best.status === 'completed' || best.status === 'stopped';
      const label = at === best.best.iteration ? '' : ended && at === best.iteration ? ` (final, iteration ${at})` : ` (iteration ${at})`;
      lines.push(path ? `  checkpoint${label}: ${path}` : '  checkpoint: none saved');
    }
  }
  // What resumes changed (--num-trials, --max-iters, --concurrency): the results are read against them.
  for (const h of state.history ?? []) lines.push(`changed on resume ${h.at.slice(0, 16).replace('T', ' ')} UTC: ${h.change}`);
  if (state.status === 'paused' && state.pauseReason) lines.push(`paused because: ${state.pauseReason}`);
  return lines.join('\n');
}
