import { render } from 'ink';
import { App, type SnapshotSource } from './App.js';
import type { ViewCommands } from './snapshot.js';

export interface MountedUi {
  /** Leaves the screen clean: the live frame is erased, finished-trial lines stay in the scrollback. */
  close(): Promise<void>;
}

export function mountUi(source: SnapshotSource, commands: ViewCommands): MountedUi {
  // Ctrl+C arrives as a key in raw mode: Ink must not exit on it; we pause instead (LESSONS: ink).
  const ink = render(<App source={source} commands={commands} />, { exitOnCtrlC: false, maxFps: 10, patchConsole: false });
  return {
    async close() {
      ink.clear();
      ink.unmount();
      await ink.waitUntilExit().catch(() => undefined);
    },
  };
}
