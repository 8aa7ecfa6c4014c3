import { PROTOCOL_LINE_PREFIX } from '../trial/protocol.js';
import { MAX_PROTOCOL_LINE_BYTES, ProtocolLineReader } from './protocol-line-reader.js';

const EMPTY = Buffer.alloc(0);

/** Where the two streams a trial's stdout holds go. */
export interface CarrierSink {
  /** A protocol line, without its prefix and line end (blank ones are skipped). */
  line(line: string): void;
  /** The trial's own output, byte for byte as it wrote it, the protocol lines taken out. */
  output(bytes: Buffer): void;
  /** A protocol line grew past the limit: reported once, its bytes dropped up to its newline. */
  tooLong(): void;
}

/**
 * Separates a trial's stdout into protocol lines and the trial's own output (DESIGN §4, the stdout carrier).
 * A protocol line starts at PROTOCOL_LINE_PREFIX, wherever it occurs (a print without a newline may come just
 * before it), and ends at the next newline; every other byte is the trial's own and passes through at once,
 * so a trial that prints a lot, or prints without newlines, costs no memory. Each byte is looked at a
 * bounded number of times (time linear in what was written), and a protocol line keeps the fd 3 carrier's
 * limits, because the same ProtocolLineReader assembles it.
 */
export class StdoutCarrier {
  private readonly prefix: Buffer;
  private readonly lines: ProtocolLineReader;
  /** Bytes at the end of the last chunk that may begin a prefix: held back until the next chunk tells. */
  private held: Buffer = EMPTY;
  /** Between a prefix and the newline that ends its line. */
  private inLine = false;

  constructor(private readonly sink: CarrierSink, prefix = PROTOCOL_LINE_PREFIX, limit = MAX_PROTOCOL_LINE_BYTES) {
    this.prefix = Buffer.from(prefix, 'utf8');
    this.lines = new ProtocolLineReader((l) => sink.line(l), () => sink.tooLong(), limit);
  }

  /** Bytes held in memory now: part of a prefix, or of an unfinished protocol line (never more than the limit). */
  get heldBytes(): number {
    return this.held.length + this.lines.held;
  }

  push(chunk: Buffer): void {
    // At most prefix-length bytes are joined with the chunk: still linear.
    const buf = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = EMPTY;
    let pos = 0;
    while (pos < buf.length) {
      if (this.inLine) {
        const nl = buf.indexOf(0x0a, pos);
        const end = nl < 0 ? buf.length : nl + 1;
        this.lines.push(buf.subarray(pos, end));
        if (nl < 0) return;
        this.inLine = false;
        pos = end;
        continue;
      }
      const at = buf.indexOf(this.prefix, pos);
      if (at >= 0) {
        if (at > pos) this.sink.output(buf.subarray(pos, at));
        this.inLine = true;
        pos = at + this.prefix.length;
        continue;
      }
      const keep = prefixStartAtEnd(buf, pos, this.prefix);
      if (buf.length - keep > pos) this.sink.output(buf.subarray(pos, buf.length - keep));
      if (keep > 0) this.held = Buffer.from(buf.subarray(buf.length - keep));
      return;
    }
  }

  /** The stream ended: what was held back as a possible prefix was the trial's output after all. */
  end(): void {
    if (this.held.length > 0) this.sink.output(this.held);
    this.held = EMPTY;
  }
}

/** The length of the longest proper start of `prefix` that `buf[from..]` ends with. */
function prefixStartAtEnd(buf: Buffer, from: number, prefix: Buffer): number {
  for (let k = Math.min(prefix.length - 1, buf.length - from); k > 0; k--) {
    if (buf.compare(prefix, 0, k, buf.length - k, buf.length) === 0) return k;
  }
  return 0;
}
