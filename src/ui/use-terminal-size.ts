import { useSyncExternalStore } from 'react';
import type { Terminal, TerminalSize } from './terminal.js';

/** The terminal's size, updated on resize (so the frame always stays narrower and shorter than the terminal). */
export function useTerminalSize(terminal: Terminal): TerminalSize {
  return useSyncExternalStore(terminal.subscribe, terminal.size);
}
