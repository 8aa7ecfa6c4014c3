import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Json } from '../util/json.js';

/**
 * The built-in trainer's checkpoint: one file with a header line (format, version, tensor index, checksum,
 * and the JSON state: iteration, hyperparameters, RNG, data cursor, schedule state) and the raw tensor
 * bytes after it. Written atomically; read back bit for bit, or refused with a reason.
 */
export type TensorData = Float32Array | Float64Array | Int32Array;

const FORMAT = 'tune-trainer-checkpoint';
const VERSION = 1;
const DTYPES = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;
type DType = keyof typeof DTYPES;

function dtypeOf(t: TensorData): DType {
  if (t instanceof Float32Array) return 'float32';
  if (t instanceof Float64Array) return 'float64';
  return 'int32';
}

interface Header {
  format: string;
  version: number;
  state: Json;
  tensors: { name: string; dtype: DType; length: number; offset: number }[];
  bytes: number;
  sha256: string;
}

export function saveCheckpoint(path: string, state: Json, tensors: Record<string, TensorData>): void {
  const index: Header['tensors'] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    index.push({ name, dtype: dtypeOf(t), length: t.length, offset });
    offset += t.byteLength;
    offset = (offset + 7) & ~7; // keep every tensor 8-byte aligned for a zero-copy read
  }
  const body = Buffer.alloc(offset);
  for (const e of index) {
    const t = tensors[e.name];
    Buffer.from(t.buffer, t.byteOffset, t.byteLength).copy(body, e.offset);
  }
  const stateText = JSON.stringify(state);
  const sha256 = createHash('sha256').update(stateText).update(body).digest('hex');
  const header: Header = { format: FORMAT, version: VERSION, state, tensors: index, bytes: body.length, sha256 };
  const head = Buffer.from(JSON.stringify(header) + '\n');
  writeFileAtomic(path, Buffer.concat([head, body]));
}

export function loadCheckpoint(path: string): { state: Json; tensors: Record<string, TensorData> } {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read the checkpoint (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return parseCheckpoint(path, file);
}

/** A checkpoint already read into memory (`path` names it in errors), checked as loadCheckpoint checks it. */
export function parseCheckpoint(path: string, file: Buffer): { state: Json; tensors: Record<string, TensorData> } {
  const nl = file.indexOf(10);
  let header: Header;
  try {
    header = JSON.parse(file.subarray(0, nl < 0 ? file.length : nl).toString('utf8')) as Header;
  } catch {
    throw new Error(`${path}: not a tune checkpoint (its header is not JSON); it may be truncated`);
  }
  if (header.format !== FORMAT) throw new Error(`${path}: not a tune trainer checkpoint (format ${JSON.stringify(header.format)})`);
  if (header.version !== VERSION) throw new Error(`${path}: checkpoint version ${header.version} is not supported (this tune reads ${VERSION})`);
  const body = file.subarray(nl + 1);
  if (body.length !== header.bytes) throw new Error(`${path}: the checkpoint is truncated (${body.length} of ${header.bytes} bytes)`);
  const sha = createHash('sha256').update(JSON.stringify(header.state)).update(body).digest('hex');
  if (sha !== header.sha256) throw new Error(`${path}: checksum mismatch, the checkpoint is corrupt`);
  const aligned = Buffer.from(body); // a fresh, aligned copy
  const tensors: Record<string, TensorData> = {};
  for (const e of header.tensors) {
    const Ctor = DTYPES[e.dtype];
    tensors[e.name] = new Ctor(aligned.buffer.slice(aligned.byteOffset + e.offset, aligned.byteOffset + e.offset + e.length * Ctor.BYTES_PER_ELEMENT));
  }
  return { state: header.state, tensors };
}
