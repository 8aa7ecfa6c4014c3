import { readdirSync, unlinkSync } from 'node:fs';
import { extname, join } from 'node:path';

/**
 * The name of the checkpoint of `iteration` (zero-padded, so names sort by iteration).
 */
export function checkpointName(iteration: number, ext: string): string {
  return `ckpt-${String(iteration).padStart(8, '0')}${ext}`;
}

/**
 * Keeps the checkpoint just written and the one before it, deleting older ones: tune may not have
 * recorded the newest yet if it dies right now, and a resume then starts from the one before.
 */
export function pruneCheckpoints(dir: string, newest: string): void {
  const ext = extname(newest);
  const older = readdirSync(dir).filter((f) => f.startsWith('ckpt-') && extname(f) === ext && f < newest).sort();
  for (const f of older.slice(0, -1)) unlinkSync(join(dir, f));
}
