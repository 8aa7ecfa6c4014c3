import { BadInputError } from '../errors.js';
import type { LauncherType } from '../spec/types.js';

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; spec: string | null; sessionsRoot: string | null; launcher: LauncherType | null }
  | { kind: 'resume'; dir: string; numTrials: number | null; maxIters: number | null; concurrency: number | null; trust: boolean; retryFailed: boolean; launcher: LauncherType | null; takeOverLock: boolean }
  | { kind: 'results'; dir: string; json: boolean }
  | { kind: 'view'; dir: string }
  | { kind: 'ls'; root: string | null }
  | { kind: 'control'; verb: 'pause' | 'continue' | 'stop'; dir: string; trials: string[] }
  | { kind: 'export'; dir: string; trial: string | null; onnx: string }
  | { kind: 'train'; spec: string | null; schedule: string | null; initFrom: 'scratch' | 'resume' | null; set: Record<string, string>; sessionsRoot: string | null; noBackup: boolean; launcher: LauncherType | null }
  | { kind: 'schedule-validate'; files: string[] }
  | { kind: 'schedule-migrate'; files: string[]; dir: string | null; noBackup: boolean }
  | { kind: 'schedule-plan'; file: string; spec: string | null; trial: string | null; set: Record<string, string> };

export const USAGE = `Usage:
  tune [run] [SPEC] [--sessions-root DIR] [--launcher local|slurm]
                                            start a search (no SPEC: the built-in default search;
                                            --launcher: run the trials here, or as Slurm jobs)
  tune --resume-session DIR [--num-trials N] [--max-iters N] [--concurrency N] [--trust] [--retry-failed]
       [--launcher local|slurm] [--take-over-lock]
                                            continue a paused or interrupted session exactly (with
                                            --num-trials / --max-iters: a larger budget, also for a
                                            completed one; --concurrency: trials at a time;
                                            --trust: run the command of a session made elsewhere;
                                            --retry-failed: failed trials get another chance from
                                            their last checkpoint; --launcher: where its trials run
                                            from now on; --take-over-lock: drive it although the
                                            lock names a tune on another host, which is gone)
  tune results DIR [--json]                 the trial table and the best trial of a session
  tune view DIR                             the live view of a session, read-only: paused, completed, or
                                            followed as it runs
  tune ls [ROOT]                            the sessions under ROOT (default ./sessions): status,
                                            progress, best, age, and how to resume each
  tune pause DIR [TRIAL…]                   from another terminal: pause the session, or those trials at
                                            their next boundary (they stay paused until tune continue)
  tune continue DIR TRIAL…                  let trials paused on their own run again
  tune stop DIR TRIAL…                      end trials for good (the search goes on without them)
  tune export DIR [--trial ID | --best] --onnx FILE
                                            write a built-in trial's trained model (default: the best
                                            trial's) as a forward-only ONNX model, for any ONNX Runtime
  tune train [SPEC] [--schedule FILE] [--init-from scratch|resume] [--set KEY=VALUE]... [--no-backup]
       [--launcher local|slurm]             one training run (no search) that follows FILE and writes
                                            its completed flags back to it, keeping FILE.bak
  tune schedule validate FILE...            check schedule files
  tune schedule migrate FILE... | --dir DIR [--no-backup]
                                            add explicit completed: false, keeping format, order, comments
  tune schedule plan FILE [--spec SPEC | --trial BUILTIN] [--set KEY=VALUE]...
                                            the operations in order and the model and hyperparameters
                                            they lead to (no SPEC or BUILTIN: the built-in named like FILE)
  tune --help | --version

While it runs: p pauses at the next validation boundary, q quits at once,
Ctrl+C pauses gracefully (a second Ctrl+C quits). SIGTERM pauses too.

Exit codes: 0 completed, 3 paused (resumable), 2 bad input (nothing changed), 1 anything else.`;

interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
}

