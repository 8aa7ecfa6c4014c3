import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { USAGE } from '../../src/cli/args.js';
import { ROOT } from '../helpers/tune.js';

// The README's list of commands is `tune --help`'s, two spaces less indented: it had drifted (no
// --launcher, no tune view, no tune ls) while the help grew.
test('the README lists the commands exactly as tune --help does', () => {
  const help = USAGE.split('\n');
  const from = help.findIndex((l) => l.startsWith('  tune [run]'));
  const to = help.findIndex((l) => l.startsWith('  tune --help'));
  const expected = help.slice(from, to + 1).map((l) => l.slice(2));
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const start = readme.findIndex((l) => l.startsWith('tune [run]'));
  assert.ok(start >= 0, 'README.md has the command list');
  assert.deepStrictEqual(readme.slice(start, start + expected.length), expected);
});
