import { Box, Static } from 'ink';
import { useRef, useState, useSyncExternalStore } from 'react';
import { FinishedLine } from './FinishedLine.js';
import { Footer, type Screen } from './Footer.js';
import { Header } from './Header.js';
import { Help } from './Help.js';
import type { TrialRow, ViewCommands, ViewSnapshot } from './snapshot.js';
import { TrialDetail } from './TrialDetail.js';
import { TrialTable } from './TrialTable.js';
import { visibleRows } from './table-layout.js';
import { useKeys } from './use-keys.js';
import { useNow } from './use-now.js';
import { useTerminalSize } from './use-terminal-size.js';

export interface SnapshotSource {
  getSnapshot(): ViewSnapshot;
  subscribe(listener: () => void): () => void;
}

export interface AppProps {
  readonly source: SnapshotSource;
  readonly commands: ViewCommands;
  readonly clock?: () => number;
}

const ENDED = new Set(['completed', 'stopped', 'failed']);

/**
 * The live view: finished trials go to <Static> once (they stay in the scrollback); the frame below holds
 * the header, the live trials (or one trial's details, or help) and the keys, never taller than the terminal.
 */
export function App({ source, commands, clock }: AppProps) {
  const s = useSyncExternalStore(source.subscribe, source.getSnapshot);
  const now = useNow(1000, clock);
  const { columns, rows: termRows } = useTerminalSize();
  const [screen, setScreen] = useState<Screen>('table');
  const [selectedId, setSelectedId] = useState<string | null>(null);

  // <Static> prints only items appended since its last render, so finished trials keep their finishing order.
  const finishedOrder = useRef<string[]>([]);
  for (const t of s.trials) if (ENDED.has(t.status) && !finishedOrder.current.includes(t.id)) finishedOrder.current.push(t.id);
  const byId = new Map(s.trials.map((t) => [t.id, t]));
  const finished = finishedOrder.current.map((id) => byId.get(id) as TrialRow);
  const live = s.trials.filter((t) => !ENDED.has(t.status));

  const headerLines = 4 + (s.pausing ? 1 : 0);
  const bodyHeight = Math.max(3, termRows - headerLines - 3);
  const ordered = visibleRows(live, null, Number.MAX_SAFE_INTEGER).rows;
  const selected = selectedId ? byId.get(selectedId) ?? null : null;
  const effectiveSelected = selected ? selected.id : ordered[0]?.id ?? null;

  useKeys({
    commands,
    screen,
    setScreen,
    selectedId: effectiveSelected,
    move: (delta) => {
      if (ordered.length === 0) return;
      const i = Math.max(0, ordered.findIndex((t) => t.id === effectiveSelected));
      setSelectedId(ordered[Math.max(0, Math.min(ordered.length - 1, i + delta))].id);
    },
  });

  const detailTrial = effectiveSelected ? byId.get(effectiveSelected) : undefined;
  return (
    <>
      <Static items={finished}>{(t) => <FinishedLine key={t.id} trial={t} metric={s.metric} />}</Static>
      <Box flexDirection="column" width={columns}>
        <Header snapshot={s} now={now} width={columns} />
        <Box marginTop={1} flexDirection="column">
          {screen === 'help' ? (
            <Help />
          ) : screen === 'detail' && detailTrial ? (
            <TrialDetail snapshot={s} trial={detailTrial} logTail={commands.logTail(detailTrial.id, 6)} width={columns} height={bodyHeight} />
          ) : (
            <TrialTable snapshot={s} rows={live} selectedId={effectiveSelected} width={columns} height={bodyHeight} />
          )}
        </Box>
        <Footer screen={screen} />
      </Box>
    </>
  );
}
