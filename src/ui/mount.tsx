import { render } from 'ink';
import { App, type SnapshotSource } from './App.js';
import { guardStdout } from './frame-guard.js';
import type { ViewCommands } from './snapshot.js';

export interface MountedUi {
  /** Prints what finished last, then leaves the screen clean: the live frame goes, finished-trial lines stay. */
  close(): Promise<void>;
}

export function mountUi(source: SnapshotSource, commands: ViewCommands): MountedUi {
  // xterm cuts lines on a resize instead of re-wrapping them (GNU screen may too): erasing rows for
  // re-wrapped lines there would erase real output above the frame.
  const rewraps = !process.env.XTERM_VERSION && !process.env.STY;
  const guard = guardStdout(process.stdout, { rewraps });
  const app = (closing: boolean) => <App source={source} commands={commands} terminal={guard.terminal} closing={closing} />;
  // Ctrl+C arrives as a key in raw mode: Ink must not exit on it; we pause instead (LESSONS: ink).
  const ink = render(app(false), { stdout: guard.stdout, exitOnCtrlC: false, maxFps: 10, patchConsole: false });
  return {
    async close() {
      // The last snapshot (the source flushed it on stop) reaches <Static> before the frame goes: an
      // empty frame, drawn and flushed by unmount, leaves the last trial's ✓ line and nothing else.
      ink.rerender(app(true));
      ink.unmount();
      await ink.waitUntilExit().catch(() => undefined);
      guard.dispose();
    },
  };
}
