/**
 * The trials a schedule plan can follow: where each one starts (its defaults, the spec's fixed params,
 * --set) and what each operation does to it, computed by the trial's own code wherever that code can be
 * imported: the ONNX trainer's resolveHyper and applyHyperOperation, and its model definitions' sizes, grow
 * and params, for mnist-mlp and names-gpt. The spirals worker is a program of its own (nothing to import),
 * so its few rules are mirrored here; a trial whose model is unknown gets the registry's hyperparameter rule.
 */
import { BadInputError } from '../errors.js';
import type { ParamValue } from '../search/space.js';
import { closest } from '../spec/problems.js';
import type { TrialSpec } from '../spec/types.js';
import { applyHyperOperation, DEFAULT_HYPER, resolveHyper, type Hyperparameters } from '../train/hyper.js';
import { gpt, type GptSizes } from '../train/models/gpt.js';
import { mlp, type MlpSizes } from '../train/models/mlp.js';
import { numel } from '../train/params.js';
import { mnistTask } from '../train/tasks/mnist.js';
import { namesTask } from '../train/tasks/names.js';
import type { Task } from '../train/tasks/types.js';
import { trainAndValidation } from '../trial/spiral-data.js';
import { grownSizes } from './grow-sizes.js';
import { SPIRALS_ALIAS, SPIRALS_DEFAULTS } from '../trial/spirals-hyper.js';
import { HYPER_KEYS, SIZE_KEYS } from '../train/config-keys.js';
import { applyToParam, HYPERPARAMETERS, operationSpec } from './operations.js';
import type { Operation } from './types.js';

/** The hyperparameters schedule operations act on, by their schedule names; undefined: not known. */
export type HyperValues = Readonly<Record<string, number | undefined>>;

/** A model at one point of a plan. */
export interface ModelShape {
  /** How it reads, e.g. "residual MLP 784-256-10, depth 1, inner width 256". */
  readonly text: string;
  /** Its parts by label, to show what an operation changed. */
  readonly parts: Readonly<Record<string, string | number | boolean>>;
  readonly params: number;
}

/** A trial as a plan follows it; S is what the trial remembers from one operation to the next. */
export interface PlanTrial<S> {
  /** What the plan is for: "mnist-mlp", "an unknown model", ... */
  readonly name: string;
  readonly start: S;
  /** The state after `op`, by the trial's own rules; throws, in the trial's words, where the trial would fail. */
  apply(state: S, op: Operation): S;
  /** Null when the model is not known (a command trial, or no trial chosen). */
  model(state: S): ModelShape | null;
  hyper(state: S): HyperValues;
}

/** What a plan starts from: the trial of a spec (or of --trial) and the spec's evaluation interval. */
export interface PlanTarget {
  readonly trial: TrialSpec;
  readonly evalInterval: number;
}

const SCHEDULED = HYPERPARAMETERS.map((h) => h.param);


const SPIRALS_INPUTS = 2;

/** The trial a plan follows: the target's built-in, or, for a command trial or no target, an unknown model. */
export function planTrial(target: PlanTarget | null, set: Readonly<Record<string, string>>): PlanTrial<unknown> {
  const trial = target?.trial;
  const params = trial?.params ?? {};
  if (!trial || !('builtin' in trial)) {
    const name = trial ? 'a command trial, whose model is unknown' : 'an unknown model';
    const hint = trial ? '' : '; model sizes need --trial BUILTIN or --spec SPEC';
    return unknownTrial(name, params, parseSet(set, Object.fromEntries(SCHEDULED.map((k) => [k, 0])), name, hint));
  }
  const evalInterval = target.evalInterval;
  switch (trial.builtin) {
    case 'mnist-mlp':
      return onnxTrial(trial.builtin, 'mlp', params, set, evalInterval);
    case 'names-gpt':
      return onnxTrial(trial.builtin, 'gpt', params, set, evalInterval);
    case 'spirals-mlp':
      return spiralsTrial(params, set, evalInterval);
  }
}

/**
 * --set KEY=VALUE read against the keys a trial takes (each with its default, whose type the value must
 * have). Every problem is one line; all are reported together.
 */
