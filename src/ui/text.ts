/**
 * The live frame as lines of styled pieces. Every view builds its lines with pure functions that know
 * each line's width and count, so the frame is never wider than the terminal (no wrapping) and never as
 * tall (Ink clears the screen and the scrollback when it is): both are checked where the lines are made.
 */
export interface Seg {
  readonly text: string;
  readonly color?: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly inverse?: boolean;
}
export type Line = readonly Seg[];

/** Columns a character takes in a terminal: 2 for East Asian wide characters and emoji, 0 for combining marks. */
function charWidth(cp: number): number {
  if (cp < 0x300) return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 0 : 1;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2;
  return 1;
}

export function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0) as number);
  return w;
}

/** The longest start of `s` that takes at most `width` columns. */
function takeWidth(s: string, width: number): string {
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0) as number);
    if (w + cw > width) break;
    out += ch;
    w += cw;
  }
  return out;
}

/** `s` in at most `width` columns, ending in "…" when cut. */
export function cutText(s: string, width: number): string {
  if (width <= 0) return '';
  return textWidth(s) <= width ? s : takeWidth(s, width - 1) + '…';
}

/** Text from a program's log, safe to draw: no escape sequences, no control characters, the last of \r-overwrites. */
export function plainText(s: string): string {
  // eslint-disable-next-line no-control-regex
  const noEscapes = s.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-_]/g, '');
  const last = noEscapes.slice(noEscapes.lastIndexOf('\r', noEscapes.length - 2) + 1).replace(/\r$/, '');
  // eslint-disable-next-line no-control-regex
  return last.replace(/\t/g, '  ').replace(/[\x00-\x1f\x7f]/g, '');
}

export function lineWidth(line: Line): number {
  return line.reduce((a, s) => a + textWidth(s.text), 0);
}

/** The line cut to `width` columns, ending in "…" where it was cut. */
export function fitLine(line: Line, width: number): Line {
  if (lineWidth(line) <= width) return line;
  if (width <= 0) return [];
  const out: Seg[] = [];
  let left = width - 1;
  for (const seg of line) {
    const w = textWidth(seg.text);
    if (w > left) {
      out.push({ ...seg, text: takeWidth(seg.text, left) + '…' });
      break;
    }
    out.push(seg);
    left -= w;
  }
  return out;
}
