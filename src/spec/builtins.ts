/**
 * What each built-in trial takes and reports: its hyperparameters (name, domain, default) and its metrics
 * (name, which direction is better). The defaults and the rules are the trainer's own (DEFAULT_HYPER and
 * HYPER_DOMAINS in train/hyper.ts, the models' sizes(), the spirals worker's SPIRALS_DEFAULTS), imported,
 * not restated; only the model-size domains are written here, and a unit test holds them to the models.
 * The spec's validation and `tune train --set` check every key against these before any session exists.
 */
import { HYPER_KEYS, SIZE_KEYS } from '../train/config-keys.js';
import type { ParamValue } from '../search/space.js';
import { bool, nonNegativeInt, positiveInt, type Domain } from '../train/domain.js';
import { DEFAULT_HYPER, HYPER_DOMAINS, resolveHyper, type Hyperparameters } from '../train/hyper.js';
import { gpt } from '../train/models/gpt.js';
import { mlp } from '../train/models/mlp.js';
import { readSpiralsHyper, SPIRALS_ALIAS, SPIRALS_DEFAULTS, SPIRALS_DOMAINS } from '../trial/spirals-hyper.js';
import { closest } from './problems.js';

export const BUILTINS = ['mnist-mlp', 'names-gpt', 'spirals-mlp'] as const;
export type Builtin = (typeof BUILTINS)[number];

export interface HyperDeclaration {
  readonly name: string;
  readonly domain: Domain;
  readonly default: ParamValue;
  /** Names other tools give it (nanoGPT's n_embd, Keras' learning_rate): offered as "did you mean", never accepted. */
  readonly seenAs?: readonly string[];
  /** How the start line of `tune train` names it; '' shows the value alone (adamw). */
  readonly label?: string;
  /** Always on the start line (the model's sizes, the main optimizer settings), not only when set. */
  readonly headline?: boolean;
}

export interface MetricDeclaration {
  readonly name: string;
  /** The direction in which the metric gets better: the default `mode` when it is the spec's metric. */
  readonly mode: 'min' | 'max';
  readonly seenAs?: readonly string[];
}

export interface BuiltinDeclaration {
  readonly name: Builtin;
  readonly hyper: readonly HyperDeclaration[];
  /** Second names the worker accepts for a hyperparameter (spirals-mlp: weight_decay for l2). */
  readonly aliases: Readonly<Record<string, string>>;
  /** Exactly what the worker reports at every validation boundary. */
  readonly metrics: readonly MetricDeclaration[];
  /**
   * The worker's own check of a whole configuration (the model's sizes(), resolveHyper), for rules that
   * tie two values together, such as a GPT's embd divisible by heads. Throws the worker's message.
   */
  checkConfig(config: Readonly<Record<string, ParamValue>>): void;
}

const SEEN_AS: Readonly<Record<string, readonly string[]>> = {
  lr: ['learning_rate', 'lr0', 'eta'],
  optimizer: ['optim', 'opt', 'solver'],
  batch_size: ['batch', 'bs', 'batchsize', 'mini_batch_size'],
  momentum: ['mom'],
  beta1: ['b1', 'adam_beta1'],
  beta2: ['b2', 'adam_beta2'],
  eps: ['epsilon', 'adam_eps', 'adam_epsilon'],
  weight_decay: ['wd', 'decay', 'l2', 'l2_reg'],
  grad_accum: ['gradient_accumulation_steps', 'accumulate_grad_batches', 'accum'],
  warmup_iters: ['warmup', 'warmup_steps', 'lr_warmup'],
  clip: ['grad_clip', 'max_grad_norm', 'clip_grad_norm', 'gradient_clip_val'],
  augment: ['augmentation', 'aug', 'data_augmentation'],
};

/** The trainer's hyperparameters that a trial config sets (eval_interval comes from the spec instead). */
function trainerHyper(defaults: Hyperparameters, keys: readonly (keyof Hyperparameters)[]): HyperDeclaration[] {
  const headline: Partial<Record<keyof Hyperparameters, string>> = { lr: 'lr', optimizer: '', batch_size: 'batch' };
  return keys.map((k) => ({
    name: k, domain: HYPER_DOMAINS[k], default: defaults[k], seenAs: SEEN_AS[k],
    ...(k in headline ? { headline: true, label: headline[k] } : {}),
  }));
}


function pick(config: Readonly<Record<string, ParamValue>>, keys: readonly string[]): Record<string, ParamValue> {
  return Object.fromEntries(keys.filter((k) => k in config).map((k) => [k, config[k]]));
}

const MLP_SIZES = mlp.sizes({});
const GPT_SIZES = gpt.sizes({});
const LOSS: MetricDeclaration = { name: 'val_loss', mode: 'min', seenAs: ['loss', 'validation_loss', 'valid_loss', 'eval_loss', 'val_error'] };
const ACCURACY: MetricDeclaration = { name: 'val_acc', mode: 'max', seenAs: ['acc', 'accuracy', 'val_accuracy', 'validation_accuracy', 'eval_accuracy'] };
const TRAIN_LOSS: MetricDeclaration = { name: 'train_loss', mode: 'min', seenAs: ['training_loss', 'loss_train'] };

