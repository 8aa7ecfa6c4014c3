import { render } from 'ink';
import { App, type SnapshotSource } from './App.js';
import { guardStdout } from './frame-guard.js';
import type { ViewCommands } from './snapshot.js';

export interface MountedUi {
  /** Prints what finished last, then leaves the screen clean: the live frame goes, finished-trial lines stay. */
  close(): Promise<void>;
}

export function mountUi(source: SnapshotSource, commands: ViewCommands): MountedUi {
  // xterm and GNU screen cut lines on a resize instead of re-wrapping them: nothing re-wrapped to erase.
  const rewraps = !process.env.XTERM_VERSION && !process.env.STY;
  const { stdout, terminal } = guardStdout(process.stdout, { rewraps });
  const app = (closing: boolean) => <App source={source} commands={commands} terminal={terminal} closing={closing} />;
  // Ctrl+C arrives as a key in raw mode: Ink must not exit on it; we pause instead (LESSONS: ink).
  const ink = render(app(false), { stdout, exitOnCtrlC: false, maxFps: 10, patchConsole: false });
  return {
    async close() {
      // The last snapshot (the source flushed it on stop) reaches <Static> before the frame goes: an
      // empty frame, drawn and flushed by unmount, leaves the last trial's ✓ line and nothing else.
      ink.rerender(app(true));
      ink.unmount();
      await ink.waitUntilExit().catch(() => undefined);
    },
  };
}
