import type { Line } from './text.js';

export type Screen = 'table' | 'detail' | 'help';

/** The keys of each screen, most needed first, so a narrow terminal cuts the least needed. */
const KEYS: Record<Screen, string> = {
  table: 'q quit · p pause all · enter details · ↑↓ select · space hold/run · ? help',
  detail: 'esc back · q quit · p pause all · ↑↓ other trial · space hold/run · ? help',
  help: 'esc or ? back · q quit · p pause all',
};

/** tune view changes nothing: only the keys that move around the view. */
const READ_ONLY: Record<Screen, string> = {
  table: 'read-only view · q quit · enter details · ↑↓ select · ? help',
  detail: 'read-only view · esc back · q quit · ↑↓ other trial · ? help',
  help: 'esc or ? back · q quit',
};

export function footerLine(screen: Screen, readOnly = false): Line {
  return [{ text: (readOnly ? READ_ONLY : KEYS)[screen], dim: true }];
}
