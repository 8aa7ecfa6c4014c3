import { Text } from 'ink';

export type Screen = 'table' | 'detail' | 'help';

const KEYS: Record<Screen, string> = {
  table: 'p pause all · space pause/run trial · ↑↓ select · enter details · ? help · q quit',
  detail: 'esc back · p pause all · space pause/run trial · ? help · q quit',
  help: 'esc or ? back',
};

export function Footer({ screen }: { readonly screen: Screen }) {
  return <Text dimColor wrap="truncate-end">{KEYS[screen]}</Text>;
}
