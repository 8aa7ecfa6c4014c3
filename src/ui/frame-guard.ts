import { textWidth } from './text.js';
import type { Terminal, TerminalSize } from './terminal.js';

// eslint-disable-next-line no-control-regex
const ERASE_LINES = /^(?:\x1b\[2K(?:\x1b\[1A)?)+\x1b\[G/;
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export interface GuardedOutput {
  /** What Ink writes to. */
  readonly stdout: NodeJS.WriteStream;
  /** The real terminal's size, for the UI to lay its frame out by. */
  readonly terminal: Terminal;
  /** Stops listening to the real terminal. */
  dispose(): void;
}

export interface GuardOptions {
  /** The terminal re-wraps its lines when it narrows (tmux, VTE, iTerm2, kitty; not xterm or GNU screen). */
  readonly rewraps: boolean;
}

/**
 * The terminal Ink draws on, with two changes that keep the scrollback whole (LESSONS: the live view):
 *
 * 1. Ink clears the screen *and the scrollback* whenever the frame it drew last is as tall as the terminal
 *    (ink.js: `lastOutputHeight >= stdout.rows`). Our frames stay shorter by construction, but a terminal
 *    made shorter leaves the frame already drawn taller than it, and Ink's next frame would wipe the
 *    history. Ink is told the terminal has no height limit; the UI lays out by `terminal`'s real size.
 * 2. A terminal that narrows re-wraps the frame on screen onto more rows than Ink then erases (it counts
 *    the lines it wrote), leaving a stale copy of the frame behind. Before Ink hears of the resize, the
 *    guard erases the rows the re-wrapped frame takes beyond the ones Ink erases itself, from the frame's
 *    text as Ink last wrote it: the text after Ink's erase-lines prefix, in the last write that drew any.
 */
export function guardStdout(real: NodeJS.WriteStream, options: GuardOptions): GuardedOutput {
  const read = (): TerminalSize => ({ columns: real.columns || 80, rows: real.rows || 24 });
  let size = read();
  let frame: string[] | null = null;
  const inkResize = new Set<(...args: unknown[]) => void>();
  const listeners = new Set<() => void>();

  const noteWrite = (chunk: string) => {
    const erase = ERASE_LINES.exec(chunk);
    const rest = erase ? chunk.slice(erase[0].length) : chunk;
    if (rest.replace(ESCAPES, '').length > 0) frame = rest.replace(ESCAPES, '').split('\n');
    else if (erase) frame = null;
  };

  /** Erases what re-wrapping added, leaving the cursor where Ink's own erase of its frame ends up right. */
  const eraseRewrapped = (columns: number) => {
    if (!options.rewraps || !frame || frame.length < 2) return;
    const lines = frame.slice(0, -1); // the last piece is the empty row the cursor sits on
    const rows = lines.reduce((a, l) => a + Math.max(1, Math.ceil(textWidth(l) / columns)), 0);
    if (rows <= lines.length) return;
    real.write(`${'\x1b[2K\x1b[1A'.repeat(rows)}\x1b[2K\x1b[G\x1b[${lines.length}B`);
  };

  const onResize = () => {
    const next = read();
    if (next.columns < size.columns) eraseRewrapped(next.columns);
    size = next;
    for (const l of listeners) l();
    // The UI lays out for the new size first (React commits its update in a microtask), so that Ink's own
    // resize render draws the new frame: the old one, taller than a terminal made shorter, would scroll
    // part of itself into the scrollback.
    setImmediate(() => {
      for (const l of inkResize) l();
    });
  };
  real.on('resize', onResize);

  const stdout = new Proxy(real, {
    get(target, prop) {
      if (prop === 'rows') return Number.MAX_SAFE_INTEGER;
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) => {
          if (typeof chunk === 'string') noteWrite(chunk);
          return (target.write as (...a: unknown[]) => boolean)(chunk, ...rest);
        };
      }
      if (prop === 'on' || prop === 'addListener' || prop === 'off' || prop === 'removeListener') {
        return (event: string | symbol, fn: (...args: unknown[]) => void) => {
          if (event !== 'resize') return (target[prop] as (e: string | symbol, f: (...a: unknown[]) => void) => unknown).call(target, event, fn);
          if (prop === 'on' || prop === 'addListener') inkResize.add(fn);
          else inkResize.delete(fn);
          return stdout;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as NodeJS.WriteStream;

  const terminal: Terminal = {
    size: () => size,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  return { stdout, terminal, dispose: () => void real.off('resize', onResize) };
}
