import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Spec } from '../spec/types.js';

/**
 * Which sessions may run code or write outside themselves, the way direnv and git's safe.directory decide
 * it: a session whose trials run a `command`, or that writes a schedule's completed flags back to a file
 * of the user's (`tune train --schedule`), does so only if this user created the session here, or said
 * `--trust` for it. What is remembered is per user, outside any session (a session cannot vouch for
 * itself), keyed by the session's real path and what it would do: the argv, the folder it runs in and the
 * file it writes. Built-in trials run tune's own code and need no trust.
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

/** The on_pause hook, code too (DESIGN §5.7), or null. Older specs have no such field. */
function hookOf(spec: Spec): string[] | null {
  return spec.on_pause ?? null;
}

/** What a session would do beyond tune's own code and its own folder. */
export interface Reach {
  spec: Spec;
  baseDir: string;
  /** tune train: the user's schedule file that gets completed flags written back, or null. */
  writeBack: string | null;
}

function needsTrust(r: Reach): boolean {
  return commandOf(r.spec) !== null || r.writeBack !== null || hookOf(r.spec) !== null;
}

function key(sessionDir: string, r: Reach): string {
  // The hook joins the key only when there is one, so trust given before hooks existed still holds.
  const hook = hookOf(r.spec);
  return createHash('sha256').update(JSON.stringify([realpathSync(sessionDir), commandOf(r.spec), r.baseDir, r.writeBack, ...(hook ? [hook] : [])])).digest('hex');
}

/** For the refusal: what the session would do, in words. */
export function describeReach(r: Reach): string {
  const parts: string[] = [];
  const command = commandOf(r.spec);
  if (command) parts.push(`runs ${JSON.stringify(command.join(' '))} in ${r.baseDir}`);
  if (r.writeBack) parts.push(`writes to ${r.writeBack}`);
  const hook = hookOf(r.spec);
  if (hook) parts.push(`runs ${JSON.stringify(hook.join(' '))} when it pauses (on_pause)`);
  return parts.join(' and ');
}

export function isTrusted(sessionDir: string, r: Reach, env: NodeJS.ProcessEnv): boolean {
  if (!needsTrust(r)) return true;
  return existsSync(join(trustDir(env), key(sessionDir, r)));
}

/**
 * Remembers that this user trusts what the session runs. One file per key: two tune processes never race
 * on a shared list. A store that cannot be written only means the next resume asks for --trust again.
 */
export function remember(sessionDir: string, r: Reach, env: NodeJS.ProcessEnv): void {
  if (!needsTrust(r)) return;
  try {
    const dir = trustDir(env);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const record = { session: realpathSync(sessionDir), command: commandOf(r.spec), onPause: hookOf(r.spec), cwd: r.baseDir, writeBack: r.writeBack, since: new Date().toISOString() };
    writeFileSync(join(dir, key(sessionDir, r)), `${JSON.stringify(record)}\n`);
  } catch { /* see above */ }
}
