import type { Json } from '../util/json.js';
import type { Config } from './space.js';

/** Reported metrics; null stands for a value that is not a finite number (a diverged loss: NaN, ±Infinity). */
export type Metrics = Record<string, number | null>;

/**
 * What the strategies optimise: the spec's metric turned into a loss (negated for `mode: max`), so that
 * every searcher and scheduler minimises. null: the trial did not report it, or it diverged (worst).
 */
export type Loss = number | null;

/**
 * How a trial ended (or, 'waiting', where it stands while it waits at a rung), as a searcher learns it:
 * its best loss so far and the iteration it reached.
 */
export interface TrialOutcome {
  status: 'completed' | 'stopped' | 'failed' | 'waiting';
  iteration: number;
  /** The best loss the trial reported (what tune ranks trials by), or null. */
  loss: Loss;
}

/**
 * Proposes configurations. `suggest` returns a config, 'finished' when there will be no more, or null for
 * "not now" (a model-based searcher waiting for results). Every hook is called exactly once per event by
 * the orchestrator, in journal order; the whole state round-trips through JSON (getState / setState), and
 * every random number comes from an RNG whose state is part of it.
 */
export interface Searcher {
  suggest(trialIndex: number): Config | 'finished' | null;
  /** One validation result of a trial: each (trial, iteration) reaches the searcher once. */
  onResult?(trialIndex: number, iteration: number, loss: Loss): void;
  /**
   * The scheduler made a trial wait at a rung: what it reached so far is all the searcher will hear of it
   * for a while, maybe for good (Optuna's TPE ranks such a trial as it ranks a pruned one). Called once per wait.
   */
  onWait?(trialIndex: number, outcome: TrialOutcome): void;
  /** A trial ended for good. */
  onComplete?(trialIndex: number, outcome: TrialOutcome): void;
  /**
   * A trial that ended runs again (a failed one under resume --retry-failed, a completed one under a larger
   * --max-iters): it counts as running until it ends again.
   */
  onReopen?(trialIndex: number): void;
  getState(): Json;
  setState(state: Json): void;
}

/** The answer to one result: go on, wait (paused at a rung until promoted or stopped), or stop for good. */
export type Decision = 'continue' | 'stop' | 'pause';

/** What the orchestrator tells a scheduler when it asks what a free slot should do. */
export interface ChooseContext {
  /** The searcher will propose no more trials (its budget is spent). */
  searcherFinished: boolean;
  /** Trials running now (not counting waiting ones). */
  running: number;
}

/**
 * A scheduler's choice for a free slot: resume a waiting trial (promote), end a waiting trial for good
 * (stop; the slot is still free afterwards), ask the searcher for a new trial, or nothing for now.
 */
export type Choice = { promote: number } | { stop: number } | 'new' | null;

/**
 * Decides from reported results whether a running trial goes on, and what runs when a slot frees.
 * Never calls the searcher: the orchestrator sits between them. Trials are known by their index.
 */
export interface Scheduler {
  /** A trial was created (a multi-fidelity scheduler assigns its bracket). */
  onTrialAdded?(trialIndex: number): void;
  /** One validation result; each (trial, iteration) reaches the scheduler once. 'pause' = wait at a rung. */
  onResult(trialIndex: number, iteration: number, loss: Loss): Decision;
  /**
   * What a free slot should do. Pure: calling it twice without committing gives the same answer; the
   * orchestrator commits a choice with `promote` or `stop`, or by creating a trial.
   */
  chooseNext(ctx: ChooseContext): Choice;
  /** Commit: the waiting trial runs again. */
  promote?(trialIndex: number): void;
  /** A trial ended for good (completed, stopped by a decision or a choice, or failed). */
  onTrialEnd?(trialIndex: number, status: 'completed' | 'stopped' | 'failed'): void;
  /** A trial that ended (failed, or completed under a budget since raised) runs again from its checkpoint. */
  onReopen?(trialIndex: number): void;
  /** Where a trial stands, for the view: "rung 2 (300 it)", "bracket 1 · rung 0", or null. */
  describe?(trialIndex: number): string | null;
  getState(): Json;
  setState(state: Json): void;
}