function parseSet(set: Readonly<Record<string, string>>, keys: Readonly<Record<string, ParamValue>>, who: string, hint = ''): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  const problems: string[] = [];
  for (const [key, text] of Object.entries(set)) {
    const example = keys[key];
    if (example === undefined) {
      const guess = closest(key, Object.keys(keys));
      problems.push(`--set ${key}: ${who} has no ${key}; ${guess ? `did you mean "${guess}"?` : `it takes ${Object.keys(keys).join(', ')}${hint}`}`);
    } else if (typeof example === 'number') {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) problems.push(`--set ${key}=${text}: ${key} must be a number, e.g. --set ${key}=${example || 1}`);
      else out[key] = n;
    } else if (typeof example === 'boolean') {
      if (text !== 'true' && text !== 'false') problems.push(`--set ${key}=${text}: ${key} must be true or false`);
      else out[key] = text === 'true';
    } else {
      out[key] = text;
    }
  }
  if (problems.length) throw new BadInputError(problems);
  return out;
}

/** Runs `make`, turning the trial's own complaint about its starting values into one line of bad input. */
function starting<T>(who: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    throw new BadInputError(`cannot plan ${who}: ${(err as Error).message}; fix it with --set KEY=VALUE or in the spec's trial.params`);
  }
}

function pick(config: Readonly<Record<string, ParamValue>>, keys: readonly string[]): Record<string, ParamValue> {
  return Object.fromEntries(keys.filter((k) => k in config).map((k) => [k, config[k]]));
}

interface OnnxState<Z> {
  readonly sizes: Z;
  readonly hyper: Hyperparameters;
}

/** mnist-mlp and names-gpt: the config split of the trainer worker, then the trainer's own rules. */
function onnxTrial(name: string, kind: 'mlp' | 'gpt', params: Readonly<Record<string, ParamValue>>, set: Readonly<Record<string, string>>, evalInterval: number): PlanTrial<OnnxState<MlpSizes>> | PlanTrial<OnnxState<GptSizes>> {
  const defaultSizes: Record<string, ParamValue> = { ...(kind === 'mlp' ? mlp.sizes({}) : gpt.sizes({})) };
  const keys = { ...pick(defaultSizes, SIZE_KEYS[kind]), ...pick({ ...DEFAULT_HYPER[kind] }, HYPER_KEYS[kind]), eval_interval: evalInterval };
  const overrides = parseSet(set, keys, name);
  const config = { ...params, ...overrides };
  const sizes = pick(config, SIZE_KEYS[kind]);
  // As the worker does: the spec's evaluation interval, unless --set names another.
  const hyper = { ...pick(config, HYPER_KEYS[kind]), eval_interval: overrides.eval_interval ?? evalInterval } as Partial<Hyperparameters>;
  if (kind === 'mlp') return followTrainer(name, kind, mnistTask(), sizes as Partial<MlpSizes>, hyper, describeMlp);
  // Checked before the data is cut into blocks of that length, as Trainer.create's model check would.
  const block = starting(name, () => gpt.sizes({ block: sizes.block as number | undefined }).block);
  return followTrainer(name, kind, namesTask(block), sizes as Partial<GptSizes>, hyper, describeGpt);
}

/** Starts as Trainer.create does and applies operations as Trainer.applyOperation does, parameters aside. */
function followTrainer<Z>(name: string, kind: 'mlp' | 'gpt', task: Task<Z>, sizes: Partial<Z>, hyper: Partial<Hyperparameters>, describe: (s: Z) => Omit<ModelShape, 'params'>): PlanTrial<OnnxState<Z>> {
  return {
    name,
    start: starting(name, () => ({ sizes: task.model.sizes(task.fixSizes(sizes)), hyper: resolveHyper(DEFAULT_HYPER[kind], hyper) })),
    apply: (s, op) =>
      operationSpec(op.name)?.kind === 'model'
        ? { ...s, sizes: grownSizes(task.model, s.sizes, op.name, op.value) }
        : { ...s, hyper: applyHyperOperation(s.hyper, op.name, op.value) },
    model: (s) => ({ ...describe(s.sizes), params: task.model.params(s.sizes).reduce((n, p) => n + numel(p.shape), 0) }),
    hyper: (s) => Object.fromEntries(SCHEDULED.map((k) => [k, s.hyper[k as keyof Hyperparameters] as number])),
  };
}

function describeMlp(s: MlpSizes): Omit<ModelShape, 'params'> {
  return {
    text: `residual MLP ${s.inputs}-${s.hidden}-${s.classes}, depth ${s.depth}, inner width ${s.ffn}`,
    parts: { hidden: s.hidden, depth: s.depth, 'inner width': s.ffn },
  };
}

