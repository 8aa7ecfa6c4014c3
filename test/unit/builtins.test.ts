import '../helpers/private-tmp.js';
/**
 * The built-in trials' declarations: they agree with the workers' own checks and reports, the spec's mode
 * follows the declared direction of its metric, and a mistyped name gets the name that was meant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../src/errors.js';
import { BUILTINS, declarationOf, suggestName, type HyperDeclaration } from '../../src/spec/builtins.js';
import { describeTrial } from '../../src/spec/describe-trial.js';
import { scoreWord } from '../../src/spec/metric-direction.js';
import { validateSpec } from '../../src/spec/validate.js';
import { resolveHyper, DEFAULT_HYPER } from '../../src/train/hyper.js';
import { Trainer } from '../../src/train/index.js';
import { ROOT } from '../helpers/tune.js';
import { HYPER_KEYS, SIZE_KEYS } from '../../src/train/config-keys.js';

/** Values just inside and just outside a hyperparameter's declared domain. */
function probes(h: HyperDeclaration): { inside: unknown[]; outside: unknown[] } {
  const d = h.domain;
  switch (d.kind) {
    case 'int':
      return { inside: [d.min, d.min + 7], outside: [d.min - 1, d.min + 0.5, 'x'] };
    case 'real': {
      const low = d.minOpen ? [d.min + 1e-9] : [d.min];
      const outLow = d.minOpen ? [d.min] : [d.min - 1e-9];
      const high = d.max === undefined ? [] : d.maxOpen ? [d.max - 1e-9] : [d.max];
      const outHigh = d.max === undefined ? [] : d.maxOpen ? [d.max] : [d.max + 1e-9];
      return { inside: [...low, ...high], outside: [...outLow, ...outHigh, 'abc', true] };
    }
    case 'bool':
      return { inside: [true, false], outside: ['yes', 1] };
    case 'choice':
      return { inside: [...d.values], outside: ['adam', 1] };
  }
}

for (const builtin of BUILTINS) {
  const decl = declarationOf(builtin);
  test(`${builtin}: every declared domain is exactly what the worker's own check accepts, and the defaults pass it`, () => {
    assert.doesNotThrow(() => decl.checkConfig(Object.fromEntries(decl.hyper.map((h) => [h.name, h.default]))));
    for (const h of decl.hyper) {
      const { inside, outside } = probes(h);
      // A GPT's embd must also be divisible by heads: probed with one head, only its own domain counts.
      const base: Record<string, number> = h.name === 'embd' ? { heads: 1 } : {};
      for (const v of inside) assert.doesNotThrow(() => decl.checkConfig({ ...base, [h.name]: v as number }), `${h.name} = ${String(v)} is declared valid`);
      // The GPT takes any value of tied as a truth value ("false" would tie); the declaration holds it to true or false.
      if (h.name === 'tied') continue;
      for (const v of outside) assert.throws(() => decl.checkConfig({ ...base, [h.name]: v as number }), `${h.name} = ${String(v)} is declared invalid`);
    }
  });
}

test('mnist-mlp and names-gpt declare exactly the keys the trainer worker passes to the trainer', () => {
  const declared = (b: 'mnist-mlp' | 'names-gpt') => declarationOf(b).hyper.map((h) => h.name).sort();
  assert.deepEqual(declared('mnist-mlp'), [...SIZE_KEYS.mlp, ...HYPER_KEYS.mlp].sort());
  assert.deepEqual(declared('names-gpt'), [...SIZE_KEYS.gpt, ...HYPER_KEYS.gpt].sort());
});

test('mnist-mlp and names-gpt declare exactly the metrics their worker reports', async () => {
  for (const [builtin, kind, sizes] of [['mnist-mlp', 'mlp', { hidden: 8 }], ['names-gpt', 'gpt', { embd: 8, heads: 2, layers: 1 }]] as const) {
    const trainer = Trainer.create({ kind, seed: 1, sizes } as Parameters<typeof Trainer.create>[0]);
    // The worker reports the evaluation and the mean training loss since the last boundary.
    const reported = [...Object.keys(await trainer.evaluate()), 'train_loss'].sort();
    assert.deepEqual(declarationOf(builtin).metrics.map((m) => m.name).sort(), reported, builtin);
    await trainer.release();
  }
});

