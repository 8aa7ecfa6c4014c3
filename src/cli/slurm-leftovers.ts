import { cancelLeftoverJobs, slurmJobName } from '../orchestrator/slurm-launcher.js';
import type { SessionState } from '../session/state.js';

const OPEN = ['pending', 'running', 'paused', 'waiting'];

/**
 * After a crash of tune, the Slurm jobs of its trials run on (srun forwards the end of stdin, but a trial
 * that is not waiting for a decision does not notice). Before any trial starts again, resume cancels them
 * (SIGTERM first), so no old job writes beside its successor, and says what it did, one note each. A job may
 * have been queued just before the crash and journalled nowhere, so every unfinished trial's name is asked.
 *
 * A session that paused or quit is asked too: a quit while the controller was down ends srun without the
 * job being cancelled, and such a job may still run when the session is resumed. There, Slurm being out of
 * reach is no news (the pause left nothing behind unless its quit said otherwise), so it goes unsaid.
 */
export function cancelSlurmLeftovers(state: SessionState, env: NodeJS.ProcessEnv): string[] {
  const ranOnSlurm = state.launcher === 'slurm' || state.trials.some((t) => t.handle?.launcher === 'slurm');
  if (!ranOnSlurm) return [];
  const names = new Map(state.trials.filter((t) => OPEN.includes(t.status)).map((t) => [slurmJobName(state.id, t.id), t.id]));
  if (names.size === 0) return [];
  const r = cancelLeftoverJobs([...names.keys()], env);
  if (r === null) {
    if (state.status !== 'running') return [];
    return [`could not ask Slurm about jobs this session may have left running (squeue cannot be run here); where it can, check with squeue --name=${slurmJobName(state.id, '<trial id>')}`];
  }
  const notes = r.cancelled.map((j) => `cancelled trial ${names.get(j.name)}'s leftover Slurm job ${j.job} (${j.state.toLowerCase()})`);
  for (const j of r.lingering) notes.push(`Slurm job ${j.job} of trial ${names.get(j.name)} is still ${j.state.toLowerCase()} after scancel; it will be ended by Slurm`);
  return notes;
}
