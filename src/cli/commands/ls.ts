import { resolve } from 'node:path';
import { findSessions, listSessions } from '../../session/listing.js';
import { resumeCommand } from '../../session/resume-command.js';
import { formatNumber, table } from '../../ui/format.js';
import type { CliContext } from '../context.js';

function age(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/**
 * `tune ls [ROOT]`: the sessions under a sessions root (./sessions by default) or an experiment's folder,
 * oldest first, with status, progress, best value and age, then the command that resumes each one that
 * can be resumed. Read-only; a damaged session is listed with what is wrong with it.
 */
export function lsCommand(opts: { root: string | null }, ctx: CliContext): number {
  const root = resolve(ctx.cwd, opts.root ?? 'sessions');
  const entries = listSessions(findSessions(root));
  if (entries.length === 0) {
    ctx.out(`no sessions under ${root}`);
    return 0;
  }
  const now = Date.now();
  ctx.out(table(
    ['session', 'experiment', 'status', 'trials done', 'best', 'started'],
    entries.map((e) => [
      e.name, e.experiment, e.status, e.status === 'unreadable' ? '' : `${e.done}/${e.numTrials}`,
      e.best ? `${e.metric} ${formatNumber(e.best.value)} (${e.best.trial})` : '', e.created ? age(e.created, now) : '',
    ]),
    [false, false, false, true, false, true],
  ));
  const resumable = entries.filter((e) => e.status === 'paused');
  if (resumable.length) {
    ctx.out('');
    ctx.out('to resume:');
    for (const e of resumable) ctx.out(`  ${resumeCommand(ctx.cwd, e.dir, ctx.scriptPath, ctx.env.PATH)}`);
  }
  for (const e of entries.filter((x) => x.status === 'unreadable')) ctx.out(`${e.name}: unreadable: ${e.problem}`);
  return 0;
}
