/** The terminal's size and its changes, as the UI reads them (so tests can give any size). */
export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

export interface Terminal {
  /** The same object until the size changes (React compares snapshots by identity). */
  size(): TerminalSize;
  subscribe(listener: () => void): () => void;
}

/** A terminal of a fixed size, for tests and for output that is not a terminal. */
export function fixedTerminal(columns: number, rows: number): Terminal {
  const size = { columns, rows };
  return { size: () => size, subscribe: () => () => {} };
}

/** The size of a terminal stream (stdout), read again on each of its resize events. */
export function streamTerminal(stream: NodeJS.WriteStream): Terminal {
  const read = (): TerminalSize => ({ columns: stream.columns || 80, rows: stream.rows || 24 });
  let size = read();
  return {
    size: () => size,
    subscribe(listener) {
      const onResize = () => {
        size = read();
        listener();
      };
      stream.on('resize', onResize);
      return () => {
        stream.off('resize', onResize);
      };
    },
  };
}
