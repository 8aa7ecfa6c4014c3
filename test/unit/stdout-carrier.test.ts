import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PROTOCOL_LINE_BYTES } from '../../src/orchestrator/protocol-line-reader.js';
import { StdoutCarrier } from '../../src/orchestrator/stdout-carrier.js';
import { PROTOCOL_LINE_PREFIX } from '../../src/trial/protocol.js';
import { testRng } from '../helpers/tune.js';

// The stdout carrier (DESIGN §4): a trial's stdout holds its protocol lines, each behind the prefix, and its
// own output. tune must take out exactly the protocol lines, however the bytes are cut into chunks, and pass
// everything else through byte for byte, with the same 1 MiB line limit as the fd 3 carrier.

const P = PROTOCOL_LINE_PREFIX;
const SEED = Number(process.env.TUNE_TEST_SEED ?? Date.now() % 100000);

function carrier(limit?: number) {
  const got = { lines: [] as string[], output: [] as Buffer[], tooLong: 0 };
  const c = new StdoutCarrier({ line: (l) => got.lines.push(l), output: (b) => got.output.push(Buffer.from(b)), tooLong: () => got.tooLong++ }, P, limit);
  return { c, got, text: () => Buffer.concat(got.output).toString('utf8') };
}

/** Feeds `bytes` cut at `cuts` (sorted offsets), then ends the stream. */
function feed(bytes: Buffer, cuts: number[], limit?: number) {
  const k = carrier(limit);
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    k.c.push(bytes.subarray(at, cut));
    at = cut;
  }
  k.c.end();
  return { lines: k.got.lines, output: k.text(), tooLong: k.got.tooLong };
}

// The trial's own prints (one unfinished when a report comes, one with "\r" progress, text that starts like the
// prefix but is not it, characters of two and four bytes), interleaved with protocol lines.
const STREAM = Buffer.from(
  'epoch 1 starting\n' +
  'loss 0.5' + P + '{"type":"report","iteration":1,"metrics":{"val_loss":0.5}}\n' +
  ' (still epoch 1)\n' +
  'progress 10%\rprogress 20%\r\n' +
  '@@tune@ is not the prefix, nor is @@tune@@without its space\n' +
  P + '{"type":"checkpoint","iteration":1,"path":"größe📉.json"}\r\n' +
  P + '\n' +
  'tail without a newline @@tu',
  'utf8',
);
const LINES = ['{"type":"report","iteration":1,"metrics":{"val_loss":0.5}}', '{"type":"checkpoint","iteration":1,"path":"größe📉.json"}'];
const OUTPUT = 'epoch 1 starting\nloss 0.5 (still epoch 1)\nprogress 10%\rprogress 20%\r\n@@tune@ is not the prefix, nor is @@tune@@without its space\ntail without a newline @@tu';

test('protocol lines are taken out and the trial\'s own output passes through byte for byte, in one chunk', () => {
  assert.deepStrictEqual(feed(STREAM, []), { lines: LINES, output: OUTPUT, tooLong: 0 });
});

test('every cut into two chunks, and byte by byte, reads the same (the prefix and UTF-8 characters split across chunks)', () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    assert.deepStrictEqual(feed(STREAM, [cut]), { lines: LINES, output: OUTPUT, tooLong: 0 }, `cut at ${cut}`);
  }
  assert.deepStrictEqual(feed(STREAM, Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1)), { lines: LINES, output: OUTPUT, tooLong: 0 });
});

test(`random chunkings of a long interleaved stream read as written (seed ${SEED})`, () => {
  const rand = testRng(SEED);
  const parts: string[] = [];
  const lines: string[] = [];
  let output = '';
  for (let i = 0; i < 400; i++) {
    const own = `print ${i}${rand() < 0.3 ? '' : '\n'}`;
    parts.push(own);
    output += own;
    if (rand() < 0.5) {
      const line = JSON.stringify({ type: 'report', iteration: i, metrics: { val_loss: rand() } });
      parts.push(P + line + '\n');
      lines.push(line);
    }
  }
  const bytes = Buffer.from(parts.join(''), 'utf8');
  const cuts: number[] = [];
  for (let at = 0; at < bytes.length; at += 1 + Math.floor(rand() * 64)) cuts.push(at);
  assert.deepStrictEqual(feed(bytes, cuts), { lines, output, tooLong: 0 });
});

test('a protocol line keeps the 1 MiB limit: at the limit it is read, one byte over it is reported once and skipped', () => {
  const body = (n: number) => '{"x":"' + 'a'.repeat(n - 8) + '"}';
  const atLimit = body(MAX_PROTOCOL_LINE_BYTES);
  assert.equal(Buffer.byteLength(atLimit), MAX_PROTOCOL_LINE_BYTES);
  const ok = feed(Buffer.from(P + atLimit + '\n'), [], undefined);
  assert.deepStrictEqual(ok.lines, [atLimit]);
  const over = feed(Buffer.from('before\n' + P + body(MAX_PROTOCOL_LINE_BYTES + 1) + '\nafter\n' + P + '{"type":"done","iteration":1}\n'), [5, 1000, 70_000]);
  assert.deepStrictEqual(over, { lines: ['{"type":"done","iteration":1}'], output: 'before\nafter\n', tooLong: 1 });
});

test('a flood costs bounded memory: a protocol line without its newline holds at most the limit, the trial\'s own output nothing', () => {
  const limit = 4096;
  const k = carrier(limit);
  k.c.push(Buffer.from(P));
  const block = Buffer.alloc(1000, 'x');
  for (let i = 0; i < 2000; i++) {
    k.c.push(block);
    assert.ok(k.c.heldBytes <= limit, `held ${k.c.heldBytes} bytes after ${i + 1} KB`);
  }
  assert.equal(k.got.tooLong, 1, 'reported once');
  k.c.push(Buffer.from('\n'));
  assert.equal(k.c.heldBytes, 0);

  // Its own output, 2 MB without a newline: passed on as it comes, nothing kept but a possible prefix start.
  let passed = 0;
  const own = new StdoutCarrier({ line: () => assert.fail('no protocol line'), output: (b) => (passed += b.length), tooLong: () => assert.fail('not too long') }, P, limit);
  for (let i = 0; i < 2000; i++) {
    own.push(block);
    assert.ok(own.heldBytes < Buffer.byteLength(P));
  }
  assert.equal(passed, 2000 * 1000);
});
