import { Box } from 'ink';
import { Lines } from './lines.js';
import type { TrialRow, ViewSnapshot } from './snapshot.js';
import { tableLines } from './table-layout.js';

export interface TrialTableProps {
  readonly snapshot: ViewSnapshot;
  readonly rows: readonly TrialRow[];
  readonly selectedId: string | null;
  readonly width: number;
  readonly height: number;
}

/** The live trials, one line each, in at most `height` lines and `width` columns. Display only. */
export function TrialTable({ snapshot, rows, selectedId, width, height }: TrialTableProps) {
  return (
    <Box flexDirection="column">
      <Lines lines={tableLines(snapshot, rows, selectedId, width, height)} width={width} />
    </Box>
  );
}
