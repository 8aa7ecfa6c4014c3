import { bestTrial, type SessionState, type SessionStatus } from '../session/state.js';
import { formatConfig, formatNumber, formatValue, table, formatMetric } from '../ui/format.js';
import type { Json } from '../util/json.js';

/** `tune results --json` (DESIGN §7): stable fields, numbers exactly as reported. */
export function resultsDocument(state: SessionState, status: SessionStatus): Json {
  const best = bestTrial(state);
  return {
    session: state.id,
    experiment: state.experiment,
    status,
    metric: state.spec.metric,
    mode: state.spec.mode,
    best: best && best.best ? { trial: best.id, value: best.best.value, iteration: best.best.iteration, config: best.config } : null,
    trials: state.trials.map((t) => ({
      id: t.id,
      status: t.status,
      config: t.config,
      iteration: t.iteration,
      last: t.last,
      best: t.best ? t.best.value : null,
      failures: t.failures,
      ...(t.place ? { rung: t.place } : {}),
      ...(t.error ? { error: t.error } : {}),
    })),
  } as unknown as Json;
}

export function resultsTable(state: SessionState): string {
  const keys = Object.keys(state.spec.search_space);
  const m = state.spec.metric;
  const rungs = state.trials.some((t) => t.place);
  const header = ['trial', 'status', ...keys, 'iter', `last ${m}`, `best ${m}`, ...(rungs ? ['rung'] : [])];
  const rows = state.trials.map((t) => [
    t.id, t.status, ...keys.map((k) => formatValue(t.config[k])), String(t.iteration),
    formatMetric(t.last?.[m]), t.best ? formatNumber(t.best.value) : '-', ...(rungs ? [t.place ?? ''] : []),
  ]);
  const numeric = header.map((h, i) => i >= 2 && h !== 'rung');
  const best = bestTrial(state);
  const lines = [table(header, rows, numeric)];
  if (best?.best) lines.push('', `best: trial ${best.id}  ${m}=${formatNumber(best.best.value)} (iteration ${best.best.iteration})  ${formatConfig(best.config)}`);
  return lines.join('\n');
}
