import { createHash } from 'node:crypto';
import { basename, dirname, extname, resolve } from 'node:path';
import { readDocument } from './read-document.js';
import { DEFAULT_SPEC } from './default-spec.js';
import type { Spec, SpecSource } from './types.js';
import { validateSpec } from './validate.js';

export interface LoadedSpec {
  spec: Spec;
  source: SpecSource;
  /** The spec as given (raw data), kept in the session so resume never re-reads the file. */
  raw: unknown;
  hash: string;
}

export function loadSpecFile(file: string, cwd: string): LoadedSpec {
  const abs = resolve(cwd, file);
  const doc = readDocument(abs, 'experiment spec');
  const spec = validateSpec(doc.data, file, doc.lines, basename(abs, extname(abs)));
  return { spec, source: { file: abs, baseDir: dirname(abs) }, raw: doc.data, hash: sha256(doc.text) };
}

/** The main job with no configuration: the built-in trainer over a small search, rooted in `cwd`. */
export function loadDefaultSpec(cwd: string): LoadedSpec {
  const spec = validateSpec(DEFAULT_SPEC, '<built-in default spec>', new Map(), 'default');
  return { spec, source: { file: null, baseDir: cwd }, raw: DEFAULT_SPEC, hash: sha256(JSON.stringify(DEFAULT_SPEC)) };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
