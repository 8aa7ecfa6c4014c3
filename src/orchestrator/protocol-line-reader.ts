/**
 * The longest protocol line tune reads, in bytes (without its newline). The longest legitimate message is a
 * report with many metrics or a checkpoint with a long path: a few kilobytes at most, so 1 MiB leaves
 * room to spare while a trial that writes to its carrier without newlines (binary data, a runaway
 * print) costs tune at most this much memory instead of everything it writes.
 */
export const MAX_PROTOCOL_LINE_BYTES = 1024 * 1024;

/**
 * What a line over the limit is delivered as, in place of the line: it is not JSON, so the orchestrator
 * treats it like any malformed line (a protocol error: it kills the trial, which fails with this text).
 * It must stay within the first 120 characters that a parse error quotes.
 */
export const OVERLONG_LINE = `line longer than the protocol's limit of ${MAX_PROTOCOL_LINE_BYTES / 1024 / 1024} MiB (${MAX_PROTOCOL_LINE_BYTES} bytes); tune did not read the rest`;

/**
 * Splits the bytes of a protocol carrier (the fd 3 pipe, or the protocol part of stdout) into lines, in
 * time linear in what was written: each chunk is scanned once for newlines, the pieces of a line are
 * kept as they came and joined once when it ends. It splits bytes, not text: a newline byte never occurs inside a multi-byte UTF-8 character, and a line
 * is decoded only when whole, so a character cut across two writes reads correctly. Lines end at "\n"
 * only; a "\r" before it is dropped, and blank lines are skipped. A line that grows past `limit` bytes is
 * reported once through `onTooLong`, and its bytes are dropped up to its newline, so a trial that never
 * writes one costs no memory however much it writes.
 */
export class ProtocolLineReader {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
    private readonly limit = MAX_PROTOCOL_LINE_BYTES,
  ) {}

  /** Bytes of the unfinished line kept so far: never more than the limit. */
  get held(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.add(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.add(chunk.subarray(start));
  }

  private add(piece: Buffer): void {
    if (this.discarding || piece.length === 0) return;
    // A "\r" that ends the line is no part of it; counted here, it cannot push a line at the limit over.
    const counted = this.size + piece.length - (piece[piece.length - 1] === 0x0d ? 1 : 0);
    if (counted > this.limit) {
      this.parts = [];
      this.size = 0;
      this.discarding = true;
      this.onTooLong();
      return;
    }
    this.parts.push(piece);
    this.size += piece.length;
  }

  private endLine(): void {
    const parts = this.parts;
    const size = this.size;
    this.parts = [];
    this.size = 0;
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    let bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    const line = bytes.toString('utf8');
    if (line.trim() !== '') this.onLine(line);
  }
}
