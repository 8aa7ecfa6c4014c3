/**
 * `tune schedule plan`'s arithmetic, against answers worked out by hand from the model definitions
 * (parameter counts: every weight matrix and bias of src/train/models/*.ts), and the trial it follows.
 */
import '../helpers/private-tmp.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../src/errors.js';
import { planSchedule, type Plan } from '../../src/schedule/plan.js';
import { planTrial, type PlanTarget } from '../../src/schedule/plan-trials.js';
import { loadScheduleFile, parseSchedule } from '../../src/schedule/schedule-file.js';
import type { Operation } from '../../src/schedule/types.js';
import type { ParamValue } from '../../src/search/space.js';
import { validateSpec } from '../../src/spec/validate.js';
import { Trainer, type TrainerConfig } from '../../src/train/index.js';
import { ROOT } from '../helpers/tune.js';

/** The trial of a spec that fixes `params` (and evaluates every `evalInterval` iterations). */
function target(trial: { builtin: string } | { command: string[] }, params: Record<string, ParamValue> = {}, evalInterval = 10): PlanTarget {
  const spec = validateSpec({ trial: { ...trial, params }, search_space: {}, max_iters: 1000, eval_interval: evalInterval }, 'test', new Map(), 'test');
  return { trial: spec.trial, evalInterval: spec.eval_interval };
}

function shipped(name: string): Operation[] {
  return loadScheduleFile(join(ROOT, 'schedules', name)).ops;
}

function ops(...list: Record<string, unknown>[]): Operation[] {
  return parseSchedule(list, 'test', new Map()).ops;
}

function results(plan: Plan): string[] {
  return plan.steps.map((s) => {
    const o = s.outcome;
    if (o.kind === 'model') return `${o.before.text} | ${o.after.text} | ${o.before.params} → ${o.after.params}`;
    if (o.kind === 'hyper') return `${o.param} ${o.before} → ${o.after}`;
    if (o.kind === 'fails') return `fails: ${o.reason}`;
    return o.kind;
  });
}

// Residual MLP, hidden H, inner width F, depth D: stem 784H + H; a block HF + F + FH + H; head 10H + 10.
const mlpParams = (h: number, f: number, d: number) => 784 * h + h + d * (h * f + f + f * h + h) + 10 * h + 10;
// GPT, vocab 28, context 16, width C, MLP width F, L layers, untied head: wte 28C, wpe 16C; a block has two
// layer norms (4C), q/k/v/o (4(C² + C)), fc CF + F and proj FC + C; the final norm 2C; the head 28C + 28.
const gptParams = (c: number, f: number, l: number) => 28 * c + 16 * c + l * (4 * c + 4 * (c * c + c) + c * f + f + f * c + c) + 2 * c + 28 * c + 28;

test('mnist-mlp defaults through schedules/mnist-mlp.yaml: inner width 256 → 384, lr 0.001 → 0.00025', () => {
  const plan = planSchedule(shipped('mnist-mlp.yaml'), planTrial(target({ builtin: 'mnist-mlp' }), {}));
  assert.equal(plan.start.model?.text, 'residual MLP 784-256-10, depth 1, inner width 256');
  assert.equal(plan.start.model?.params, mlpParams(256, 256, 1));
  assert.equal(plan.start.model?.params, 335_114);
  assert.deepEqual(results(plan), [
    `residual MLP 784-256-10, depth 1, inner width 256 | residual MLP 784-256-10, depth 1, inner width 384 | 335114 → ${mlpParams(256, 384, 1)}`,
    'lr 0.001 → 0.0005',
    'lr 0.0005 → 0.00025',
  ]);
  assert.deepEqual(plan.end.model?.parts, { hidden: 256, depth: 1, 'inner width': 384 });
  assert.equal(plan.end.model?.params, 400_778);
  // The trainer's defaults for everything the schedule does not touch; eval_interval is the spec's.
  assert.deepEqual(plan.end.hyper, { lr: 0.00025, batch_size: 64, grad_accum: 1, weight_decay: 0.01, warmup_iters: 0, eval_interval: 10 });
});

