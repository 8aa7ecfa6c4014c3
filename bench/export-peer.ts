/**
 * An exported model read by a peer runtime: Python's onnxruntime, when /usr/bin/python3 has it, runs the
 * ONNX model `tune export` writes for a briefly trained mnist-mlp, and its logits are compared with the
 * trainer's own evaluation on the same 500 validation digits (largest difference, argmax agreement). When
 * the peer is absent the section says so (onnxruntime-node, which tune itself uses, is checked by the tests).
 * Writes bench/results/export-peer.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '../src/train/data/mnist.js';
import { exportOnnx } from '../src/train/export.js';
import { readTrainedModel, Trainer } from '../src/train/trainer.js';
import { machineBasics, runStandalone } from './standalone.js';

const RESULTS = resolve(fileURLToPath(new URL('.', import.meta.url)), 'results', 'export-peer.json');
const PYTHON = '/usr/bin/python3';
const ROWS = 500;

interface ExportPeerResult {
  machine: Record<string, unknown>;
  peer: string;
  /** Null when the peer is absent (then `why`). */
  max_abs_diff: number | null;
  argmax_agreement: number | null;
  rows: number;
  why: string | null;
}

const SCRIPT = `
import sys, numpy as np, onnxruntime as ort
model, images, out, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
x = np.fromfile(images, dtype=np.float32).reshape(rows, 784)
s = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
s.run(["logits"], {"image": x})[0].astype(np.float32).tofile(out)
print(ort.__version__)
`;

async function measureExportPeer(): Promise<ExportPeerResult> {
  const base = { machine: machineBasics(), rows: ROWS };
  const probe = spawnSync(PYTHON, ['-c', 'import onnxruntime, numpy; print(onnxruntime.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = (probe.stderr || probe.error?.message || 'not found').trim().split('\n').pop() ?? '';
    return { ...base, peer: `${PYTHON} onnxruntime: absent`, max_abs_diff: null, argmax_agreement: null, why: `${PYTHON} cannot import onnxruntime (${why}); nothing to compare here` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tune-export-peer-'));
  // ONNX Runtime leaves an empty mat-debug-<pid>.log in $TMPDIR: this one goes with the folder.
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const trainer = Trainer.create({ kind: 'mlp', seed: 1, sizes: { hidden: 64, depth: 1 }, hyper: { batch_size: 32 } });
    await trainer.trainSteps(50);
    const ckpt = join(dir, 'model.ckpt');
    trainer.save(ckpt);
    const ours = (await trainer.validationLogits()).slice(0, ROWS * 10);
    await trainer.release();
    const model = join(dir, 'model.onnx');
    writeFileSync(model, exportOnnx(readTrainedModel(ckpt, readFileSync(ckpt))).bytes);
    writeFileSync(join(dir, 'x.bin'), Buffer.from(loadMnist().val.x.slice(0, ROWS * 784).buffer));
    const run = spawnSync(PYTHON, ['-c', SCRIPT, model, join(dir, 'x.bin'), join(dir, 'y.bin'), String(ROWS)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`python onnxruntime failed: ${run.stderr}`);
    const raw = readFileSync(join(dir, 'y.bin'));
    const theirs = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    let maxDiff = 0;
    let agree = 0;
    for (let r = 0; r < ROWS; r++) {
      let a = 0;
      let b = 0;
      for (let k = 0; k < 10; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(ours[r * 10 + k] - theirs[r * 10 + k]));
        if (ours[r * 10 + k] > ours[r * 10 + a]) a = k;
        if (theirs[r * 10 + k] > theirs[r * 10 + b]) b = k;
      }
      if (a === b) agree++;
    }
    return { ...base, peer: `${PYTHON} onnxruntime ${run.stdout.trim()}`, max_abs_diff: maxDiff, argmax_agreement: agree / ROWS, why: null };
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatExportPeer(r: ExportPeerResult): string {
  return r.max_abs_diff === null
    ? `exported model in a peer runtime: ${r.why}`
    : `exported model in ${r.peer}: largest logit difference ${r.max_abs_diff.toExponential(2)} from the trainer's, argmax agrees on ${(r.argmax_agreement! * 100).toFixed(1)} % of ${r.rows} validation digits`;
}

export async function benchExportPeer(): Promise<void> {
  const result = await measureExportPeer();
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\n${formatExportPeer(result)}\nwrote ${RESULTS}\n`);
}

await runStandalone(import.meta.url, RESULTS, measureExportPeer, formatExportPeer);
