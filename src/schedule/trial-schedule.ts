import { join, resolve } from 'node:path';
import { BadInputError } from '../errors.js';
import type { Config } from '../search/space.js';
import { SCHEDULE_FIELD_KEY } from '../spec/validate.js';
import type { Spec } from '../spec/types.js';
import { loadScheduleFile, parseSchedule, type ScheduleFile } from './schedule-file.js';
import { initialScheduleState, type Operation, type ScheduleState } from './types.js';

/** A schedule file's content as the session keeps it, so a resume never re-reads the file. */
export interface StoredSchedule {
  format: 'yaml' | 'json';
  indent: number;
  raw: Record<string, unknown>[];
}

/** One trial's own schedule: its operations (searched fields applied) and where it stands in them. */
export interface TrialSchedule extends StoredSchedule {
  /** The trial's copy, inside its directory: schedule.yaml or schedule.json. */
  file: string;
  ops: Operation[];
  state: ScheduleState;
  /** The state it started from, for a restart before its first checkpoint. */
  initial: ScheduleState;
}

/** Every schedule file the spec names (in trial.schedule or as a searched choice), loaded and checked now. */
export function loadSpecSchedules(spec: Spec, baseDir: string, specLabel: string): Record<string, StoredSchedule> {
  const files = new Set<string>();
  if (spec.trial.schedule) files.add(spec.trial.schedule);
  const choice = spec.search_space.schedule;
  if (choice && (choice.type === 'choice' || choice.type === 'grid')) for (const v of choice.values) files.add(String(v));
  const out: Record<string, StoredSchedule> = {};
  const problems: string[] = [];
  const loaded: ScheduleFile[] = [];
  for (const f of files) {
    try {
      const sf = loadScheduleFile(resolve(baseDir, f), 'resume');
      out[f] = { format: sf.format, indent: sf.indent, raw: sf.raw };
      loaded.push(sf);
    } catch (err) {
      if (err instanceof BadInputError) problems.push(...err.problems);
      else throw err;
    }
  }
  if ('builtin' in spec.trial && spec.trial.builtin === 'spirals-mlp') {
    // The built-in MLP's layers are not residual: it can widen, but not stack, without changing the function.
    for (const sf of loaded) {
      sf.ops.forEach((op, i) => {
        if (op.name === 'stack_layers') problems.push(`${sf.file}: operation ${i} (stack_layers): the built-in spirals-mlp trial cannot stack layers function-preservingly (its layers are not residual); use widen_mlp, or the mnist-mlp or names-gpt trial`);
      });
    }
  }
  for (const key of Object.keys(spec.search_space)) {
    const m = SCHEDULE_FIELD_KEY.exec(key);
    if (!m) continue;
    if (files.size === 0) problems.push(`${specLabel}: search_space.${key}: changes the trial's schedule, but the spec names none; add trial.schedule: <file>`);
    for (const sf of loaded) {
      if (Number(m[1]) >= sf.ops.length) problems.push(`${specLabel}: search_space.${key}: ${sf.file} has ${sf.ops.length} operations, so there is no operation ${m[1]}`);
    }
  }
  if (problems.length) throw new BadInputError(problems);
  return out;
}

/** The schedule of a new trial: its file (from the spec or its config), searched fields applied, init_from honoured. */
export function trialScheduleFor(spec: Spec, stored: Record<string, StoredSchedule>, config: Config): TrialSchedule | null {
  const source = typeof config.schedule === 'string' ? config.schedule : spec.trial.schedule;
  if (!source) return null;
  const base = stored[source];
  if (!base) throw new Error(`schedule ${source} is not in the session`);
  const raw = base.raw.map((r) => ({ ...r }));
  for (const [key, value] of Object.entries(config)) {
    const m = SCHEDULE_FIELD_KEY.exec(key);
    if (m && raw[Number(m[1])]) raw[Number(m[1])][m[2]] = value;
  }
  const { ops } = parseSchedule(raw, `schedule ${source}`, new Map());
  if (spec.trial.init_from === 'scratch') for (const op of ops) op.completed = false;
  const state = initialScheduleState(ops);
  return { format: base.format, indent: base.indent, raw, file: base.format === 'json' ? 'schedule.json' : 'schedule.yaml', ops, state, initial: state };
}

export function trialScheduleFile(trialDir: string, s: TrialSchedule): string {
  return join(trialDir, s.file);
}
