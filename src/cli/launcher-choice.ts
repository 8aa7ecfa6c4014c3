import { BadInputError } from '../errors.js';
import { LocalLauncher, type Launcher } from '../orchestrator/launcher.js';
import { slurmClientAvailable, SlurmLauncher } from '../orchestrator/slurm-launcher.js';
import { SLURM_DEFAULTS } from '../spec/launcher.js';
import type { LauncherType, Spec } from '../spec/types.js';

export interface LauncherChoice {
  type: LauncherType;
  launcher: Launcher;
}

/**
 * Where a session's trials run: --launcher when given, else what the session last ran with, else the spec's
 * `launcher`. Slurm's resources come from the spec (the cluster's defaults when it names none), so a session
 * paused on Slurm resumes locally with `--launcher local` and the other way round. Checked before anything
 * is written: a Slurm launcher where Slurm's commands are missing is bad input.
 */
export function chooseLauncher(flag: LauncherType | null, last: LauncherType | undefined, spec: Spec, sessionId: string, env: NodeJS.ProcessEnv): LauncherChoice {
  // A session.json edited by hand may hold anything there: only a known launcher counts.
  const type = flag ?? (last === 'local' || last === 'slurm' ? last : undefined) ?? spec.launcher.type;
  if (type === 'local') return { type, launcher: new LocalLauncher() };
  if (!slurmClientAvailable(env)) {
    const by = flag ? '--launcher slurm: ' : last ? 'this session ran on Slurm, but ' : 'the spec says launcher: slurm, but ';
    throw new BadInputError(`${by}srun cannot be run here (is Slurm's client on the PATH?); start tune on a login node of the cluster, or give --launcher local`);
  }
  const options = spec.launcher.type === 'slurm' ? spec.launcher : SLURM_DEFAULTS;
  return { type, launcher: new SlurmLauncher(options, sessionId) };
}
