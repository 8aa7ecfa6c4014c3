import { Box, Text } from 'ink';
import type { ViewSnapshot, TrialRow } from './snapshot.js';
import { cells, layoutColumns, pad, STATUS_LOOK, statusKey, visibleRows } from './table-layout.js';

export interface TrialTableProps {
  readonly snapshot: ViewSnapshot;
  readonly rows: readonly TrialRow[];
  readonly selectedId: string | null;
  readonly width: number;
  readonly height: number;
}

/** The live trials, one line each, cut to fit the terminal. Display only. */
export function TrialTable({ snapshot, rows, selectedId, width, height }: TrialTableProps) {
  const { columns, hidden } = layoutColumns(rows, snapshot.params, snapshot.metric, snapshot.maxIters, width);
  const view = visibleRows(rows, selectedId, Math.max(1, height - 1));
  if (rows.length === 0) return <Text dimColor>no live trials</Text>;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate-end">
        {'  '}
        {columns.map((c) => pad(c.title, c)).join('  ')}
        {hidden > 0 ? <Text dimColor>{`  +${hidden} params`}</Text> : null}
      </Text>
      {view.above > 0 ? <Text dimColor>{`  ↑ ${view.above} more`}</Text> : null}
      {view.rows.map((r) => {
        const c = cells(r, snapshot.params, snapshot.metric, snapshot.maxIters);
        const look = STATUS_LOOK[statusKey(r)];
        const selected = r.id === selectedId;
        return (
          <Text key={r.id} inverse={selected} wrap="truncate-end">
            {selected ? '› ' : '  '}
            {columns.map((col, i) => (
              <Text key={col.key} color={col.key === 'status' ? look?.color : undefined}>
                {(i > 0 ? '  ' : '') + pad(c[col.key] ?? '', col)}
              </Text>
            ))}
          </Text>
        );
      })}
      {view.below > 0 ? <Text dimColor>{`  ↓ ${view.below} more`}</Text> : null}
    </Box>
  );
}