/** Splits argv into positionals and flags; `valued` flags take the next word (or `--flag=value`). */
function split(argv: string[], valued: ReadonlySet<string>, bare: ReadonlySet<string>): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (valued.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[i + 1];
      if (v === undefined || (eq < 0 && v.startsWith('--'))) throw new BadInputError(`${name} needs a value; see tune --help`);
      if (eq < 0) i++;
      add(name, v);
    } else if (bare.has(name) && eq < 0) {
      add(name, '');
    } else {
      throw new BadInputError(`unknown option ${a}; see tune --help`);
    }
  }
  return { positional, flags };
}

const ALL_VALUED = new Set(['--max-iters', '--concurrency', '--num-trials', '--resume-session', '--sessions-root', '--schedule', '--init-from', '--set', '--dir', '--spec', '--trial', '--onnx', '--launcher']);
const ALL_BARE = new Set(['--json', '--no-backup', '--trust', '--retry-failed', '--best', '--take-over-lock']);

function only(p: Parsed, allowed: string[], context: string): void {
  for (const k of p.flags.keys()) {
    if (allowed.includes(k)) continue;
    if (k === '--json') throw new BadInputError('--json only applies to tune results');
    if (context === 'resume' && k === '--sessions-root') throw new BadInputError('--resume-session takes no --sessions-root; a session resumes in its own folder');
    if (context === 'results' && k === '--sessions-root') throw new BadInputError('--sessions-root does not apply to tune results; give the session directory itself');
    throw new BadInputError(`${k} does not apply to tune ${context}; see tune --help`);
  }
}

function one(p: Parsed, flag: string): string | null {
  const v = p.flags.get(flag);
  if (!v) return null;
  if (v.length > 1) throw new BadInputError(`${flag} is given ${v.length} times; give it once`);
  return v[0];
}

function launcherFlag(p: Parsed): LauncherType | null {
  const v = one(p, '--launcher');
  if (v !== null && v !== 'local' && v !== 'slurm') throw new BadInputError(`--launcher is ${JSON.stringify(v)}, but must be local or slurm`);
  return v;
}

