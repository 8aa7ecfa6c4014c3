import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Spec } from '../spec/types.js';

/**
 * Which sessions may run code, the way direnv and git's safe.directory decide it: a session whose trials
 * run a `command` runs it only if this user created the session here, or said `--trust` for it. What is
 * remembered is per user, outside any session (a session cannot vouch for itself), keyed by the session's
 * real path and what it would run: the argv and the folder it runs in. Built-in trials run tune's own
 * code and need no trust.
 */
export function trustDir(env: NodeJS.ProcessEnv): string {
  if (env.TUNE_TRUST_DIR) return env.TUNE_TRUST_DIR;
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'tune', 'trusted');
}

/** What would run, or null for a built-in trial. */
export function commandOf(spec: Spec): string[] | null {
  return 'command' in spec.trial ? spec.trial.command : null;
}

function key(sessionDir: string, spec: Spec, baseDir: string): string {
  return createHash('sha256').update(JSON.stringify([realpathSync(sessionDir), commandOf(spec), baseDir])).digest('hex');
}

export function isTrusted(sessionDir: string, spec: Spec, baseDir: string, env: NodeJS.ProcessEnv): boolean {
  if (commandOf(spec) === null) return true;
  return existsSync(join(trustDir(env), key(sessionDir, spec, baseDir)));
}

/**
 * Remembers that this user trusts what the session runs. One file per key: two tune processes never race
 * on a shared list. A store that cannot be written only means the next resume asks for --trust again.
 */
export function remember(sessionDir: string, spec: Spec, baseDir: string, env: NodeJS.ProcessEnv): void {
  if (commandOf(spec) === null) return;
  try {
    const dir = trustDir(env);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, key(sessionDir, spec, baseDir)), `${JSON.stringify({ session: realpathSync(sessionDir), command: commandOf(spec), cwd: baseDir, since: new Date().toISOString() })}\n`);
  } catch { /* see above */ }
}
