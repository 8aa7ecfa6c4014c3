import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { packStrings, unpackStrings } from '../../src/train/data/string-table.js';

test('a string table gives back the same strings, multi-byte and empty ones too, aligned or not', () => {
  const list = ['anna', '', 'zoë', 'łukasz', '日本', '😀x', 'bob'];
  const packed = Buffer.from(packStrings(list));
  assert.deepEqual(unpackStrings(packed), list);
  // At an odd offset its uint32 offsets cannot be viewed in place: the reader copies instead of failing.
  const shifted = Buffer.alloc(packed.length + 1);
  packed.copy(shifted, 1);
  assert.deepEqual(unpackStrings(shifted.subarray(1)), list);
  assert.deepEqual(unpackStrings(Buffer.from(packStrings([]))), []);
});

test('a string table whose lengths do not add up is refused', () => {
  const packed = Buffer.from(packStrings(['ab', 'cd']));
  assert.throws(() => unpackStrings(packed.subarray(0, packed.length - 1)), /offsets do not match/);
  assert.throws(() => unpackStrings(packed.subarray(0, 2)), /shorter than its count/);
  const huge = Buffer.from(packed);
  if (endianness() === 'LE') huge.writeUInt32LE(1000, 0);
  else huge.writeUInt32BE(1000, 0);
  assert.throws(() => unpackStrings(huge), /cannot hold 1000 offsets/);
});