function describeGpt(s: GptSizes): Omit<ModelShape, 'params'> {
  return {
    text: `GPT embd ${s.embd}, heads ${s.heads}, layers ${s.layers}, block ${s.block}, MLP width ${s.ffn}, vocab ${s.vocab}${s.tied ? ', tied head' : ''}`,
    parts: { embd: s.embd, heads: s.heads, layers: s.layers, block: s.block, 'MLP width': s.ffn, vocab: s.vocab, tied: s.tied },
  };
}

type SpiralsState = Readonly<Record<string, number>>;

/** spirals-mlp: the worker's readHyper and operation hook, mirrored (it is a program, not a module). */
function spiralsTrial(params: Readonly<Record<string, ParamValue>>, set: Readonly<Record<string, string>>, evalInterval: number): PlanTrial<SpiralsState> {
  const name = 'spirals-mlp';
  const keys: Record<string, ParamValue> = { ...SPIRALS_DEFAULTS, weight_decay: SPIRALS_DEFAULTS.l2, eval_interval: evalInterval };
  const overrides = parseSet(set, keys, name);
  const key = (k: string) => SPIRALS_ALIAS[k] ?? k;
  const start = starting(name, () => {
    const h: Record<string, number> = { ...SPIRALS_DEFAULTS, eval_interval: overrides.eval_interval as number | undefined ?? evalInterval };
    for (const [k, v] of Object.entries({ ...params, ...overrides })) {
      if (!(key(k) in SPIRALS_DEFAULTS)) continue; // the user's own keys: the worker ignores them
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`config ${k} is ${JSON.stringify(v)}, but the mlp worker needs a number`);
      h[key(k)] = v;
    }
    for (const k of ['batch_size', 'grad_accum', 'hidden', 'layers']) if (!Number.isInteger(h[k]) || h[k] < 1) throw new Error(`config ${k} is ${h[k]}, but must be a whole number >= 1`);
    if (h.lr <= 0) throw new Error(`config lr is ${h.lr}, but must be > 0`);
    return h;
  });
  const classes = trainAndValidation().train.classes;
  return {
    name,
    start,
    apply(h, op) {
      const spec = operationSpec(op.name);
      if (spec?.kind === 'model') {
        if (op.name !== 'widen_mlp') throw new Error(`the spirals-mlp worker cannot apply ${op.name}: its layers are not residual, so a new one would change the function; use widen_mlp`);
        return { ...h, hidden: h.hidden + op.value };
      }
      if (!spec?.param || !(key(spec.param) in h)) throw new Error(`the spirals-mlp worker cannot apply ${op.name}`);
      return { ...h, [key(spec.param)]: applyToParam(spec, h[key(spec.param)], op.value) };
    },
    model(h) {
      const sizes = [SPIRALS_INPUTS, ...Array.from({ length: h.layers }, () => h.hidden), classes];
      const shape = sizes.join('-');
      // Each layer: a weight matrix and a bias.
      const params = sizes.slice(1).reduce((n, out, i) => n + sizes[i] * out + out, 0);
      return { text: `tanh MLP ${shape}`, parts: { model: shape }, params };
    },
    hyper: (h) => Object.fromEntries(SCHEDULED.map((k) => [k, h[key(k)]])),
  };
}

/** A model the plan cannot see: hyperparameters start from the numbers given, and only those are followed. */
function unknownTrial(name: string, params: Readonly<Record<string, ParamValue>>, overrides: Readonly<Record<string, ParamValue>>): PlanTrial<HyperValues> {
  const given = { ...params, ...overrides };
  return {
    name,
    start: Object.fromEntries(SCHEDULED.map((k) => [k, typeof given[k] === 'number' ? given[k] : undefined])),
    apply(h, op) {
      const spec = operationSpec(op.name);
      if (!spec?.param) throw new Error(`${op.name} changes the model, which is unknown`);
      const current = h[spec.param];
      // set_* gives a known value even from an unknown one; change_* of an unknown value stays unknown.
      const after = spec.kind === 'set' ? applyToParam(spec, op.value, op.value) : current === undefined ? undefined : applyToParam(spec, current, op.value);
      return { ...h, [spec.param]: after };
    },
    model: () => null,
    hyper: (h) => h,
  };
}
