import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BadInputError } from '../../errors.js';
import { trialIdOf, trialPaths } from '../../session/layout.js';
import { bestTrial, modelCheckpoint, type SessionState, type TrialRecord } from '../../session/state.js';
import { loadSessionState } from '../../session/store.js';
import { checkpointProblem, within } from '../../session/trial-files.js';
import { exportOnnx, type TensorSignature } from '../../train/export.js';
import { formatNumber } from '../../ui/format.js';
import { readTrainedModel, type TrainedModel } from '../../train/trainer.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { CliContext } from '../context.js';

export interface ExportOptions {
  dir: string;
  /** A trial id, or null for the best trial. */
  trial: string | null;
  onnx: string;
}

/** The built-in trials whose trainer is the ONNX one, by the model kind their checkpoints hold. */
const EXPORTABLE = { 'mnist-mlp': 'mlp', 'names-gpt': 'gpt' } as const;

/**
 * `tune export`: the trained model of one trial (the checkpoint of its best report when tune kept it, else
 * its final one, or the latest one of a trial that has not ended) as a forward-only ONNX model. Read-only
 * on the session, which may be someone else's: the checkpoint is resolved inside it, links out are refused,
 * and its bytes must match the recorded sha256.
 * FILE is replaced atomically when it exists, as export tools do.
 */
export function exportCommand(opts: ExportOptions, ctx: CliContext): number {
  const dir = resolve(ctx.cwd, opts.dir);
  const state = loadSessionState(dir);
  const t = chooseTrial(state, opts.trial);
  const builtin = exportableBuiltin(state, t);
  const out = outputFile(ctx.cwd, opts.onnx, dir);
  const model = trainedModel(dir, t, builtin);
  const exported = exportOnnx(model, { producer: 'tune export', builtin, session: state.id, trial: t.id });
  writeFileAtomic(out, exported.bytes);

  // The best trial is chosen by its best report; its model is that report's weights when they were kept.
  const chosen = opts.trial === null && t.best ? ` (the best by ${state.spec.metric}: ${formatNumber(t.best.value)} at iteration ${t.best.iteration})` : '';
  ctx.out(`wrote ${out} (${(exported.bytes.length / 1024).toFixed(0)} KiB): trial ${t.id}${chosen} of ${state.id}, ${builtin}, iteration ${model.iteration} (${whichCheckpoint(t, model.iteration)})`);
  const rows = [['input', exported.input], ['output', exported.output]] as const;
  const width = Math.max(...rows.map(([, s]) => signature(s).length));
  for (const [role, s] of rows) ctx.out(`  ${role.padEnd(6)} ${signature(s).padEnd(width)}  ${s.meaning}`);
  return 0;
}

function signature(s: TensorSignature): string {
  return `${s.name} ${s.dtype} [${s.shape.join(',')}]`;
}

function chooseTrial(state: SessionState, id: string | null): TrialRecord {
  if (id === null) {
    const best = bestTrial(state);
    if (!best) throw new BadInputError(`session ${state.id}: no trial has reported ${state.spec.metric} yet, so there is no best trial to export`);
    return best;
  }
  const wanted = trialIdOf(Number(id));
  const t = state.trials.find((x) => x.id === wanted);
  if (!t) {
    const ids = state.trials.map((x) => x.id);
    const known = ids.length === 0 ? 'it has no trials yet' : `its trials are ${ids[0]}${ids.length > 1 ? `-${ids[ids.length - 1]}` : ''}`;
    throw new BadInputError(`--trial ${id}: session ${state.id} has no trial ${wanted}; ${known}`);
  }
  return t;
}

function exportableBuiltin(state: SessionState, t: TrialRecord): keyof typeof EXPORTABLE {
  const trial = state.spec.trial;
  if ('command' in trial) {
    throw new BadInputError(`trial ${t.id} is a command trial (${trial.command.join(' ')}): tune export writes the built-in models (mnist-mlp, names-gpt); export your model from your own checkpoints`);
  }
  if (trial.builtin === 'spirals-mlp') {
    throw new BadInputError(`trial ${t.id} is a spirals-mlp trial, whose hand-written MLP has no ONNX graph yet: tune export writes mnist-mlp and names-gpt models`);
  }
  return trial.builtin;
}

/** Where to write: a file in an existing folder outside the session (export never writes into one). */
function outputFile(cwd: string, given: string, sessionDir: string): string {
  const out = resolve(cwd, given);
  if (existsSync(out) && statSync(out).isDirectory()) throw new BadInputError(`--onnx ${given}: is a folder; give a file name, e.g. ${join(given, 'model.onnx')}`);
  const folder = dirname(out);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new BadInputError(`--onnx ${given}: the folder ${folder} does not exist; create it first`);
  if (within(realpathSync(sessionDir), join(realpathSync(folder), basename(out)))) {
    throw new BadInputError(`--onnx ${given}: is inside the session ${sessionDir}; export never writes into a session, so write the model somewhere else`);
  }
  return out;
}

/** The trial's model checkpoint (modelCheckpoint), found and verified inside the session as a resume would, and read once. */
function trainedModel(sessionDir: string, t: TrialRecord, builtin: keyof typeof EXPORTABLE): TrainedModel {
  const c = modelCheckpoint(t);
  if (!c) {
    const where = t.iteration > 0 ? ` at iteration ${t.iteration}` : '';
    throw new BadInputError(`trial ${t.id} has no checkpoint (it is ${t.status}${where}), so it has no trained model to export; choose another with --trial ID`);
  }
  const problem = checkpointProblem(sessionDir, t.id, c);
  if (problem) throw new BadInputError(`${problem}; nothing was exported`);
  const file = join(trialPaths(sessionDir, t.id).dir, c.path);
  const bytes = readFileSync(file);
  // Hashed again as read: the bytes turned into the model are the ones recorded, even if the file changed since.
  if (createHash('sha256').update(bytes).digest('hex') !== c.sha256) throw new BadInputError(`${file}: checkpoint of trial ${t.id} changed while it was read; nothing was exported`);
  let model: TrainedModel;
  try {
    model = readTrainedModel(file, bytes);
  } catch (err) {
    throw new BadInputError(`${(err as Error).message}; nothing was exported`);
  }
  if (model.kind !== EXPORTABLE[builtin]) throw new BadInputError(`${file}: holds a ${model.kind} model, but the session's trials are ${builtin}; nothing was exported`);
  return model;
}

/** Says whether the checkpoint is that of the trial's best report, where the trial ended, or why neither. */
function whichCheckpoint(t: TrialRecord, iteration: number): string {
  if (t.bestCheckpoint && modelCheckpoint(t) === t.bestCheckpoint && iteration !== t.iteration) return 'the checkpoint of its best report';
  const ended = t.status === 'completed' || t.status === 'stopped';
  if (!ended) return `the latest checkpoint of a ${t.status} trial`;
  if (iteration >= t.iteration) return 'its final checkpoint';
  return `its last checkpoint; it trained to iteration ${t.iteration}, but this session was made before tune kept final checkpoints`;
}
