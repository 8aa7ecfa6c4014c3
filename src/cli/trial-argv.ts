import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInputError } from '../errors.js';
import type { Spec } from '../spec/types.js';

const SPIRALS_WORKER = fileURLToPath(new URL('../trial/spirals-worker.js', import.meta.url));
const TRAINER_WORKER = fileURLToPath(new URL('../trial/trainer-worker.js', import.meta.url));

function onPath(program: string, pathEnv: string | undefined): boolean {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch { /* keep looking */ }
  }
  return false;
}

/**
 * The argv that starts one trial. A command's program is resolved against the spec's folder when it is a
 * path (DESIGN §7), looked up on the PATH otherwise; a program that is not there is bad input, said now.
 */
export function trialArgv(spec: Spec, baseDir: string, specLabel: string, env: NodeJS.ProcessEnv): string[] {
  // Trials run in the spec's folder: if it moved away (after a pause), no trial could start, and each
  // would fail for good on a missing working directory. Say so before anything is marked.
  if (!existsSync(baseDir) || !statSync(baseDir).isDirectory()) {
    throw new BadInputError(`${specLabel}: the trials run in the spec's folder ${baseDir}, which is no longer there; move it back (paths in a spec are relative to it)`);
  }
  if ('builtin' in spec.trial) {
    return spec.trial.builtin === 'spirals-mlp' ? [process.execPath, SPIRALS_WORKER] : [process.execPath, TRAINER_WORKER, spec.trial.builtin];
  }
  const [program, ...args] = spec.trial.command;
  if (program.includes('/')) {
    const abs = resolve(baseDir, program);
    if (!existsSync(abs)) throw new BadInputError(`${specLabel}: trial.command: program ${program} not found (looked at ${abs}); paths in a spec are relative to the spec's folder`);
    return [abs, ...args];
  }
  if (!onPath(program, env.PATH)) throw new BadInputError(`${specLabel}: trial.command: program ${JSON.stringify(program)} is not on the PATH; install it or give its path`);
  return [program, ...args];
}