test('the declared defaults are the trainer\'s and the models\' own', () => {
  const mnist = Object.fromEntries(declarationOf('mnist-mlp').hyper.map((h) => [h.name, h.default]));
  assert.equal(mnist.lr, DEFAULT_HYPER.mlp.lr);
  assert.equal(mnist.batch_size, DEFAULT_HYPER.mlp.batch_size);
  const trainer = Trainer.create({ kind: 'mlp', seed: 1 });
  assert.equal(mnist.hidden, (trainer.sizes as { hidden: number }).hidden);
  assert.equal(mnist.depth, (trainer.sizes as { depth: number }).depth);
  const gpt = Object.fromEntries(declarationOf('names-gpt').hyper.map((h) => [h.name, h.default]));
  assert.equal(gpt.warmup_iters, DEFAULT_HYPER.gpt.warmup_iters);
});

/** The spec with one trial and no search, validated; its problems when it is refused. */
function check(over: Record<string, unknown>): { mode?: string; problems?: string[] } {
  try {
    return { mode: validateSpec({ search_space: {}, ...over }, 's.yaml', new Map(), 'x').mode };
  } catch (err) {
    if (err instanceof BadInputError) return { problems: err.problems };
    throw err;
  }
}

test('mode defaults to the declared direction of the metric', () => {
  assert.deepEqual(check({ trial: { builtin: 'mnist-mlp' }, metric: 'val_acc' }), { mode: 'max' });
  assert.deepEqual(check({ trial: { builtin: 'spirals-mlp' }, metric: 'val_acc' }), { mode: 'max' });
  assert.deepEqual(check({ trial: { builtin: 'mnist-mlp' }, metric: 'val_loss' }), { mode: 'min' });
  assert.deepEqual(check({ trial: { builtin: 'names-gpt' }, metric: 'train_loss' }), { mode: 'min' });
  assert.deepEqual(check({ metric: 'val_acc' }), { mode: 'max' }, 'no trial: mnist-mlp, which reports val_acc');
  assert.deepEqual(check({ trial: { builtin: 'mnist-mlp' }, metric: 'val_acc', mode: 'max' }), { mode: 'max' });
  assert.deepEqual(check({ trial: { builtin: 'mnist-mlp' }, metric: 'val_acc', mode: 'min' }), {
    problems: ['s.yaml: mode: is min, but val_acc of mnist-mlp is better when higher, so mode min would call the worst trial best; write mode: max, or leave mode out'],
  });
  assert.deepEqual(check({ trial: { builtin: 'names-gpt' }, metric: 'val_acc' }), {
    problems: ['s.yaml: metric: is "val_acc", but names-gpt reports val_loss, train_loss'],
  });
});

test('a command trial: min by default, but a score-like metric must say its mode', () => {
  const command = { command: ['python3', 'train.py'] };
  assert.deepEqual(check({ trial: command, metric: 'val_loss' }), { mode: 'min' });
  assert.deepEqual(check({ trial: command, metric: 'perplexity' }), { mode: 'min' });
  assert.deepEqual(check({ trial: command, metric: 'val_acc', mode: 'max' }), { mode: 'max' });
  assert.deepEqual(check({ trial: command, metric: 'f1', mode: 'min' }), { mode: 'min' }, 'a mode written out is taken as meant');
  const refused = check({ trial: command, metric: 'accuracy' });
  assert.equal(refused.problems?.length, 1);
  assert.match(refused.problems![0], /^s\.yaml: metric: is "accuracy", which reads as a score .*; add mode: max, or mode: min if lower is better$/);
});

test('score-like metric names are matched as whole words', () => {
  const cases: [string, string | null][] = [
    ['val_acc', 'acc'], ['accuracy', 'accuracy'], ['eval/f1Macro', 'f1'], ['recall@10', 'recall'], ['valAuc', 'auc'],
    ['mAP', 'ap'], ['MAP', 'map'], ['episode_reward', 'reward'], ['bleu4', 'bleu'], ['top5_accuracy', 'top5'], ['val_loss', null], ['accumulated_loss', null],
    ['perplexity', null], ['error_rate', null],
  ];
  for (const [metric, word] of cases) assert.equal(scoreWord(metric), word, metric);
});

