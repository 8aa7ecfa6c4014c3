import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { BadInputError, EXIT } from '../errors.js';
import { parseArgs, USAGE } from './args.js';
import type { CliContext } from './context.js';
import { describeFault, diskCode, faultOf } from '../session/fault.js';

/** The one exit point: commands return exit codes or throw typed errors; only here becomes process.exit. */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  try {
    const cmd = parseArgs(argv);
    switch (cmd.kind) {
      case 'help':
        ctx.out(USAGE);
        return EXIT.completed;
      case 'version': {
        const pkg = JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string };
        ctx.out(pkg.version);
        return EXIT.completed;
      }
      case 'run':
        return await (await import('./commands/run.js')).runCommand(cmd, ctx);
      case 'resume':
        return await (await import('./commands/resume.js')).resumeCommand(cmd, ctx);
      case 'results':
        return (await import('./commands/results.js')).resultsCommand(cmd, ctx);
      case 'view':
        return await (await import('./commands/view.js')).viewCommand(cmd, ctx);
      case 'ls':
        return (await import('./commands/ls.js')).lsCommand(cmd, ctx);
      case 'control':
        return await (await import('./commands/control.js')).controlCommand(cmd, ctx);
      case 'export':
        return (await import('./commands/export.js')).exportCommand(cmd, ctx);
      case 'train':
        return await (await import('./commands/train.js')).trainCommand(cmd, ctx);
      case 'schedule-validate':
        return (await import('./commands/schedule.js')).scheduleValidate(cmd.files, ctx);
      case 'schedule-migrate':
        return (await import('./commands/schedule.js')).scheduleMigrate(cmd, ctx);
      case 'schedule-plan':
        return (await import('./commands/schedule.js')).schedulePlan(cmd, ctx);
    }
  } catch (err) {
    if (err instanceof BadInputError) {
      for (const p of err.problems) ctx.err(`tune: ${p}`);
      return EXIT.badInput;
    }
    // The disk refused one of tune's writes before a session could run (a read-only or full sessions root):
    // the environment's fault, one line, no stack (DESIGN §5.8, §7).
    if (diskCode(err)) {
      ctx.err(`tune: ${describeFault(faultOf(err, null))}; nothing was started`);
      return EXIT.internal;
    }
    ctx.err(`tune: internal error: ${(err as Error).stack ?? String(err)}`);
    return EXIT.internal;
  }
}

export async function runBin(): Promise<never> {
  // `tune … | head -1`: once the reader is gone, a write fails with EPIPE. That is the reader's choice, not
  // a crash: stop printing, and treat it as SIGTERM (a search pauses at its next boundary, resumable).
  let stdoutGone = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (stdoutGone) return;
    stdoutGone = true;
    process.emit('SIGTERM', 'SIGTERM');
  });
  const ctx: CliContext = {
    cwd: process.cwd(),
    out: (line) => { if (!stdoutGone) process.stdout.write(line + '\n'); },
    err: (line) => process.stderr.write(line + '\n'),
    scriptPath: process.argv[1] ?? 'tune',
    env: process.env,
    handleSignals: true,
    stdoutIsTTY: process.stdout.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
  };
  // Should the event loop run dry while tune still awaits something (a bug), Node would exit 13 without a
  // word: say which step it was in.
  let step = 'running the command';
  const stalled = () => process.stderr.write(`tune: internal error: stalled while ${step}, with nothing left to wait for\n`);
  process.on('beforeExit', stalled);
  const code = await main(process.argv.slice(2), ctx);
  // Let stdout drain when it is a pipe before leaving.
  step = 'flushing its output';
  if (!stdoutGone) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.off('beforeExit', stalled);
  process.exit(code);
}