test('names-gpt defaults through schedules/names-gpt.yaml: 3 layers, MLP width 320, lr 0.0015', () => {
  const plan = planSchedule(shipped('names-gpt.yaml'), planTrial(target({ builtin: 'names-gpt' }), {}));
  assert.deepEqual(plan.start.model?.parts, { embd: 64, heads: 4, layers: 2, block: 16, 'MLP width': 256, vocab: 28, tied: false });
  assert.equal(plan.start.model?.params, gptParams(64, 256, 2));
  assert.deepEqual(results(plan).map((r) => r.split(' | ').pop()), [
    `${gptParams(64, 256, 2)} → ${gptParams(64, 256, 3)}`,
    `${gptParams(64, 256, 3)} → ${gptParams(64, 320, 3)}`,
    'lr 0.003 → 0.0015',
  ]);
  assert.equal(plan.end.model?.text, 'GPT embd 64, heads 4, layers 3, block 16, MLP width 320, vocab 28');
  assert.equal(plan.end.model?.params, 179_484);
  assert.equal(plan.end.hyper.warmup_iters, 20, "the gpt trainer's own default");
});

test('spirals-mlp: lr, widen and batch size as the worker applies them; it cannot stack layers', () => {
  const trial = planTrial(target({ builtin: 'spirals-mlp' }), { lr: '0.2', batch_size: '20' });
  const plan = planSchedule(ops(
    { name: 'change_lr', value: 0.5, trigger_loss: 0.3 },
    { name: 'widen_mlp', value: 16, max_wait_iters: 500 },
    { name: 'change_batch_size', value: 1.5, max_wait_iters: 100 },
    { name: 'change_weight_decay', value: 2, max_wait_iters: 100 },
    { name: 'stack_layers', value: 1, max_wait_iters: 100 },
    { name: 'set_lr', value: 0.01, max_wait_iters: 100 },
  ), trial);
  // 2-32-3: 2·32 + 32 + 32·3 + 3 = 195; 2-48-3: 96 + 48 + 144 + 3 = 291.
  assert.deepEqual(results(plan), [
    'lr 0.2 → 0.1',
    'tanh MLP 2-32-3 | tanh MLP 2-48-3 | 195 → 291',
    'batch_size 20 → 30',
    'weight_decay 0 → 0',
    'fails: the spirals-mlp worker cannot apply stack_layers: its layers are not residual, so a new one would change the function; use widen_mlp',
    'not-reached',
  ]);
  assert.equal(plan.end.model?.text, 'tanh MLP 2-48-3');
  assert.deepEqual(plan.end.hyper, { lr: 0.1, batch_size: 30, grad_accum: 1, weight_decay: 0, warmup_iters: 0, eval_interval: 10 });
});

test('--set changes sizes and hyperparameters; the spec fixes them and sets the evaluation interval', () => {
  const plan = planSchedule(shipped('mnist-mlp.yaml'), planTrial(target({ builtin: 'mnist-mlp' }, { hidden: 128, lr: 0.004 }, 50), { depth: '2' }));
  assert.equal(plan.start.model?.text, 'residual MLP 784-128-10, depth 2, inner width 128');
  assert.equal(plan.end.model?.params, mlpParams(128, 256, 2));
  assert.equal(plan.end.hyper.lr, 0.001);
  assert.equal(plan.end.hyper.eval_interval, 50);
  const gpt = planSchedule(shipped('names-gpt.yaml'), planTrial(target({ builtin: 'names-gpt' }), { embd: '32', heads: '2', tied: 'true', eval_interval: '25' }));
  assert.equal(gpt.end.model?.text, 'GPT embd 32, heads 2, layers 3, block 16, MLP width 192, vocab 28, tied head');
  assert.equal(gpt.end.model?.params, gptParams(32, 192, 3) - 28 * 32, 'a tied head has no matrix of its own');
  assert.equal(gpt.end.hyper.eval_interval, 25);
});

test('--set: an unknown key suggests the nearest, a non-number is refused, a bad size names the rule', () => {
  const problems = (t: PlanTarget | null, set: Record<string, string>): string[] => {
    try {
      planTrial(t, set);
    } catch (err) {
      assert.ok(err instanceof BadInputError);
      return err.problems;
    }
    return [];
  };
  const mnist = target({ builtin: 'mnist-mlp' });
  assert.deepEqual(problems(mnist, { dpeth: '2', lr: 'fast' }), [
    '--set dpeth: mnist-mlp has no dpeth; did you mean "depth"?',
    '--set lr=fast: lr must be a number, e.g. --set lr=0.001',
  ]);
  assert.deepEqual(problems(mnist, { depth: '1.5' }), ['cannot plan mnist-mlp: mlp depth is 1.5, but must be a whole number >= 0; fix it with --set KEY=VALUE or in the spec\'s trial.params']);
  assert.deepEqual(problems(target({ builtin: 'names-gpt' }), { embd: '65' }), ['cannot plan names-gpt: gpt embd is 65, but must be divisible by heads (4); fix it with --set KEY=VALUE or in the spec\'s trial.params']);
  assert.deepEqual(problems(null, { hidden: '64' }), ['--set hidden: an unknown model has no hidden; it takes lr, batch_size, grad_accum, weight_decay, warmup_iters, eval_interval; model sizes need --trial BUILTIN or --spec SPEC']);
});

