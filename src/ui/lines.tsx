import { Text } from 'ink';
import { fitLine, type Line } from './text.js';

/**
 * Lines as Ink text, each cut to `width`: one terminal row per line, always. `wrap`: long lines continue on
 * the next rows instead (for lines printed once above the frame, which may take any height).
 */
export function Lines({ lines, width, wrap = false }: { readonly lines: readonly Line[]; readonly width: number; readonly wrap?: boolean }) {
  return (
    <>
      {lines.map((line, i) => (
        <Text key={i} wrap={wrap ? 'wrap' : 'truncate-end'}>
          {(wrap ? line : fitLine(line, width)).map((s, j) => (
            <Text key={j} color={s.color} bold={s.bold} dimColor={s.dim} inverse={s.inverse}>
              {s.text}
            </Text>
          ))}
          {line.length === 0 ? ' ' : null}
        </Text>
      ))}
    </>
  );
}
