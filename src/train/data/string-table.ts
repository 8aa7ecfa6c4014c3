/**
 * A list of strings as bytes, read back without parsing: a uint32 count, count + 1 uint32 byte offsets
 * (native byte order; the cache header records which), then every string's UTF-8 bytes back to back.
 */
export function packStrings(list: readonly string[]): Uint8Array {
  const blob = Buffer.from(list.join(''), 'utf8');
  const head = new Uint32Array(list.length + 2);
  head[0] = list.length;
  let off = 0;
  list.forEach((s, i) => {
    head[i + 1] = off;
    off += Buffer.byteLength(s, 'utf8');
  });
  head[list.length + 1] = off;
  const out = new Uint8Array(head.byteLength + blob.length);
  out.set(new Uint8Array(head.buffer), 0);
  out.set(blob, head.byteLength);
  return out;
}

export function unpackStrings(bytes: Buffer): string[] {
  // Typed-array views need 4-byte alignment; a buffer that lacks it is copied once.
  const buf = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
  if (buf.length < 4) throw new Error('a string table shorter than its count');
  const count = new Uint32Array(buf.buffer, buf.byteOffset, 1)[0];
  const headBytes = (count + 2) * 4;
  if (buf.length < headBytes) throw new Error(`a string table of ${buf.length} bytes cannot hold ${count} offsets`);
  const offsets = new Uint32Array(buf.buffer, buf.byteOffset + 4, count + 1);
  if (offsets[0] !== 0 || headBytes + offsets[count] !== buf.length) throw new Error('a string table whose offsets do not match its length');
  const list = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    if (offsets[i + 1] < offsets[i]) throw new Error('a string table whose offsets go backwards');
    list[i] = buf.toString('utf8', headBytes + offsets[i], headBytes + offsets[i + 1]);
  }
  return list;
}
