import type { Line } from './lines.js';

export type Screen = 'table' | 'detail' | 'help';

/** The keys of each screen, most needed first, so a narrow terminal cuts the least needed. */
const KEYS: Record<Screen, string> = {
  table: 'q quit · p pause all · enter details · ↑↓ select · space hold/run · ? help',
  detail: 'esc back · q quit · p pause all · ↑↓ other trial · space hold/run · ? help',
  help: 'esc or ? back · q quit · p pause all',
};

export function footerLine(screen: Screen): Line {
  return [{ text: KEYS[screen], dim: true }];
}
