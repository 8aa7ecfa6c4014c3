import { copyFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, extname, resolve } from 'node:path';
import { BadInputError } from '../../errors.js';
import { loadScheduleFile } from '../../schedule/schedule-file.js';
import type { ParamValue } from '../../search/space.js';
import type { LauncherType } from '../../spec/types.js';
import { readDocument } from '../../spec/read-document.js';
import { validateSpec } from '../../spec/validate.js';
import { isPlainObject } from '../../util/json.js';
import type { CliContext } from '../context.js';
import { startSession } from './run.js';

export interface TrainOptions {
  spec: string | null;
  schedule: string | null;
  initFrom: 'scratch' | 'resume' | null;
  set: Record<string, string>;
  sessionsRoot: string | null;
  noBackup: boolean;
  /** --launcher: train here, or as a Slurm job, whatever the spec says. */
  launcher: LauncherType | null;
}

/**
 * Spec fields that `--set` sets for a single run, rather than a hyperparameter: how long it trains and how
 * often it is evaluated, its seed, name, metric. With no spec there is no other way to say how long to
 * train, and no built-in has a hyperparameter by any of these names, so `--set max_iters=300` can only
 * mean the run's length; the value is checked like the spec field, and errors name the --set.
 */
const RUN_FIELDS = ['max_iters', 'eval_interval', 'seed', 'max_failures', 'name', 'metric', 'mode'];

/** Spec and trial fields that `--set` cannot change for `tune train`, and what to do instead. */
const NOT_SETTABLE: Readonly<Record<string, string>> = {
  search_space: 'tune train runs one configuration; set each hyperparameter with --set KEY=VALUE, or search with tune SPEC',
  searcher: 'tune train runs one configuration, without a searcher; search with tune SPEC',
  scheduler: 'tune train runs one trial to the end, without a scheduler; search with tune SPEC',
  num_trials: 'tune train runs one trial; search with tune SPEC',
  concurrency: 'tune train runs one trial',
  sessions_root: 'where sessions go is set with --sessions-root DIR',
  trial: 'the trial is written in a spec file (trial: {builtin: ...} or {command: [...]})',
  builtin: 'the trial is written in a spec file (trial: {builtin: ...})',
  command: 'the trial is written in a spec file (trial: {command: [...]})',
  params: 'give each hyperparameter as --set KEY=VALUE',
  schedule: 'the schedule is given with --schedule FILE',
  init_from: 'use --init-from scratch|resume',
  checkpoint_every: 'checkpoint_every is a field of trial:, not a hyperparameter; set it in a spec file',
  timeout: 'timeout is a field of trial:, not a hyperparameter; set it in a spec file',
  schedule_metric: 'schedule_metric is a field of trial:, not a hyperparameter; set it in a spec file',
};

/** `--set lr=0.05 opt=adam on=true`: numbers and booleans as such, anything else as text. */
function parseValue(v: string): ParamValue {
  if (v === 'true' || v === 'false') return v === 'true';
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

/**
 * `tune train`: one training run, no search, with the same UI, pause and resume. With a schedule file it
 * writes each operation's completed flag back to that file as it fires (after keeping FILE.bak), as the
 * original training tool did; a resumed run keeps doing so.
 */
export async function trainCommand(opts: TrainOptions, ctx: CliContext): Promise<number> {
  let raw: Record<string, unknown>;
  let baseDir = ctx.cwd;
  let file: string | null = null;
  let lines = new Map<string, number>();
  let text = '';
  if (opts.spec) {
    file = resolve(ctx.cwd, opts.spec);
    const doc = readDocument(file, 'experiment spec');
    if (!isPlainObject(doc.data)) throw new BadInputError(`${opts.spec}: the spec must be a mapping of fields`);
    raw = { ...doc.data };
    baseDir = dirname(file);
    lines = doc.lines;
    text = doc.text;
  } else {
    raw = { name: 'train', trial: { builtin: 'mnist-mlp' }, max_iters: 1500 };
  }
  const label = opts.spec ?? '<tune train defaults>';
  const space = raw.search_space;
  if (isPlainObject(space) && Object.keys(space).length > 0) {
    throw new BadInputError(`${label}: search_space: tune train runs one configuration; give fixed values in trial.params or with --set KEY=VALUE (or run the search with tune run)`);
  }
  const trial: Record<string, unknown> = isPlainObject(raw.trial) ? { ...raw.trial } : { builtin: 'mnist-mlp' };
  const params = isPlainObject(trial.params) ? { ...trial.params } : {};
  // Where each --set value goes, so that a problem with it names the --set, not a line of the spec.
  const origins = new Map<string, string>();
  const refused: string[] = [];
  for (const [k, v] of Object.entries(opts.set)) {
    const where = `--set ${k}=${v}`;
    if (k in NOT_SETTABLE) refused.push(`${where}: ${NOT_SETTABLE[k]}`);
    else if (RUN_FIELDS.includes(k)) {
      raw[k] = parseValue(v);
      origins.set(k, where);
    } else {
      params[k] = parseValue(v);
      origins.set(`trial.params.${k}`, where);
    }
  }
  if (refused.length > 0) throw new BadInputError(refused);
  // With no spec, evaluate every 100 iterations, or once at the end of a shorter run.
  if (!opts.spec && raw.eval_interval === undefined) {
    const n = raw.max_iters;
    raw.eval_interval = typeof n === 'number' && Number.isInteger(n) && n >= 1 ? Math.min(100, n) : 100;
  }
  trial.params = params;
  // A schedule named on the command line is relative to where tune runs; one in the spec, to the spec.
  let scheduleFile: string | null = null;
  if (opts.schedule) scheduleFile = resolve(ctx.cwd, opts.schedule);
  else if (typeof trial.schedule === 'string') scheduleFile = resolve(baseDir, trial.schedule);
  if (scheduleFile) trial.schedule = scheduleFile;
  if (opts.initFrom) trial.init_from = opts.initFrom;
  const single = { ...raw, trial, search_space: {}, searcher: 'grid', num_trials: 1, concurrency: 1 };
  const defaultName = file ? basename(file, extname(file)) : 'train';
  const spec = validateSpec(single, label, lines, defaultName, origins);
  if (scheduleFile) loadScheduleFile(scheduleFile); // checked now, before anything is written
  const loaded = {
    spec,
    source: { file, baseDir },
    raw: single,
    hash: createHash('sha256').update(text || JSON.stringify(single)).digest('hex'),
  };
  return startSession(loaded, label, {
    sessionsRoot: opts.sessionsRoot,
    scheduleWriteBack: scheduleFile,
    singleRun: true,
    launcher: opts.launcher,
    beforeCreate: () => {
      if (scheduleFile && !opts.noBackup) copyFileSync(scheduleFile, `${scheduleFile}.bak`);
    },
  }, ctx);
}
