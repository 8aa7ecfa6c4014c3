import { BadInputError } from '../errors.js';

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; spec: string | null; sessionsRoot: string | null }
  | { kind: 'resume'; dir: string }
  | { kind: 'results'; dir: string; json: boolean };

export const USAGE = `Usage:
  tune [run] [SPEC] [--sessions-root DIR]   start a search (no SPEC: the built-in default search)
  tune --resume-session DIR                 continue a paused or interrupted session exactly
  tune results DIR [--json]                 the trial table and the best trial of a session
  tune --help | --version

While it runs: p pauses at the next validation boundary, q quits at once,
Ctrl+C pauses gracefully (a second Ctrl+C quits). SIGTERM pauses too.

Exit codes: 0 completed, 3 paused (resumable), 2 bad input (nothing changed), 1 anything else.`;

function takeValue(argv: string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new BadInputError(`${flag} needs a value; see tune --help`);
  return v;
}

/** Parses `tune`'s arguments; anything unknown is bad input naming the argument. */
export function parseArgs(argv: string[]): Command {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  if (argv.includes('--version')) return { kind: 'version' };
  let i = 0;
  const rest: string[] = [];
  let resume: string | null = null;
  let sessionsRoot: string | null = null;
  let json = false;
  while (i < argv.length) {
    const a = argv[i];
    if (a === '--resume-session') {
      resume = takeValue(argv, i, a);
      i += 2;
    } else if (a.startsWith('--resume-session=')) {
      resume = a.slice('--resume-session='.length);
      i++;
    } else if (a === '--sessions-root') {
      sessionsRoot = takeValue(argv, i, a);
      i += 2;
    } else if (a === '--json') {
      json = true;
      i++;
    } else if (a.startsWith('-') && a !== '-') {
      throw new BadInputError(`unknown option ${a}; see tune --help`);
    } else {
      rest.push(a);
      i++;
    }
  }
  if (resume !== null) {
    if (rest.length > 0) throw new BadInputError(`--resume-session takes no other arguments, but got ${rest.join(' ')}; the session holds its own spec`);
    // Options that would be silently ignored are refused: the session keeps its own folder and prints no JSON.
    if (sessionsRoot !== null) throw new BadInputError('--resume-session takes no --sessions-root; a session resumes in its own folder');
    if (json) throw new BadInputError('--json only applies to tune results');
    if (resume === '') throw new BadInputError('--resume-session needs the session directory printed when the session paused');
    return { kind: 'resume', dir: resume };
  }
  if (rest[0] === 'results') {
    if (rest.length !== 2) throw new BadInputError('tune results needs exactly one session directory: tune results DIR [--json]');
    if (sessionsRoot !== null) throw new BadInputError('--sessions-root does not apply to tune results; give the session directory itself');
    return { kind: 'results', dir: rest[1], json };
  }
  if (json) throw new BadInputError('--json only applies to tune results');
  const runArgs = rest[0] === 'run' ? rest.slice(1) : rest;
  if (runArgs.length > 1) throw new BadInputError(`tune run takes one spec file, but got ${runArgs.join(' ')}`);
  return { kind: 'run', spec: runArgs[0] ?? null, sessionsRoot };
}
