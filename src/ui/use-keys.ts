import { useInput } from 'ink';
import type { ViewCommands } from './snapshot.js';
import type { Screen } from './Footer.js';

export interface KeyActions {
  readonly commands: ViewCommands;
  readonly screen: Screen;
  setScreen(s: Screen): void;
  move(delta: number): void;
  readonly selectedId: string | null;
}

/** Every key of the UI in one place, mapped to view changes or orchestrator commands. */
export function useKeys(a: KeyActions, isActive = true): void {
  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') return a.commands.interrupt();
      if (input === 'q') return a.commands.quit();
      if (input === 'p') return a.commands.pause();
      if (input === '?') return a.setScreen(a.screen === 'help' ? 'table' : 'help');
      if (key.escape) return a.setScreen('table');
      if (input === ' ' && a.selectedId) return a.commands.toggleTrialPause(a.selectedId);
      if (a.screen === 'help') return;
      if (key.upArrow || input === 'k') return a.move(-1);
      if (key.downArrow || input === 'j') return a.move(1);
      if (key.return && a.selectedId) return a.setScreen(a.screen === 'detail' ? 'table' : 'detail');
    },
    { isActive },
  );
}
