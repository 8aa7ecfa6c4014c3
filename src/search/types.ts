import type { Json } from '../util/json.js';
import type { Config } from './space.js';

/** Reported metrics; null stands for a value that is not a finite number (a diverged loss: NaN, ±Infinity). */
export type Metrics = Record<string, number | null>;

/**
 * Proposes configurations. `suggest` returns a config, 'finished' when there will be no more, or null for
 * "not now" (a model-based searcher waiting for results). Its whole state round-trips through JSON.
 */
export interface Searcher {
  suggest(trialIndex: number): Config | 'finished' | null;
  onResult?(trialIndex: number, iteration: number, metrics: Metrics): void;
  onComplete?(trialIndex: number, metrics: Metrics | null): void;
  getState(): Json;
  setState(state: Json): void;
}

export type Decision = 'continue' | 'stop' | 'pause';

/** Decides from reported results whether a running trial goes on. Never calls the searcher. */
export interface Scheduler {
  onResult(trialId: string, iteration: number, metrics: Metrics): Decision;
  getState(): Json;
  setState(state: Json): void;
}
