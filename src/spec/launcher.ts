import { isPlainObject } from '../util/json.js';
import { checkKeys, closest, show, type Problems } from './problems.js';
import type { LauncherSpec, LauncherType, SlurmOptions } from './types.js';

export const LAUNCHERS: readonly LauncherType[] = ['local', 'slurm'];

/** `launcher: slurm` with nothing else: every resource as the cluster's defaults give it. */
export const SLURM_DEFAULTS: SlurmOptions = { partition: null, time: null, gres: null, cpus_per_task: null, mem: null, account: null, extra_args: [] };

const SLURM_KEYS = ['type', ...Object.keys(SLURM_DEFAULTS)];

/** Slurm's own time formats (srun --time): minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
const SLURM_TIME = /^(\d+(:\d{1,2}){0,2}|\d+-\d{1,2}(:\d{1,2}){0,2}|INFINITE|UNLIMITED)$/;
/** srun --mem: a whole number with an optional unit (K, M, G, T); no unit means megabytes. */
const SLURM_MEM = /^\d+[KMGT]?$/;
/** A single word: Slurm splits nothing, and a space here is almost always a mistake. */
const WORD = /^\S+$/;

/**
 * srun options tune sets itself: the protocol needs one task, its stdio forwarded, tune's environment and
 * the trial's working directory; the job's name is how tune finds and cancels it.
 */
const TUNES_OWN = ['--job-name', '-J', '--ntasks', '-n', '--nodes', '-N', '--export', '--chdir', '-D', '--input', '-i', '--output', '-o', '--error', '-e', '--pty', '--unbuffered', '-u'];

/** The option an srun argument sets, if it is one of those tune sets itself. */
function ownOption(arg: string): string | null {
  for (const o of TUNES_OWN) {
    if (arg === o || arg.startsWith(`${o}=`) || (o.length === 2 && arg.startsWith(o) && !arg.startsWith('--'))) return o;
  }
  return null;
}

function word(p: Problems, raw: Record<string, unknown>, key: string, pattern: RegExp, example: string): string | null {
  const v = raw[key];
  if (v === undefined || v === null) return null;
  const text = typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : v;
  if (typeof text !== 'string' || !pattern.test(text)) {
    p.add(`launcher.${key}`, `is ${show(v)}, but must be ${example}`);
    return null;
  }
  return text;
}

/**
 * `launcher: slurm`, `launcher: local`, or `launcher: {type: slurm, partition: gpu, gres: "gpu:1", ...}`.
 * Every problem is reported (one line each); the local launcher is returned after one.
 */
export function checkLauncher(p: Problems, v: unknown): LauncherSpec {
  if (v === undefined || v === null) return { type: 'local' };
  const raw = typeof v === 'string' ? { type: v } : v;
  if (!isPlainObject(raw)) {
    p.add('launcher', `is ${show(v)}, but must be local, slurm, or a mapping like {type: slurm, partition: gpu, gres: "gpu:1"}`);
    return { type: 'local' };
  }
  const type = raw.type;
  if (typeof type !== 'string' || !LAUNCHERS.includes(type as LauncherType)) {
    const guess = typeof type === 'string' ? closest(type, LAUNCHERS) : null;
    p.add('launcher.type', type === undefined ? 'is missing; write type: slurm (or local)' : `is ${show(type)}, but must be one of ${LAUNCHERS.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    return { type: 'local' };
  }
  if (type === 'local') {
    for (const k of Object.keys(raw)) {
      if (k !== 'type' && SLURM_KEYS.includes(k)) p.add(`launcher.${k}`, 'applies only to type: slurm; remove it, or set type: slurm');
    }
    checkKeys(p, Object.fromEntries(Object.entries(raw).filter(([k]) => !SLURM_KEYS.includes(k))), ['type'], 'launcher');
    return { type: 'local' };
  }
  checkKeys(p, raw, SLURM_KEYS, 'launcher');
  const options: SlurmOptions = {
    partition: word(p, raw, 'partition', WORD, 'a partition name (or several, comma-separated) like gpu'),
    time: word(p, raw, 'time', SLURM_TIME, 'a Slurm time limit: minutes, MM:SS, HH:MM:SS or D-HH:MM:SS, e.g. "2:00:00"'),
    gres: word(p, raw, 'gres', WORD, 'generic resources as srun --gres takes them, e.g. "gpu:1" or "gpu:a100:2"'),
    cpus_per_task: null,
    mem: word(p, raw, 'mem', SLURM_MEM, 'a memory size like 4G, 500M, or a whole number of megabytes'),
    account: word(p, raw, 'account', WORD, 'an account name, with no spaces'),
    extra_args: [],
  };
  const cpus = raw.cpus_per_task;
  if (cpus !== undefined && cpus !== null) {
    if (typeof cpus !== 'number' || !Number.isInteger(cpus) || cpus < 1) p.add('launcher.cpus_per_task', `is ${show(cpus)}, but must be a whole number >= 1`);
    else options.cpus_per_task = cpus;
  }
  const extra = raw.extra_args;
  if (extra !== undefined && extra !== null) {
    if (!Array.isArray(extra) || !extra.every((a) => typeof a === 'string' && a !== '')) {
      p.add('launcher.extra_args', `is ${show(extra)}, but must be a list of srun options like ["--constraint=v100", "--qos=high"]`);
    } else {
      extra.forEach((a: string, i) => {
        const own = ownOption(a);
        if (own) p.add(`launcher.extra_args.${i}`, `is ${show(a)}, but tune sets ${own} itself (one task, its stdio forwarded, a job name to find it by); remove it`);
      });
      options.extra_args = extra as string[];
    }
  }
  return { type: 'slurm', ...options };
}