const MNIST_MLP: BuiltinDeclaration = {
  name: 'mnist-mlp',
  hyper: [
    { name: 'hidden', domain: positiveInt, default: MLP_SIZES.hidden, headline: true, seenAs: ['width', 'hidden_size', 'hidden_dim', 'units'] },
    { name: 'depth', domain: nonNegativeInt, default: MLP_SIZES.depth, headline: true, seenAs: ['layers', 'n_layers', 'num_layers', 'blocks'] },
    ...trainerHyper(DEFAULT_HYPER.mlp, HYPER_KEYS.mlp),
  ],
  aliases: {},
  metrics: [LOSS, ACCURACY, TRAIN_LOSS],
  checkConfig(config) {
    mlp.sizes(pick(config, SIZE_KEYS.mlp));
    resolveHyper(DEFAULT_HYPER.mlp, pick(config, HYPER_KEYS.mlp) as Partial<Hyperparameters>);
  },
};

const NAMES_GPT: BuiltinDeclaration = {
  name: 'names-gpt',
  hyper: [
    { name: 'embd', domain: positiveInt, default: GPT_SIZES.embd, headline: true, seenAs: ['n_embd', 'd_model', 'embed', 'embedding_dim', 'hidden'] },
    { name: 'heads', domain: positiveInt, default: GPT_SIZES.heads, headline: true, seenAs: ['n_head', 'n_heads', 'num_heads'] },
    { name: 'layers', domain: nonNegativeInt, default: GPT_SIZES.layers, headline: true, seenAs: ['n_layer', 'n_layers', 'num_layers', 'depth'] },
    { name: 'block', domain: positiveInt, default: GPT_SIZES.block, headline: true, seenAs: ['block_size', 'context', 'context_length', 'seq_len'] },
    { name: 'tied', domain: bool, default: GPT_SIZES.tied, seenAs: ['tie_weights', 'weight_tying', 'tie_embeddings'] },
    // augment shifts images: the trainer accepts it for the GPT and does nothing with it, so it is left out.
    ...trainerHyper(DEFAULT_HYPER.gpt, HYPER_KEYS.gpt),
  ],
  aliases: {},
  metrics: [LOSS, TRAIN_LOSS],
  checkConfig(config) {
    gpt.sizes(pick(config, SIZE_KEYS.gpt));
    resolveHyper(DEFAULT_HYPER.gpt, pick(config, HYPER_KEYS.gpt) as Partial<Hyperparameters>);
  },
};

const SPIRALS_HEADLINE: Readonly<Record<string, string>> = { hidden: 'hidden', layers: 'layers', lr: 'lr', momentum: 'momentum', batch_size: 'batch' };
const SPIRALS_MLP: BuiltinDeclaration = {
  name: 'spirals-mlp',
  // The sizes first, as for the other built-ins.
  hyper: (['hidden', 'layers', 'lr', 'momentum', 'l2', 'batch_size', 'grad_accum', 'warmup_iters'] as const satisfies readonly (keyof typeof SPIRALS_DEFAULTS)[]).map((k) => ({
    name: k, domain: SPIRALS_DOMAINS[k], default: SPIRALS_DEFAULTS[k],
    seenAs: k === 'hidden' ? ['width', 'hidden_size', 'units'] : k === 'layers' ? ['depth', 'n_layers', 'num_layers'] : k === 'l2' ? ['wd', 'decay', 'l2_reg'] : SEEN_AS[k],
    ...(k in SPIRALS_HEADLINE ? { headline: true, label: SPIRALS_HEADLINE[k] } : {}),
  })),
  aliases: SPIRALS_ALIAS,
  metrics: [LOSS, ACCURACY, TRAIN_LOSS],
  checkConfig(config) {
    readSpiralsHyper(config, 1);
  },
};

const DECLARATIONS: Readonly<Record<Builtin, BuiltinDeclaration>> = { 'mnist-mlp': MNIST_MLP, 'names-gpt': NAMES_GPT, 'spirals-mlp': SPIRALS_MLP };

export function declarationOf(builtin: Builtin): BuiltinDeclaration {
  return DECLARATIONS[builtin];
}

/** The hyperparameter `key` sets (an accepted alias counts), or null when the built-in has none by that name. */
export function hyperOf(decl: BuiltinDeclaration, key: string): HyperDeclaration | null {
  const name = decl.aliases[key] ?? key;
  return decl.hyper.find((h) => h.name === name) ?? null;
}

export function metricOf(decl: BuiltinDeclaration, name: string): MetricDeclaration | null {
  return decl.metrics.find((m) => m.name === name) ?? null;
}

/**
 * The declared name `word` was probably meant to be: the same name in other case, a name other tools use
 * for it, or one a typo away. Null when nothing is close.
 */
export function suggestName(word: string, entries: readonly { name: string; seenAs?: readonly string[] }[]): string | null {
  const lower = word.toLowerCase();
  const exact = entries.find((e) => e.name.toLowerCase() === lower || e.seenAs?.includes(lower));
  if (exact) return exact.name;
  const byName = closest(word, entries.map((e) => e.name));
  if (byName || lower.length < 6) return byName;
  // A misspelt long name of another tool (learning_rte): short ones are too easily one another ("foo", "mom").
  const seen = entries.flatMap((e) => (e.seenAs ?? []).map((s) => [s, e.name] as const));
  const other = closest(lower, seen.map(([s]) => s));
  return other ? seen.find(([s]) => s === other)![1] : null;
}

/** "unknown hyperparameter for mnist-mlp; did you mean "lr"?", or the list of what it takes. */
export function unknownHyper(decl: BuiltinDeclaration, key: string): string {
  const guess = suggestName(key, decl.hyper);
  const what = `unknown hyperparameter for ${decl.name}`;
  return guess ? `${what}; did you mean "${guess}"?` : `${what}, which takes ${decl.hyper.map((h) => h.name).join(', ')}`;
}
