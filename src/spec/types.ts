import type { SessionControl } from './session-control.js';
import type { SearchSpace, ParamValue } from '../search/space.js';
import type { Builtin } from './builtins.js';

/** How a trial is run: the built-in worker, or any program that speaks the trial protocol (DESIGN §4). */
export type TrialSpec = ({ builtin: Builtin } | { command: string[] }) & TrialCommon;

export interface TrialCommon {
  params: Record<string, ParamValue>;
  checkpoint_every: number;
  /** Seconds a running trial may go without a message before it is taken as hung, killed and restarted; null: never. */
  timeout: number | null;
  /** A scaling schedule file (relative to the spec's folder), or null. */
  schedule: string | null;
  /** scratch: every trial starts with no operation completed; resume: keep the file's completed flags. */
  init_from: 'scratch' | 'resume';
  /** The reported metric the schedule's trigger_loss is compared with. */
  schedule_metric: string;
}

/** A validated experiment spec, every default filled in. Paths are as written; `baseDir` resolves them. */
export interface Spec extends SessionControl {
  name: string;
  trial: TrialSpec;
  search_space: SearchSpace;
  searcher: SearcherSpec;
  scheduler: SchedulerSpec;
  metric: string;
  mode: 'min' | 'max';
  num_trials: number;
  max_iters: number;
  eval_interval: number;
  concurrency: number;
  seed: number;
  sessions_root: string;
  max_failures: number;
  /** Where trials run: local processes, or one Slurm job each. */
  launcher: LauncherSpec;
}

export type LauncherType = 'local' | 'slurm';

/** What each trial's Slurm job asks for; null: the cluster's default. */
export interface SlurmOptions {
  partition: string | null;
  /** Slurm's time format: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
  time: string | null;
  /** Generic resources, as srun --gres takes them: gpu:1, gpu:a100:2. */
  gres: string | null;
  cpus_per_task: number | null;
  /** As srun --mem takes it: 4G, 500M, or a number of megabytes. */
  mem: string | null;
  account: string | null;
  /** Further srun options, passed as they are. */
  extra_args: string[];
}

export type LauncherSpec = { type: 'local' } | ({ type: 'slurm' } & SlurmOptions);

/** Where a spec came from: the folder its relative paths are resolved against (DESIGN §7). */
export interface SpecSource {
  /** Absolute path of the spec file, or null for the built-in default. */
  file: string | null;
  baseDir: string;
}

/** Optuna's TPE options (optuna/samplers/_tpe), with its defaults filled in by the spec's validation. */
export interface TpeOptions {
  n_startup_trials: number;
  n_ei_candidates: number;
  multivariate: boolean;
  /** Trials still running count as the worst result, so concurrent trials are not proposed the same point. */
  constant_liar: boolean;
  prior_weight: number;
  consider_magic_clip: boolean;
  consider_endpoints: boolean;
}

/** HpBandSter's BOHB model options (hpbandster/optimizers/config_generators/bohb.py). */
export interface BohbOptions {
  /** Observations a budget needs before it gets a model; null: the number of dimensions + 1. */
  min_points_in_model: number | null;
  top_n_percent: number;
  num_samples: number;
  random_fraction: number;
  bandwidth_factor: number;
  min_bandwidth: number;
}

export type SearcherSpec =
  | { type: 'random' }
  | { type: 'grid' }
  | ({ type: 'tpe' } & TpeOptions)
  | ({ type: 'bohb' } & BohbOptions);

/** Budgets are in iterations; a rung is taken at the first validation boundary at or past its budget. */
export interface RungOptions {
  grace_period: number;
  reduction_factor: number;
  max_t: number;
}

export type SchedulerSpec =
  | { type: 'fifo' }
  | ({ type: 'asha'; variant: 'promotion' | 'stopping' } & RungOptions)
  | ({ type: 'hyperband' } & RungOptions);