test('did you mean: typos, other case, other tools\' names; nothing when nothing is close', () => {
  const mnist = declarationOf('mnist-mlp').hyper;
  const gpt = declarationOf('names-gpt').hyper;
  const cases: [readonly HyperDeclaration[], string, string | null][] = [
    [mnist, 'hiden', 'hidden'], [mnist, 'lrr', 'lr'], [mnist, 'LR', 'lr'], [mnist, 'learning_rate', 'lr'],
    [mnist, 'learning_rte', 'lr'], [mnist, 'width', 'hidden'], [mnist, 'layers', 'depth'], [mnist, 'batch', 'batch_size'],
    [mnist, 'optimiser', 'optimizer'], [gpt, 'n_embd', 'embd'], [gpt, 'n_head', 'heads'], [gpt, 'block_size', 'block'],
    [mnist, 'foo', null], [mnist, 'n', null], [mnist, 'dropout', null],
  ];
  for (const [decl, word, meant] of cases) assert.equal(suggestName(word, decl), meant, word);
  const metrics = declarationOf('mnist-mlp').metrics;
  assert.equal(suggestName('val_accuracy', metrics), 'val_acc');
  assert.equal(suggestName('accuracy', metrics), 'val_acc');
  assert.equal(suggestName('val_los', metrics), 'val_loss');
});

test('values are checked against the declared domain, ranges by their ends, lists value by value', () => {
  const mnist = (params: Record<string, unknown>, space: Record<string, unknown> = {}) => check({ trial: { builtin: 'mnist-mlp', params }, search_space: space }).problems ?? [];
  assert.deepEqual(mnist({ optimizer: 'adam' }), ['s.yaml: trial.params.optimizer: is "adam", but must be sgd or adamw']);
  assert.deepEqual(mnist({ lr: 'abc' }), ['s.yaml: trial.params.lr: is "abc", but must be a number > 0']);
  assert.deepEqual(mnist({ augment: 'yes' }), ['s.yaml: trial.params.augment: is "yes", but must be true or false']);
  assert.deepEqual(mnist({ depth: 0, momentum: 0, weight_decay: 0, clip: 0, warmup_iters: 0 }), [], 'every lower bound that is allowed');
  assert.deepEqual(mnist({}, { lr: { type: 'uniform', low: 0, high: 0.1 } }), ['s.yaml: search_space.lr.low: is 0, but lr must be a number > 0']);
  assert.deepEqual(mnist({}, { momentum: { type: 'uniform', low: 0.5, high: 1 } }), ['s.yaml: search_space.momentum.high: is 1, but momentum must be a number in [0, 1)']);
  assert.deepEqual(mnist({}, { hidden: { type: 'uniform', low: 16, high: 64 } }), ['s.yaml: search_space.hidden: is a uniform range of fractional numbers, but hidden must be a whole number >= 1; use type: int']);
  assert.deepEqual(mnist({}, { depth: { type: 'int', low: -1, high: 2 } }), ['s.yaml: search_space.depth.low: is -1, but depth must be a whole number >= 0']);
  assert.deepEqual(mnist({}, { optimizer: { type: 'choice', values: ['sgd', 'adam'] } }), ['s.yaml: search_space.optimizer.values.1: is "adam", but optimizer must be sgd or adamw']);
  assert.deepEqual(mnist({}, { augment: { type: 'grid', values: [true, false] }, 'schedule.0.value': { type: 'choice', values: [64, 128] } }), [], 'schedule keys are not hyperparameters');
});

test('rules between values are the worker\'s own, checked on every combination the search can propose', () => {
  const gpt = (params: Record<string, unknown>, space: Record<string, unknown> = {}) => check({ trial: { builtin: 'names-gpt', params }, search_space: space }).problems ?? [];
  assert.deepEqual(gpt({ heads: 5 }), ['s.yaml: trial.params: names-gpt cannot train heads 5: gpt embd is 64, but must be divisible by heads (5)']);
  assert.deepEqual(gpt({}, { embd: { type: 'choice', values: [30, 60] }, heads: { type: 'choice', values: [2, 3, 5] } }), []);
  const mixed = gpt({ layers: 1 }, { embd: { type: 'choice', values: [32, 48] }, heads: { type: 'grid', values: [2, 3] } });
  assert.equal(mixed.length, 1);
  assert.match(mixed[0], /^s\.yaml: search_space: names-gpt cannot train the configuration layers 1, embd 32, heads 3, which the search can propose: gpt embd is 32, but must be divisible by heads \(3\)$/);
});

