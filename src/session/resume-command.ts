import { realpathSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function real(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * How to start this same tune again from any folder: `tune` when that name on the PATH is this program,
 * otherwise the absolute path it was started by (DESIGN §7: the resume line runs as it is, from anywhere,
 * cron included).
 */
export function invocation(cwd: string, scriptPath: string, pathEnv: string | undefined): string {
  const me = real(scriptPath);
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'tune');
    if (me && real(candidate) === me) return 'tune';
  }
  const abs = resolve(cwd, scriptPath);
  let executable = false;
  try {
    executable = (statSync(abs).mode & 0o111) !== 0;
  } catch {
    executable = false;
  }
  return executable ? shellQuote(abs) : `node ${shellQuote(abs)}`;
}

export function resumeCommand(cwd: string, sessionDir: string, scriptPath: string, pathEnv: string | undefined): string {
  return `${invocation(cwd, scriptPath, pathEnv)} --resume-session ${shellQuote(resolve(cwd, sessionDir))}`;
}
