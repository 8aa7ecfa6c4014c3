/**
 * Imported first by tests that run ONNX Runtime in their own process: it leaves an empty
 * mat-debug-<pid>.log in $TMPDIR of every process that creates a session, so such a test process gets a
 * TMPDIR of its own, removed when it exits (tune's trials get the session's tmp/ the same way).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'tune-unit-'));
process.env.TMPDIR = dir;
// The trainer's data cache (src/util/data-cache.ts) too: tests never write into the user's ~/.cache/tune.
process.env.TUNE_CACHE_DIR = join(dir, 'cache');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
