import { Box, Static, useStdout } from 'ink';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { finishedLine } from './FinishedLine.js';
import { footerLine, type Screen } from './Footer.js';
import { headerLines } from './Header.js';
import { helpLines } from './Help.js';
import { Lines } from './lines.js';
import type { Line } from './text.js';
import type { TrialRow, ViewCommands, ViewSnapshot } from './snapshot.js';
import { detailLines } from './TrialDetail.js';
import { tableLines, visibleRows } from './table-layout.js';
import { streamTerminal, type Terminal } from './terminal.js';
import { useKeys } from './use-keys.js';
import { useNow } from './use-now.js';
import { useTerminalSize } from './use-terminal-size.js';

export interface SnapshotSource {
  getSnapshot(): ViewSnapshot;
  subscribe(listener: () => void): () => void;
  /** Keep the end of this trial's log in the snapshot (null: none); the source reads it, never the view. */
  followLog?(id: string | null): void;
}

export interface AppProps {
  readonly source: SnapshotSource;
  readonly commands: ViewCommands;
  readonly clock?: () => number;
  /** The terminal's size; the stdout Ink writes to when not given. */
  readonly terminal?: Terminal;
  /** The session is over: print what finished, draw no live frame. */
  readonly closing?: boolean;
}

const ENDED = new Set(['completed', 'stopped', 'failed']);

/**
 * The whole live frame as lines, at most `rows - 1` of them: Ink clears the screen and the scrollback
 * when a frame is as tall as the terminal. The body (table, details or help) gets what the header and the
 * keys leave; a short terminal drops the session's folder and the blank line first.
 */
function frameLines(parts: { header: (compact: boolean) => Line[]; body: (height: number) => Line[]; footer: Line }, rows: number): Line[] {
  const room = Math.max(1, rows - 1);
  const header = parts.header(room < 16);
  const gap = room - header.length - 1 >= 8 ? 1 : 0;
  const body = parts.body(Math.max(1, room - header.length - 1 - gap));
  return [...header, ...(gap ? [[]] : []), ...body, parts.footer].slice(0, room);
}

/**
 * The live view: finished trials go to <Static> once (they stay in the scrollback); the frame below holds
 * the header, the live trials (or one trial's details, or help) and the keys, never as tall as the terminal.
 */
export function App({ source, commands, clock, terminal, closing = false }: AppProps) {
  const s = useSyncExternalStore(source.subscribe, source.getSnapshot);
  const now = useNow(1000, clock);
  const { stdout } = useStdout();
  const fallback = useMemo(() => streamTerminal(stdout), [stdout]);
  const { columns, rows } = useTerminalSize(terminal ?? fallback);
  const [screen, setScreen] = useState<Screen>('table');
  const [selectedId, setSelectedId] = useState<string | null>(null);

  // <Static> prints only items appended since its last render, so finished trials keep their finishing order.
  const finishedOrder = useRef<string[]>([]);
  for (const t of s.trials) if (ENDED.has(t.status) && !finishedOrder.current.includes(t.id)) finishedOrder.current.push(t.id);
  const byId = new Map(s.trials.map((t) => [t.id, t]));
  const finished = finishedOrder.current.map((id) => byId.get(id) as TrialRow);
  const live = s.trials.filter((t) => !ENDED.has(t.status));

  const ordered = visibleRows(live, null, Number.MAX_SAFE_INTEGER).rows;
  const selected = selectedId ? byId.get(selectedId) ?? null : null;
  const effectiveSelected = selected ? selected.id : ordered[0]?.id ?? null;
  const detailTrial = effectiveSelected ? byId.get(effectiveSelected) : undefined;

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
  }, !closing);

  const followed = screen === 'detail' && detailTrial ? detailTrial.id : null;
  useEffect(() => {
    source.followLog?.(followed);
  }, [source, followed]);
  useEffect(() => () => source.followLog?.(null), [source]);

  const frame = closing ? [] : frameLines({
    header: (compact) => headerLines(s, now, columns, compact),
    body: (height) => screen === 'help'
      ? helpLines(s, height)
      : screen === 'detail' && detailTrial
        ? detailLines(s, detailTrial, s.log?.id === detailTrial.id ? s.log.lines : [], columns, height)
        : tableLines(s, live, effectiveSelected, columns, height),
    footer: footerLine(screen, s.readOnly === true),
  }, rows);
  return (
    <>
      <Static items={finished}>{(t) => <Lines key={t.id} lines={[finishedLine(t, s)]} width={columns} wrap />}</Static>
      {frame.length ? (
        <Box flexDirection="column">
          <Lines lines={frame} width={columns} />
        </Box>
      ) : null}
    </>
  );
}
