import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { BadInputError } from '../../errors.js';
import { planSchedule, type PlanPoint, type PlanStep } from '../../schedule/plan.js';
import { planTrial, type HyperValues, type ModelShape, type PlanTarget } from '../../schedule/plan-trials.js';
import { loadScheduleFile, writeCompletedFlags } from '../../schedule/schedule-file.js';
import { loadSpecFile } from '../../spec/load-spec.js';
import { closest } from '../../spec/problems.js';
import { BUILTINS, validateSpec } from '../../spec/validate.js';
import { formatNumber, table } from '../../ui/format.js';
import type { CliContext } from '../context.js';

/** `tune schedule validate FILE...`: every file is read; all problems are printed; exit 2 if any. */
export function scheduleValidate(files: string[], ctx: CliContext): number {
  const problems: string[] = [];
  for (const f of files) {
    try {
      const s = loadScheduleFile(resolve(ctx.cwd, f));
      ctx.out(`ok: ${f} (${s.ops.length} operations${s.lacksCompleted ? '; some without completed: tune schedule migrate adds them' : ''})`);
    } catch (err) {
      if (!(err instanceof BadInputError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length) throw new BadInputError(problems);
  return 0;
}

function schedulesIn(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BadInputError(`--dir ${dir}: no such folder`);
  return readdirSync(dir)
    .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f).toLowerCase()))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * `tune schedule migrate`: adds `completed: false` where it is missing, in the file's own format and order
 * (YAML keeps its comments). Every file is checked before any is written, and each gets a .bak first.
 */
export function scheduleMigrate(opts: { files: string[]; dir: string | null; noBackup: boolean }, ctx: CliContext): number {
  const files = [...opts.files.map((f) => resolve(ctx.cwd, f)), ...(opts.dir ? schedulesIn(resolve(ctx.cwd, opts.dir)) : [])];
  const loaded = [];
  const problems: string[] = [];
  for (const f of files) {
    try {
      loaded.push(loadScheduleFile(f));
    } catch (err) {
      if (!(err instanceof BadInputError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length) throw new BadInputError([...problems, 'nothing was migrated: fix these first']);
  for (const s of loaded) {
    if (!s.lacksCompleted) {
      ctx.out(`unchanged: ${s.file} (every operation has completed)`);
      continue;
    }
    if (!opts.noBackup) copyFileSync(s.file, `${s.file}.bak`);
    writeCompletedFlags(s.file, s.ops.map((o) => o.completed));
    ctx.out(`migrated: ${s.file}${opts.noBackup ? '' : ` (backup: ${s.file}.bak)`}`);
  }
  return 0;
}

interface PlanChoice {
  target: PlanTarget | null;
  /** Why the plan is for this trial, as the first line says it. */
  origin: string;
  /** The spec starts every trial from scratch, so the file's completed flags do not count. */
  fromScratch: boolean;
  /** Keys the spec's search space varies from trial to trial. */
  varied: string[];
}

/** A built-in with nothing fixed: the trial an otherwise empty spec naming it would run. */
function builtinTarget(name: string, label: string): PlanTarget {
  if (!(BUILTINS as readonly string[]).includes(name)) {
    const guess = closest(name, BUILTINS);
    throw new BadInputError(`${label} ${name}: no such built-in trial; use ${BUILTINS.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
  }
  const spec = validateSpec({ trial: { builtin: name }, search_space: {} }, label, new Map(), 'plan');
  return { trial: spec.trial, evalInterval: spec.eval_interval };
}

/** --spec, --trial, or the built-in the schedule file is named after; otherwise no model at all. */
function choosePlanTarget(opts: { file: string; spec: string | null; trial: string | null }, ctx: CliContext): PlanChoice {
  if (opts.spec !== null) {
    const { spec } = loadSpecFile(opts.spec, ctx.cwd);
    const target = { trial: spec.trial, evalInterval: spec.eval_interval };
    const origin = 'command' in spec.trial ? `the trial of ${opts.spec}; model operations are not planned` : `the trial of ${opts.spec}`;
    return { target, origin, fromScratch: spec.trial.init_from === 'scratch', varied: Object.keys(spec.search_space) };
  }
  if (opts.trial !== null) return { target: builtinTarget(opts.trial, '--trial'), origin: 'chosen with --trial', fromScratch: false, varied: [] };
  const base = basename(opts.file, extname(opts.file));
  if ((BUILTINS as readonly string[]).includes(base)) {
    return { target: builtinTarget(base, opts.file), origin: 'named by the schedule file; --trial or --spec to choose another', fromScratch: false, varied: [] };
  }
  return { target: null, origin: 'model operations need --trial BUILTIN or --spec SPEC', fromScratch: false, varied: [] };
}

function modelText(m: ModelShape): string {
  return `${m.text} (${m.params.toLocaleString('en-US')} params)`;
}

function hyperText(h: HyperValues): string {
  const known = Object.entries(h).filter(([, v]) => v !== undefined);
  if (known.length === 0) return 'no hyperparameter values known (give them with --set KEY=VALUE)';
  return known.map(([k, v]) => `${k}=${formatNumber(v!)}`).join(' ');
}

function pointText(p: PlanPoint): string {
  return p.model ? `${modelText(p.model)}; ${hyperText(p.hyper)}` : hyperText(p.hyper);
}

function outcomeText(step: PlanStep): string {
  const o = step.outcome;
  switch (o.kind) {
    case 'model': {
      const changed = Object.keys(o.after.parts).filter((k) => o.after.parts[k] !== o.before.parts[k]);
      const parts = changed.map((k) => `${k} ${String(o.before.parts[k])} → ${String(o.after.parts[k])}`);
      return [...parts, `params ${o.before.params.toLocaleString('en-US')} → ${o.after.params.toLocaleString('en-US')}`].join('; ');
    }
    case 'hyper':
      if (o.before !== undefined && o.after !== undefined) return `${o.param} ${formatNumber(o.before)} → ${formatNumber(o.after)}`;
      if (o.after !== undefined) return `${o.param} → ${formatNumber(o.after)}`;
      return `${o.param} ×${formatNumber(step.op.value)}`;
    case 'skipped':
      return 'already completed: skipped';
    case 'model-unknown':
      return 'model unknown: not planned';
    case 'fails':
      return `the trial fails here: ${o.reason}`;
    case 'not-reached':
      return 'not reached';
  }
}

/**
 * `tune schedule plan FILE`: the operations in order and what each does to the model and hyperparameters
 * of the chosen trial, computed by that trial's own rules, before anything runs.
 */
export function schedulePlan(opts: { file: string; spec: string | null; trial: string | null; set: Record<string, string> }, ctx: CliContext): number {
  const s = loadScheduleFile(resolve(ctx.cwd, opts.file));
  const choice = choosePlanTarget(opts, ctx);
  const trial = planTrial(choice.target, opts.set);
  const plan = planSchedule(s.ops, trial, { ignoreCompleted: choice.fromScratch });
  ctx.out(`plan for ${trial.name} (${choice.origin}): ${pointText(plan.start)}`);
  ctx.out(`${opts.file}: ${s.ops.length} operations${choice.fromScratch ? ' (init_from: scratch, so every one fires, whatever its completed flag)' : ''}`);
  if (choice.varied.length) ctx.out(`the search space varies ${choice.varied.join(', ')} from trial to trial; the plan starts from the values above (pin one with --set KEY=VALUE)`);
  ctx.out('');
  const rows = plan.steps.map((st) => [String(st.index), st.op.name, formatNumber(st.op.value), st.when, outcomeText(st), st.op.desc]);
  ctx.out(table(['#', 'operation', 'value', 'fires when', 'result', 'note'], rows, [true, false, true, false, false, false]));
  ctx.out('');
  ctx.out(`at the end: ${pointText(plan.end)}`);
  return 0;
}
