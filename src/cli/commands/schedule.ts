import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { BadInputError } from '../../errors.js';
import { PLAN_DEFAULTS, planSchedule } from '../../schedule/plan.js';
import { loadScheduleFile, writeCompletedFlags } from '../../schedule/schedule-file.js';
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

/** `tune schedule plan FILE`: the operations in order and what each changes, before anything runs. */
export function schedulePlan(opts: { file: string; set: Record<string, string> }, ctx: CliContext): number {
  const s = loadScheduleFile(resolve(ctx.cwd, opts.file));
  const start = { ...PLAN_DEFAULTS };
  for (const [k, v] of Object.entries(opts.set)) {
    const n = Number(v);
    if (!(k in PLAN_DEFAULTS)) throw new BadInputError(`--set ${k}: unknown; plan knows ${Object.keys(PLAN_DEFAULTS).join(', ')}`);
    if (!Number.isFinite(n)) throw new BadInputError(`--set ${k}=${v}: must be a number`);
    start[k] = n;
  }
  const { steps, final } = planSchedule(s.ops, start);
  ctx.out(`${opts.file}: ${s.ops.length} operations, from ${Object.entries(start).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ')}`);
  ctx.out('');
  ctx.out(table(['#', 'operation', 'value', 'fires when', 'result', 'note'], steps.map((st) => [String(st.index), st.op.name, formatNumber(st.op.value), st.when, st.change, st.op.desc]), [true, false, true, false, false, false]));
  ctx.out('');
  ctx.out(`at the end: ${Object.entries(final).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ')}`);
  return 0;
}
