import { realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';

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
 * How to start this same tune again from `cwd`: `tune` when that name on the PATH is this program,
 * otherwise the path it was started by (DESIGN §7: the resume line runs as it is).
 */
export function invocation(cwd: string, scriptPath: string, pathEnv: string | undefined): string {
  const me = real(scriptPath);
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'tune');
    if (me && real(candidate) === me) return 'tune';
  }
  let rel = isAbsolute(scriptPath) ? relative(cwd, scriptPath) : scriptPath;
  // More than one level up reads worse than the absolute path, and breaks as easily.
  if (rel.startsWith('../../')) rel = resolve(cwd, scriptPath);
  if (!rel.startsWith('/') && !rel.startsWith('.')) rel = `./${rel}`;
  let executable = false;
  try {
    executable = (statSync(scriptPath).mode & 0o111) !== 0;
  } catch {
    executable = false;
  }
  return executable ? shellQuote(rel) : `node ${shellQuote(rel)}`;
}

/** The path of the session as seen from `cwd`: relative when that is shorter and stays below cwd. */
export function displayPath(cwd: string, dir: string): string {
  const rel = relative(cwd, dir);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? dir : rel;
}

export function resumeCommand(cwd: string, sessionDir: string, scriptPath: string, pathEnv: string | undefined): string {
  return `${invocation(cwd, scriptPath, pathEnv)} --resume-session ${shellQuote(displayPath(cwd, sessionDir))}`;
}
