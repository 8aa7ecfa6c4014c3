import { Box, Text } from 'ink';

const LINES: [string, string][] = [
  ['p', 'pause the search: every trial stops at its next validation boundary, then tune prints the resume command'],
  ['Ctrl+C', 'the same as p; a second Ctrl+C quits at once'],
  ['q', 'quit at once: trials are killed and resume later from their last checkpoints'],
  ['space', 'pause the selected trial alone (at its next boundary), or let it run again'],
  ['↑ ↓', 'select a trial'],
  ['enter', "open the selected trial: its metrics chart and its log's tail"],
  ['esc', 'back to the table'],
  ['?', 'this help'],
];

export function Help() {
  return (
    <Box flexDirection="column">
      <Text bold>Keys</Text>
      {LINES.map(([k, d]) => (
        <Text key={k} wrap="truncate-end">
          <Text color="cyan">{k.padEnd(8)}</Text>
          {d}
        </Text>
      ))}
    </Box>
  );
}