function sets(p: Parsed): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of p.flags.get('--set') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new BadInputError(`--set ${kv}: write it as --set KEY=VALUE, e.g. --set lr=0.05`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/** Parses `tune`'s arguments; anything unknown is bad input naming the argument. */
export function parseArgs(argv: string[]): Command {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  if (argv.includes('--version')) return { kind: 'version' };
  const p = split(argv, ALL_VALUED, ALL_BARE);
  const [first, ...rest] = p.positional;

  const resume = one(p, '--resume-session');
  if (resume !== null) {
    only(p, ['--resume-session', '--num-trials', '--max-iters', '--concurrency', '--trust', '--retry-failed', '--launcher', '--take-over-lock'], 'resume');
    if (p.positional.length > 0) throw new BadInputError(`--resume-session takes no other arguments, but got ${p.positional.join(' ')}; the session holds its own spec`);
    if (resume === '') throw new BadInputError('--resume-session needs the session directory printed when the session paused');
    const whole = (flag: string): number | null => {
      const v = one(p, flag);
      if (v !== null && !/^\d+$/.test(v)) throw new BadInputError(`${flag} is ${JSON.stringify(v)}, but must be a whole number`);
      return v === null ? null : Number(v);
    };
    return {
      kind: 'resume', dir: resume, numTrials: whole('--num-trials'), maxIters: whole('--max-iters'), concurrency: whole('--concurrency'),
      trust: p.flags.has('--trust'), retryFailed: p.flags.has('--retry-failed'),
      launcher: launcherFlag(p), takeOverLock: p.flags.has('--take-over-lock'),
    };
  }
  if (first === 'results') {
    only(p, ['--json'], 'results');
    if (rest.length !== 1) throw new BadInputError('tune results needs exactly one session directory: tune results DIR [--json]');
    return { kind: 'results', dir: rest[0], json: p.flags.has('--json') };
  }
  if (first === 'view') {
    only(p, [], 'view');
    if (rest.length !== 1) throw new BadInputError('tune view needs exactly one session directory: tune view DIR');
    return { kind: 'view', dir: rest[0] };
  }
  if (first === 'ls') {
    only(p, [], 'ls');
    if (rest.length > 1) throw new BadInputError(`tune ls takes at most one folder, but got ${rest.join(' ')}`);
    return { kind: 'ls', root: rest[0] ?? null };
  }
  if (first === 'pause' || first === 'continue' || first === 'stop') {
    only(p, [], first);
    const [dir, ...trials] = rest;
    if (!dir) throw new BadInputError(`tune ${first} needs a session directory: tune ${first} DIR ${first === 'pause' ? '[TRIAL…]' : 'TRIAL…'}`);
    const bad = trials.find((t) => !/^\d{4,}$/.test(t));
    if (bad !== undefined) throw new BadInputError(`tune ${first}: ${JSON.stringify(bad)} is not a trial id; ids are like 0003`);
    return { kind: 'control', verb: first, dir, trials };
  }
  if (first === 'export') {
    only(p, ['--trial', '--best', '--onnx'], 'export');
    if (rest.length !== 1) throw new BadInputError('tune export needs exactly one session directory: tune export DIR [--trial ID | --best] --onnx FILE');
    const onnx = one(p, '--onnx');
    if (!onnx) throw new BadInputError('tune export needs --onnx FILE: the file to write the model to, e.g. --onnx model.onnx');
    const trial = one(p, '--trial');
    if (trial !== null && p.flags.has('--best')) throw new BadInputError('--trial and --best both choose the trial to export; give one of them');
    if (trial !== null && !/^\d+$/.test(trial)) throw new BadInputError(`--trial is ${JSON.stringify(trial)}, but must be a trial id like 0003 (see tune results DIR)`);
    // Neither flag: the best trial.
    return { kind: 'export', dir: rest[0], trial, onnx };
  }
  if (first === 'train') {
    only(p, ['--schedule', '--init-from', '--set', '--sessions-root', '--no-backup', '--launcher'], 'train');
    if (rest.length > 1) throw new BadInputError(`tune train takes at most one spec file, but got ${rest.join(' ')}`);
    const initFrom = one(p, '--init-from');
    if (initFrom !== null && initFrom !== 'scratch' && initFrom !== 'resume') throw new BadInputError(`--init-from is ${JSON.stringify(initFrom)}, but must be scratch or resume`);
    return { kind: 'train', spec: rest[0] ?? null, schedule: one(p, '--schedule'), initFrom, set: sets(p), sessionsRoot: one(p, '--sessions-root'), noBackup: p.flags.has('--no-backup'), launcher: launcherFlag(p) };
  }
  if (first === 'schedule') {
    const [verb, ...files] = rest;
    if (verb === 'validate') {
      only(p, [], 'schedule validate');
      if (files.length === 0) throw new BadInputError('tune schedule validate needs at least one schedule file');
      return { kind: 'schedule-validate', files };
    }
    if (verb === 'migrate') {
      only(p, ['--dir', '--no-backup'], 'schedule migrate');
      const dir = one(p, '--dir');
      if (files.length === 0 && dir === null) throw new BadInputError('tune schedule migrate needs schedule files, or --dir DIR');
      return { kind: 'schedule-migrate', files, dir, noBackup: p.flags.has('--no-backup') };
    }
    if (verb === 'plan') {
      only(p, ['--set', '--spec', '--trial'], 'schedule plan');
      if (files.length !== 1) throw new BadInputError('tune schedule plan needs exactly one schedule file');
      const spec = one(p, '--spec');
      const trial = one(p, '--trial');
      if (spec !== null && trial !== null) throw new BadInputError('tune schedule plan takes --spec SPEC or --trial BUILTIN, not both: the spec names its own trial');
      return { kind: 'schedule-plan', file: files[0], spec, trial, set: sets(p) };
    }
    throw new BadInputError(`tune schedule${verb ? ` ${verb}` : ''}: unknown; use validate, migrate or plan`);
  }
  if (p.flags.has('--take-over-lock')) throw new BadInputError('--take-over-lock applies to --resume-session only: a new session has no lock to take over');
  only(p, ['--sessions-root', '--launcher'], 'run');
  const runArgs = first === 'run' ? rest : p.positional;
  if (runArgs.length > 1) throw new BadInputError(`tune run takes one spec file, but got ${runArgs.join(' ')}`);
  return { kind: 'run', spec: runArgs[0] ?? null, sessionsRoot: one(p, '--sessions-root'), launcher: launcherFlag(p) };
}
