import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../src/spec/duration.js';

test('durations as written in a spec', () => {
  assert.equal(parseDuration('2h'), 7200);
  assert.equal(parseDuration('30m'), 1800);
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('1d2h'), 93600);
  assert.equal(parseDuration('0.5h'), 1800);
  assert.equal(parseDuration(45), 45);
  for (const bad of ['2 hours', '1h2h', '', 'h', '-1s', '0s', 0, -3, null, '10']) assert.equal(parseDuration(bad), null, String(bad));
  assert.equal(formatDuration(5400), '1h30m');
  assert.equal(formatDuration(90), '1m30s');
  assert.equal(formatDuration(1), '1s');
  assert.equal(formatDuration(0), '0s');
});