test('a model the plan cannot see: hyperparameters from what is given, model operations not planned', () => {
  const schedule = ops(
    { name: 'change_lr', value: 0.5, max_wait_iters: 10 },
    { name: 'widen_mlp', value: 8, max_wait_iters: 10 },
    { name: 'change_batch_size', value: 2, max_wait_iters: 10 },
    { name: 'set_batch_size', value: 48, max_wait_iters: 10, completed: true },
    { name: 'set_warmup_iters', value: 5, max_wait_iters: 10 },
  );
  const command = planSchedule(schedule, planTrial(target({ command: ['python3', 't.py'] }, { lr: 0.3 }), {}));
  assert.deepEqual(results(command), ['lr 0.3 → 0.15', 'model-unknown', 'batch_size undefined → undefined', 'skipped', 'warmup_iters undefined → 5']);
  assert.equal(command.start.model, null);
  // init_from: scratch fires every operation, whatever its completed flag.
  const scratch = planSchedule(schedule, planTrial(null, { batch_size: '16' }), { ignoreCompleted: true });
  assert.deepEqual(results(scratch).slice(2, 4), ['batch_size 16 → 32', 'batch_size 32 → 48']);
  assert.equal(scratch.end.hyper.lr, undefined);
});

/** What the plan calls each part of the model, by the trainer's name for that size. */
const PART_OF = {
  mlp: { hidden: 'hidden', depth: 'depth', ffn: 'inner width' },
  gpt: { embd: 'embd', heads: 'heads', layers: 'layers', block: 'block', ffn: 'MLP width', vocab: 'vocab', tied: 'tied' },
} as const;

const STARTS: { builtin: string; config: TrainerConfig; params: Record<string, ParamValue> }[] = [
  { builtin: 'mnist-mlp', config: { kind: 'mlp', seed: 1 }, params: {} },
  { builtin: 'mnist-mlp', config: { kind: 'mlp', seed: 1, sizes: { hidden: 64, depth: 2 }, hyper: { lr: 0.01, batch_size: 16 } }, params: { hidden: 64, depth: 2, lr: 0.01, batch_size: 16 } },
  { builtin: 'names-gpt', config: { kind: 'gpt', seed: 1 }, params: {} },
  { builtin: 'names-gpt', config: { kind: 'gpt', seed: 1, sizes: { embd: 32, heads: 2, layers: 1, tied: true }, hyper: { warmup_iters: 3 } }, params: { embd: 32, heads: 2, layers: 1, tied: true, warmup_iters: 3 } },
];

for (const file of readdirSync(join(ROOT, 'schedules')).sort()) {
  test(`${file}: the plan ends where a real Trainer ends when the operations are applied to it`, async () => {
    for (const start of STARTS) {
      const schedule = shipped(file);
      const evalInterval = 20;
      const plan = planSchedule(schedule, planTrial(target({ builtin: start.builtin }, start.params, evalInterval), {}));
      const trainer = Trainer.create({ ...start.config, hyper: { ...start.config.hyper, eval_interval: evalInterval } });
      try {
        for (const op of schedule) if (!op.completed) trainer.applyOperation(op);
        const label = `${file}, ${start.builtin} ${JSON.stringify(start.params)}`;
        const parts = PART_OF[start.config.kind] as Record<string, string>;
        const sizes = trainer.sizes as unknown as Record<string, unknown>;
        assert.deepEqual(plan.end.model?.parts, Object.fromEntries(Object.entries(parts).map(([size, part]) => [part, sizes[size]])), label);
        const params = [...trainer.parameterShapes().values()].reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0);
        assert.equal(plan.end.model?.params, params, label);
        for (const [k, v] of Object.entries(plan.end.hyper)) assert.equal(v, trainer.hyper[k as keyof typeof trainer.hyper], `${label}: ${k}`);
      } finally {
        await trainer.release();
      }
    }
  });
}
