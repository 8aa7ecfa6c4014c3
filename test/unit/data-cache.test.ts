/**
 * The data cache (src/util/data-cache.ts) on a small made-up dataset: a file is used only when its format
 * version, source, length and checksum all match; anything else is rebuilt; a cache dir that cannot be
 * written still gives the data; processes converting at once leave one whole file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DATA_CACHE_VERSION, dataCacheDir, loadCached, readCachedPayload, type CachedData } from '../../src/util/data-cache.js';
import { ROOT, tmpDir } from '../helpers/tune.js';

/** Bytes 0..255 repeated, and a counter of how often the slow path ran. */
function toy(source = 'toy@1.0.0', size = 1000): CachedData<number[]> & { builds: number } {
  return {
    file: 'toy.bin',
    source,
    builds: 0,
    build() {
      this.builds++;
      return Uint8Array.from({ length: size }, (_, i) => i & 255);
    },
    decode: (payload) => Array.from(payload),
  };
}
const expected = (size = 1000) => Array.from({ length: size }, (_, i) => i & 255);

test('the first load builds and writes the file; the next reads it, payload 8-byte aligned after a header', () => {
  const dir = tmpDir('tune-cache-');
  const data = toy();
  assert.deepEqual(loadCached(data, dir), expected());
  assert.deepEqual(loadCached(data, dir), expected());
  assert.equal(data.builds, 1);
  const file = readFileSync(join(dir, 'toy.bin'));
  const nl = file.indexOf(10);
  assert.equal((nl + 1) % 8, 0);
  const header = JSON.parse(file.toString('utf8', 0, nl)) as Record<string, unknown>;
  assert.equal(header.version, DATA_CACHE_VERSION);
  assert.equal(header.source, 'toy@1.0.0');
  assert.equal(header.bytes, 1000);
  assert.match(String(header.sha256), /^[0-9a-f]{64}$/);
  assert.equal(file.length, nl + 1 + 1000);
});

test('a file made from another version of the source is rebuilt', () => {
  const dir = tmpDir('tune-cache-');
  loadCached(toy('toy@1.0.0'), dir);
  const newer = toy('toy@1.0.1');
  assert.deepEqual(loadCached(newer, dir), expected());
  assert.equal(newer.builds, 1);
  assert.ok(readCachedPayload(join(dir, 'toy.bin'), 'toy@1.0.1'));
  assert.equal(readCachedPayload(join(dir, 'toy.bin'), 'toy@1.0.0'), null);
});

test('a file of another format version is rebuilt', () => {
  const dir = tmpDir('tune-cache-');
  loadCached(toy(), dir);
  const path = join(dir, 'toy.bin');
  const file = readFileSync(path);
  const text = file.toString('latin1');
  const older = text.replace(`"version":${DATA_CACHE_VERSION},`, `"version":${DATA_CACHE_VERSION + 1},`);
  assert.notEqual(older, text);
  writeFileSync(path, Buffer.from(older, 'latin1'));
  const again = toy();
  assert.deepEqual(loadCached(again, dir), expected());
  assert.equal(again.builds, 1);
  assert.deepEqual(readFileSync(path), file);
});

test('a damaged file is never trusted: a flipped byte, a cut, a broken header, a malformed payload', () => {
  const dir = tmpDir('tune-cache-');
  const path = join(dir, 'toy.bin');
  loadCached(toy(), dir);
  const good = readFileSync(path);
  const damages: [string, (b: Buffer) => Buffer][] = [
    ['a payload byte flipped', (b) => { const c = Buffer.from(b); c[c.length - 500] ^= 0x10; return c; }],
    ['truncated', (b) => b.subarray(0, b.length - 1)],
    ['a byte added', (b) => Buffer.concat([b, Buffer.from([0])])],
    ['header not JSON', (b) => { const c = Buffer.from(b); c[0] = 0x41; return c; }],
    ['no header line', (b) => b.subarray(b.indexOf(10) + 1)],
    ['empty', () => Buffer.alloc(0)],
  ];
  for (const [what, damage] of damages) {
    writeFileSync(path, damage(good));
    const data = toy();
    assert.deepEqual(loadCached(data, dir), expected(), what);
    assert.equal(data.builds, 1, what);
    assert.deepEqual(readFileSync(path), good, `${what}: the file is made whole again`);
  }
});