test('a huge searched int range is checked at its ends, not listed value by value', () => {
  // Listing 10^12 values would never end: the check must not depend on the size of a range.
  assert.deepEqual(check({ trial: { builtin: 'mnist-mlp' }, search_space: { batch_size: { type: 'int', low: 1, high: 1e12 } } }), { mode: 'min' });
  assert.match(check({ trial: { builtin: 'names-gpt' }, search_space: { heads: { type: 'int', low: 1, high: 1e12 } } }).problems![0], /cannot train the configuration heads 1000000000000, /);
});

test('an accepted alias is one hyperparameter: spirals-mlp\'s weight_decay is its l2', () => {
  assert.deepEqual(check({ trial: { builtin: 'spirals-mlp', params: { weight_decay: 0.01 } } }), { mode: 'min' });
  assert.deepEqual(check({ trial: { builtin: 'spirals-mlp', params: { l2: 0.01, weight_decay: 0.01 } } }).problems, [
    's.yaml: trial.params.weight_decay: sets l2 of spirals-mlp, as trial.params.l2 does; keep one of them',
  ]);
});

test('the start line of a single run names the model, its sizes and main settings, and what was set', () => {
  const base = { checkpoint_every: 1, timeout: null, schedule: null, init_from: 'scratch', schedule_metric: 'val_loss' } as const;
  assert.equal(describeTrial({ builtin: 'mnist-mlp', params: {}, ...base }), `mnist-mlp (hidden 256, depth 1, lr ${DEFAULT_HYPER.mlp.lr}, adamw, batch 64)`);
  assert.equal(describeTrial({ builtin: 'mnist-mlp', params: { hidden: 128, weight_decay: 0.05, optimizer: 'sgd' }, ...base }), 'mnist-mlp (hidden 128, depth 1, lr 0.001, sgd, batch 64, weight_decay 0.05)');
  assert.equal(describeTrial({ builtin: 'names-gpt', params: {}, ...base }), 'names-gpt (embd 64, heads 4, layers 2, block 16, lr 0.003, adamw, batch 32)');
  assert.equal(describeTrial({ builtin: 'spirals-mlp', params: { weight_decay: 0.01 }, ...base }), 'spirals-mlp (hidden 32, layers 1, lr 0.1, momentum 0.9, l2 0.01, batch 32)');
  assert.equal(describeTrial({ command: ['python3', 'train.py'], params: { lr: 0.1 }, ...base }), 'python3 train.py (lr 0.1)');
});

test('resolveHyper keeps refusing a bad value with its name, value and rule', () => {
  assert.throws(() => resolveHyper(DEFAULT_HYPER.mlp, { optimizer: 'adam' as 'sgd' }), /^Error: hyperparameter optimizer is "adam", but must be sgd or adamw$/);
  assert.throws(() => resolveHyper(DEFAULT_HYPER.mlp, { lr: 0 }), /hyperparameter lr is 0, but must be a number > 0/);
  assert.throws(() => resolveHyper(DEFAULT_HYPER.mlp, { beta2: 1 }), /hyperparameter beta2 is 1, but must be a number in \[0, 1\)/);
});

test("a session's stored spec is not judged again by the declarations, so older sessions still resume", () => {
  // Accepted by tunes before the declarations: an lr range from 0, a user key, val_acc minimised.
  const old = { name: 'old', trial: { builtin: 'mnist-mlp', params: { note: 'mine' } }, search_space: { lr: { type: 'uniform', low: 0, high: 0.1 } }, metric: 'val_acc', mode: 'min' };
  assert.throws(() => validateSpec(old, 'spec.yaml', new Map(), 'old'), BadInputError);
  const spec = validateSpec(old, 'session.json (spec)', new Map(), 'session', undefined, { stored: true });
  assert.equal(spec.mode, 'min');
});
