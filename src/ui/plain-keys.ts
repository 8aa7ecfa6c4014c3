import keypress from 'keypress';

export interface KeyHandlers {
  pause(): void;
  quit(): void;
  interrupt(): void;
}

/**
 * p / q / Ctrl+C for the plain reporter, when stdin is a terminal but stdout is not (tune … | tee log):
 * the same keys as the full UI, read with `keypress`. Returns the function that restores the terminal.
 */
export function listenForKeys(stdin: NodeJS.ReadStream, h: KeyHandlers): () => void {
  keypress(stdin);
  const onKey = (ch: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) => {
    if (key?.ctrl && key.name === 'c') h.interrupt();
    else if (ch === 'p') h.pause();
    else if (ch === 'q') h.quit();
  };
  stdin.on('keypress', onKey);
  stdin.setRawMode(true);
  stdin.resume();
  return () => {
    stdin.off('keypress', onKey);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
  };
}
