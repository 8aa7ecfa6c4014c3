import { copyFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, extname, resolve } from 'node:path';
import { BadInputError } from '../../errors.js';
import { loadScheduleFile } from '../../schedule/schedule-file.js';
import type { ParamValue } from '../../search/space.js';
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
}

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
    raw = { name: 'train', trial: { builtin: 'mnist-mlp' }, max_iters: 1500, eval_interval: 100 };
  }
  const label = opts.spec ?? '<tune train defaults>';
  const space = raw.search_space;
  if (isPlainObject(space) && Object.keys(space).length > 0) {
    throw new BadInputError(`${label}: search_space: tune train runs one configuration; give fixed values in trial.params or with --set KEY=VALUE (or run the search with tune run)`);
  }
  const trial: Record<string, unknown> = isPlainObject(raw.trial) ? { ...raw.trial } : { builtin: 'mnist-mlp' };
  const params = isPlainObject(trial.params) ? { ...trial.params } : {};
  for (const [k, v] of Object.entries(opts.set)) params[k] = parseValue(v);
  trial.params = params;
  // A schedule named on the command line is relative to where tune runs; one in the spec, to the spec.
  let scheduleFile: string | null = null;
  if (opts.schedule) scheduleFile = resolve(ctx.cwd, opts.schedule);
  else if (typeof trial.schedule === 'string') scheduleFile = resolve(baseDir, trial.schedule);
  if (scheduleFile) trial.schedule = scheduleFile;
  if (opts.initFrom) trial.init_from = opts.initFrom;
  const single = { ...raw, trial, search_space: {}, searcher: 'grid', num_trials: 1, concurrency: 1 };
  const defaultName = file ? basename(file, extname(file)) : 'train';
  const spec = validateSpec(single, label, lines, defaultName);
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
    beforeCreate: () => {
      if (scheduleFile && !opts.noBackup) copyFileSync(scheduleFile, `${scheduleFile}.bak`);
    },
  }, ctx);
}
