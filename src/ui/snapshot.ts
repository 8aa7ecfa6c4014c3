import type { Config } from '../search/space.js';
import type { Metrics } from '../search/types.js';
import type { AppliedChange } from '../session/applied-config.js';
import type { TrialStatus } from '../session/state.js';
import type { ParamColumn } from './param-columns.js';

/** What the terminal UI shows, as plain read-only data (DESIGN §5.5: the UI is a view). */
export interface TrialRow {
  readonly id: string;
  readonly status: TrialStatus;
  /** Running, but a pause was asked for: still on its way to a validation boundary. */
  readonly pausing: boolean;
  /** Paused on its own by the user (space) while the others run; it waits, paused, until let go. */
  readonly held: boolean;
  /** The searched values, as proposed. */
  readonly config: Config;
  /** Every value the trial runs with now: fixed params and searched ones, after the operations it applied. */
  readonly now: Config;
  /** What the applied operations changed (hidden 128 → 256 by widen_mlp). */
  readonly changes: readonly AppliedChange[];
  readonly iteration: number;
  readonly last: Metrics | null;
  readonly best: number | null;
  /** Every metric the trial reported at its best boundary, and which boundary that was. */
  readonly atBest: { readonly iteration: number; readonly metrics: Metrics } | null;
  readonly failures: number;
  readonly error: string | null;
  /** The metric at each recent validation boundary, oldest first. */
  readonly history: readonly number[];
  readonly schedule: ScheduleView | null;
  /** Where the scheduler has it: rung or bracket; null under FIFO. */
  readonly place: string | null;
  /** Where it runs, while it runs: "pid 4242", "job 17 on node07", "Slurm job (queued)". */
  readonly where?: string | null;
  /** Its Slurm job in the table's short form, while it runs as one: "17@node07", "queued". */
  readonly job?: string | null;
}

/** A trial's scaling schedule as shown: where it stands and every operation, fired or not. */
export interface ScheduleView {
  readonly done: number;
  readonly total: number;
  /** The next operation and what fires it: the loss below which, the iterations left before it fires anyway. */
  readonly next: { readonly name: string; readonly belowLoss: number | null; readonly inIters: number | null } | null;
  readonly ops: readonly {
    readonly name: string;
    readonly value: number;
    readonly desc: string;
    readonly when: string;
    readonly fired: { readonly iteration: number; readonly loss: number | null } | null;
  }[];
}

/** Trial counts in the words the pause message uses (drive.ts): done, paused, pending, not started. */
export interface TrialCounts {
  /** Completed or stopped early. */
  readonly done: number;
  readonly running: number;
  /** Paused (resumable), the held ones included. */
  readonly paused: number;
  /** Paused or pending that the user holds back. */
  readonly held: number;
  /** Created and not yet started. */
  readonly pending: number;
  /** Not yet proposed by the searcher. */
  readonly notStarted: number;
  readonly waiting: number;
  readonly failed: number;
}

export interface ViewSnapshot {
  readonly experiment: string;
  readonly strategy: string;
  readonly sessionDir: string;
  /** The session's total time: `before` ms in earlier runs, plus the time since `since` (this run's start). */
  readonly clock: { readonly before: number; readonly since: number };
  readonly metric: string;
  readonly mode: 'min' | 'max';
  readonly maxIters: number;
  readonly numTrials: number;
  /** The searched hyperparameters as columns, decided once from the search space. */
  readonly params: readonly ParamColumn[];
  /** The reported metrics: the spec's metric first, then the others in the order first seen. Never shrinks. */
  readonly metrics: readonly string[];
  /** Width of the rung column under a multi-fidelity scheduler, null under FIFO. */
  readonly rungWidth: number | null;
  /** Width of the job column when the session runs its trials on Slurm, else null. */
  readonly jobWidth?: number | null;
  /** The schedule column's preferred width ("1/3 · next change_lr"), or null when no trial follows a schedule. */
  readonly scheduleWidth: number | null;
  readonly counts: TrialCounts;
  readonly best: { readonly id: string; readonly value: number; readonly iteration: number; readonly metrics: Metrics | null; readonly config: Config } | null;
  /** The session's best value after each improvement, over all its runs, for the header's sparkline. */
  readonly bestHistory: readonly number[];
  readonly trials: readonly TrialRow[];
  readonly pausing: boolean;
  readonly quitting: boolean;
  /** tune view: the keys that change a run do nothing, and the footer says so. */
  readonly readOnly?: boolean;
  readonly pauseReason: string | null;
  /** The end of the followed trial's stdout.log (see SnapshotSource.followLog). */
  readonly log: { readonly id: string; readonly lines: readonly string[] } | null;
}

/** Commands the UI may send; only the orchestrator acts on them. */
export interface ViewCommands {
  pause(): void;
  /** Ctrl+C: the first pauses, the second quits (the same rule as SIGINT). */
  interrupt(): void;
  quit(): void;
  toggleTrialPause(id: string): void;
}
