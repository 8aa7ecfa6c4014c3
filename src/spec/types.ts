import type { SearchSpace, ParamValue } from '../search/space.js';

/** How a trial is run: the built-in worker, or any program that speaks the trial protocol (DESIGN §4). */
export type TrialSpec = ({ builtin: 'mnist-mlp' | 'names-gpt' | 'spirals-mlp' } | { command: string[] }) & TrialCommon;

export interface TrialCommon {
  params: Record<string, ParamValue>;
  checkpoint_every: number;
  /** A scaling schedule file (relative to the spec's folder), or null. */
  schedule: string | null;
  /** scratch: every trial starts with no operation completed; resume: keep the file's completed flags. */
  init_from: 'scratch' | 'resume';
  /** The reported metric the schedule's trigger_loss is compared with. */
  schedule_metric: string;
}

/** A validated experiment spec, every default filled in. Paths are as written; `baseDir` resolves them. */
export interface Spec {
  name: string;
  trial: TrialSpec;
  search_space: SearchSpace;
  searcher: 'random' | 'grid';
  scheduler: 'fifo';
  metric: string;
  mode: 'min' | 'max';
  num_trials: number;
  max_iters: number;
  eval_interval: number;
  concurrency: number;
  seed: number;
  sessions_root: string;
  max_failures: number;
}

/** Where a spec came from: the folder its relative paths are resolved against (DESIGN §7). */
export interface SpecSource {
  /** Absolute path of the spec file, or null for the built-in default. */
  file: string | null;
  baseDir: string;
}