test('a payload that passes its checksum but does not decode (an encoding changed without a version bump) is rebuilt', () => {
  const dir = tmpDir('tune-cache-');
  loadCached({ ...toy(), build: () => Uint8Array.from(expected(), (v) => (v + 1) & 255) }, dir);
  const strict = { ...toy(), builds: 0, decode: (p: Buffer) => { if (p[0] !== 0) throw new Error('not this encoding'); return Array.from(p); } };
  strict.build = function () { this.builds++; return Uint8Array.from(expected()); };
  assert.deepEqual(loadCached(strict, dir), expected());
  assert.equal(strict.builds, 1);
  assert.deepEqual(Array.from(readCachedPayload(join(dir, 'toy.bin'), 'toy@1.0.0') ?? []), expected());
});

test('a cache dir that cannot be written still gives the data and creates nothing', () => {
  const root = tmpDir('tune-cache-');
  writeFileSync(join(root, 'a-file'), '');
  const dir = join(root, 'a-file', 'cache'); // mkdir fails here even for root, unlike a chmod
  const data = toy();
  assert.deepEqual(loadCached(data, dir), expected());
  assert.deepEqual(loadCached(data, dir), expected());
  assert.equal(data.builds, 2);
  assert.deepEqual(readdirSync(root), ['a-file']);
});

test('where the cache lives: TUNE_CACHE_DIR, else $XDG_CACHE_HOME/tune when absolute, else ~/.cache/tune', () => {
  assert.equal(dataCacheDir({ TUNE_CACHE_DIR: '/x/y', XDG_CACHE_HOME: '/c' }), '/x/y');
  assert.equal(dataCacheDir({ XDG_CACHE_HOME: '/c' }), '/c/tune');
  assert.equal(dataCacheDir({ XDG_CACHE_HOME: 'relative' }), join(homedir(), '.cache', 'tune'));
  assert.equal(dataCacheDir({}), join(homedir(), '.cache', 'tune'));
});

test('processes converting at the same moment leave one whole file and no temporary ones', async (t) => {
  const dir = tmpDir('tune-cache-');
  const size = 8 << 20; // about MNIST's size, so the writes take long enough to overlap
  const script = join(tmpDir('tune-cache-script-'), 'child.mjs');
  writeFileSync(script, `import { loadCached } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'src', 'util', 'data-cache.js')).href)};
const size = ${size};
const data = loadCached({ file: 'toy.bin', source: 'toy@1.0.0', build: () => Uint8Array.from({ length: size }, (_, i) => (i * 31) & 255), decode: (p) => p }, process.argv[2]);
let ok = data.length === size;
for (let i = 0; ok && i < size; i++) ok = data[i] === ((i * 31) & 255);
process.stdout.write(ok ? 'ok' : 'wrong');
`);
  const run = () => new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, [script, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    p.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
  // Meanwhile a reader looks again and again: whenever the file is there, it is whole.
  const path = join(dir, 'toy.bin');
  let finished = false;
  const children = Promise.all([run(), run(), run()]).finally(() => (finished = true));
  let seen = 0;
  while (!finished) {
    if (existsSync(path)) {
      seen++;
      assert.ok(readCachedPayload(path, 'toy@1.0.0'), 'a reader found a partly written file');
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.deepEqual(await children, ['ok', 'ok', 'ok']);
  t.diagnostic(`the reader found the file ${seen} times while the writers ran`);
  assert.deepEqual(readdirSync(dir), ['toy.bin']);
  const payload = readCachedPayload(path, 'toy@1.0.0');
  assert.ok(payload && payload.length === size);
});
