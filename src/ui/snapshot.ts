import type { Config } from '../search/space.js';
import type { Metrics } from '../search/types.js';
import type { TrialStatus } from '../session/state.js';

/** What the terminal UI shows, as plain read-only data (DESIGN §5.5: the UI is a view). */
export interface TrialRow {
  readonly id: string;
  readonly status: TrialStatus;
  /** Running, but a pause was asked for: still on its way to a validation boundary. */
  readonly pausing: boolean;
  /** Paused on its own by the user while the others run. */
  readonly held: boolean;
  readonly config: Config;
  readonly iteration: number;
  readonly last: Metrics | null;
  readonly best: number | null;
  readonly failures: number;
  readonly error: string | null;
  /** The metric at each recent validation boundary, oldest first. */
  readonly history: readonly number[];
  readonly schedule: ScheduleView | null;
  /** Where the scheduler has it: rung or bracket; null under FIFO. */
  readonly place: string | null;
}

/** A trial's scaling schedule as shown: one line of progress and every operation, fired or not. */
export interface ScheduleView {
  /** e.g. "2/5 · next change_lr at loss < 2.5 or +120 it" */
  readonly progress: string;
  readonly ops: readonly {
    readonly name: string;
    readonly value: number;
    readonly desc: string;
    readonly when: string;
    readonly fired: { readonly iteration: number; readonly loss: number | null } | null;
  }[];
}

export interface ViewSnapshot {
  readonly experiment: string;
  readonly strategy: string;
  readonly sessionDir: string;
  readonly startedAt: number;
  readonly metric: string;
  readonly mode: 'min' | 'max';
  readonly maxIters: number;
  readonly numTrials: number;
  readonly params: readonly string[];
  readonly counts: { readonly done: number; readonly running: number; readonly pending: number; readonly paused: number; readonly waiting: number; readonly failed: number };
  readonly best: { readonly id: string; readonly value: number; readonly config: Config } | null;
  /** The best value so far, sampled at each improvement, for the header's sparkline. */
  readonly bestHistory: readonly number[];
  readonly trials: readonly TrialRow[];
  readonly pausing: boolean;
  readonly quitting: boolean;
  readonly pauseReason: string | null;
}

/** Commands the UI may send; only the orchestrator acts on them. */
export interface ViewCommands {
  pause(): void;
  /** Ctrl+C: the first pauses, the second quits (the same rule as SIGINT). */
  interrupt(): void;
  quit(): void;
  toggleTrialPause(id: string): void;
  logTail(id: string, lines: number): string[];
}
