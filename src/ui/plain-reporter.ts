import { describeHandle } from '../trial/protocol.js';
import type { SessionStore } from '../session/store.js';
import { bestTrial, type SessionEvent, type SessionState } from '../session/state.js';
import { formatConfig, formatNumber } from './format.js';

const PROGRESS_EVERY_MS = 5000;

/**
 * Progress for logs and pipes: one line when something changes state (a trial starts, finishes, fails,
 * pauses) and a short progress line every few seconds while reports arrive — changes, not noise.
 */
export class PlainReporter {
  private timer: NodeJS.Timeout | null = null;
  private reportsSinceProgress = 0;

  constructor(private readonly store: SessionStore, private readonly write: (line: string) => void) {
    store.onEvent((ev) => this.onEvent(ev));
    this.timer = setInterval(() => this.progress(), PROGRESS_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private get state(): SessionState {
    return this.store.state;
  }

  private metricText(metrics: Record<string, number | null> | null): string {
    const m = this.state.spec.metric;
    const v = metrics?.[m];
    return typeof v === 'number' ? `${m}=${formatNumber(v)}` : `${m}=-`;
  }

  private onEvent(ev: SessionEvent): void {
    const s = this.state;
    const t = 'id' in ev ? s.trials.find((x) => x.id === ev.id) : undefined;
    switch (ev.type) {
      case 'trial_started':
        if (!t) return;
        this.write(ev.fromIteration === null
          ? `[${t.id}] started     ${formatConfig(t.config)}`
          : `[${t.id}] resumed     from iteration ${ev.fromIteration}/${s.spec.max_iters}`);
        break;
      case 'report':
        this.reportsSinceProgress++;
        break;
      case 'trial_completed':
      case 'trial_stopped':
        if (!t) return;
        this.write(`[${t.id}] ${ev.type === 'trial_completed' ? 'completed' : 'stopped  '}   iteration ${ev.iteration}  ${this.metricText(t.last)}  best ${t.best ? formatNumber(t.best.value) : '-'}${t.place ? `  rung ${t.place}` : ''}`);
        break;
      case 'trial_paused':
        if (!t) return;
        this.write(t.status === 'waiting'
          ? `[${t.id}] waiting     at iteration ${ev.iteration}${t.place ? ` (rung ${t.place})` : ''} until promoted or stopped`
          : `[${t.id}] paused      at iteration ${ev.iteration}`);
        break;
      case 'checkpoint_fallback':
        if (!t) return;
        this.write(`[${t.id}] fallback    ${ev.reason}`);
        break;
      case 'trial_promoted':
        if (!t) return;
        this.write(`[${t.id}] promoted    from iteration ${t.iteration}${t.place ? ` (rung ${t.place})` : ''}`);
        break;
      case 'trial_interrupted':
        if (!t) return;
        this.write(`[${t.id}] ${ev.reason ? 'stopped ' : 'killed  '}    ${ev.reason ? `${ev.reason}; ` : ''}resumes from ${t.checkpoint ? `iteration ${t.checkpoint.iteration}` : 'the start'}`);
        break;
      case 'trial_placed':
        if (t) this.write(`[${t.id}] placed      ${describeHandle(ev.handle)}`);
        break;
      case 'trial_held':
        if (t) this.write(`[${t.id}] held        pauses at its next boundary and stays paused until released`);
        break;
      case 'trial_released':
        if (t) this.write(`[${t.id}] released    may run again`);
        break;
      case 'trial_reopened':
        if (t) this.write(`[${t.id}] reopened    ${ev.because === 'retry' ? 'retried after failing' : `continues to iteration ${s.spec.max_iters}`}, from ${t.checkpoint ? `iteration ${t.checkpoint.iteration}` : 'the start'}`);
        break;
      case 'request_handled':
        this.write(`request     tune ${ev.verb}${ev.trials.length ? ` ${ev.trials.join(' ')}` : ''}: ${ev.outcome}`);
        break;
      case 'trial_failed':
        if (!t) return;
        this.write(`[${t.id}] failed      (${t.streak}/${s.spec.max_failures + 1} in a row) ${ev.error}${ev.final ? '' : `; restarting from ${t.checkpoint ? `iteration ${t.checkpoint.iteration}` : 'the start'}`}`);
        break;
      case 'pause_requested': {
        const running = s.trials.filter((x) => x.status === 'running').map((x) => x.id);
        this.write(`pause requested (${ev.reason}): ${running.length ? `waiting for ${running.join(', ')} to reach a validation boundary` : 'no trial is running'}`);
        break;
      }
      default:
        break;
    }
  }

  private progress(): void {
    if (this.reportsSinceProgress === 0) return;
    this.reportsSinceProgress = 0;
    this.write(progressLine(this.state));
  }
}

export function progressLine(s: SessionState): string {
  const count = (st: string) => s.trials.filter((t) => t.status === st).length;
  const done = count('completed') + count('stopped');
  const running = s.trials.filter((t) => t.status === 'running').map((t) => `${t.id} ${t.iteration}/${s.spec.max_iters}`);
  const best = bestTrial(s);
  const waiting = count('waiting');
  return `progress: ${done}/${s.spec.num_trials} done, ${running.length} running${waiting ? `, ${waiting} waiting` : ''}${running.length ? ` (${running.join(', ')})` : ''}` +
    (best?.best ? `, best ${best.id} ${s.spec.metric}=${formatNumber(best.best.value)}` : '');
}
