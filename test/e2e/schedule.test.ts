import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { onlySession, ROOT, resultsJson, runTune, tmpDir, writeSpec } from '../helpers/tune.js';
import { loadScheduleFile } from '../../src/schedule/schedule-file.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'scheduled-trial.mjs');

interface Ev { type: string; id?: string; iteration?: number; fired?: number[] }
function events(dir: string): Ev[] {
  return readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Ev);
}

/** One trial, one schedule: halve the lr once the loss is below 1 (it is 9 at the start). */
async function runScheduled(killAt: 'never' | 'before' | 'after') {
  const cwd = tmpDir();
  writeFileSync(join(cwd, 'schedule.yaml'), '- {name: change_lr, value: 0.5, trigger_loss: 1.0, desc: halve}\n- {name: set_lr, value: 0.001, trigger_loss: 1e-9}\n');
  writeSpec(cwd, {
    name: 'sched',
    trial: { command: [process.execPath, FIXTURE], params: { kill_at: killAt }, schedule: 'schedule.yaml' },
    search_space: { lr: { type: 'grid', values: [0.05] } },
    searcher: 'grid',
    max_iters: 200,
    eval_interval: 10,
    concurrency: 1,
  });
  const r = await runTune(['spec.yaml'], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'sched');
  return { cwd, dir, doc: await resultsJson(dir, cwd), evs: events(dir), log: readFileSync(join(dir, 'trials', '0000', 'stdout.log'), 'utf8') };
}

test('an operation fires exactly once in the surviving run when its trial is SIGKILLed right after it, before or after its checkpoint', async () => {
  const clean = await runScheduled('never');
  const firedAt = clean.evs.filter((e) => e.type === 'report' && e.fired?.includes(0)).map((e) => e.iteration);
  assert.equal(firedAt.length, 1, 'fires once in a clean run');
  assert.equal(clean.doc.trials[0].last?.lr, 0.025);
  assert.match(clean.log, /^applied change_lr at \d+: lr 0\.025$/m);

  // Killed after applying it but before the checkpoint: the restarted trial starts from the checkpoint
  // before the operation, so the operation must fire again, and the run ends as the clean one did.
  const before = await runScheduled('before');
  assert.equal(before.doc.trials[0].failures, 1);
  assert.equal(before.evs.filter((e) => e.type === 'report' && e.fired?.includes(0)).length, 2, 'fired again after the restart');
  assert.ok(before.evs.some((e) => e.type === 'schedule_restored'), 'the schedule state went back with the checkpoint');
  assert.equal(before.doc.trials[0].last?.lr, 0.025, 'applied once to the model that survived, not twice (0.0125)');
  assert.deepStrictEqual(before.doc.trials[0].last, clean.doc.trials[0].last);

  // Killed after the checkpoint that includes it: the restart has it completed and never fires it again.
  const after = await runScheduled('after');
  assert.equal(after.doc.trials[0].failures, 1);
  assert.equal(after.evs.filter((e) => e.type === 'report' && e.fired?.includes(0)).length, 1, 'not fired again');
  assert.deepStrictEqual(after.doc.trials[0].last, clean.doc.trials[0].last);
  assert.equal((after.log.match(/applied change_lr/g) ?? []).length, 1);

  // The trial's own schedule file shows what happened.
  const copy = readFileSync(join(after.dir, 'trials', '0000', 'schedule.yaml'), 'utf8');
  assert.match(copy, /name: change_lr\n\s+value: 0\.5\n\s+trigger_loss: 1\n\s+desc: halve\n\s+completed: true/);
});

test('the schedule is part of the search: a choice of files and a searched trigger_loss, each trial with its own copy', async () => {
  const cwd = tmpDir();
  writeFileSync(join(cwd, 'a.yaml'), '- {name: change_lr, value: 0.5, trigger_loss: 5}\n');
  writeFileSync(join(cwd, 'b.json'), '[{"name": "set_lr", "value": 0.001, "trigger_loss": 5}, {"name": "change_lr", "value": 2, "max_wait_iters": 20}]\n');
  writeSpec(cwd, {
    name: 'searched',
    trial: { command: [process.execPath, FIXTURE] },
    search_space: {
      schedule: { type: 'grid', values: ['a.yaml', 'b.json'] },
      'schedule.0.trigger_loss': { type: 'grid', values: [5, 1e-12] },
    },
    searcher: 'grid',
    max_iters: 60,
    eval_interval: 10,
    concurrency: 2,
  });
  const r = await runTune(['spec.yaml'], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'searched');
  const doc = await resultsJson(dir, cwd);
  assert.deepEqual(doc.trials.map((t) => [t.config.schedule, t.config['schedule.0.trigger_loss']]), [['a.yaml', 5], ['a.yaml', 1e-12], ['b.json', 5], ['b.json', 1e-12]]);
  // The loss is below 5 at the first boundary, never below 1e-12. In b.json the second operation waits
  // for the first: operations fire in order, so with trigger 1e-12 neither fires.
  const lr = doc.trials.map((t) => t.last?.lr);
  assert.deepEqual(lr, [0.025, 0.05, 0.002, 0.05]);
  // Each trial's copy has the searched value written in and keeps its own format.
  assert.match(readFileSync(join(dir, 'trials', '0001', 'schedule.yaml'), 'utf8'), /trigger_loss: 1\.?e-12\n\s+completed: false/);
  const b = JSON.parse(readFileSync(join(dir, 'trials', '0002', 'schedule.json'), 'utf8')) as { completed: boolean }[];
  assert.deepEqual(b.map((o) => o.completed), [true, true]);
});

test('every example schedule in schedules/ is valid, runs on its built-in trial, and fires each operation once', async () => {
  const files = readdirSync(join(ROOT, 'schedules')).map((f) => join(ROOT, 'schedules', f));
  assert.ok(files.length >= 2);
  const v = await runTune(['schedule', 'validate', ...files], tmpDir());
  assert.equal(v.code, 0, v.stderr);
  // Each file on the trial it was written for, as small as that trial goes, for just long enough that every
  // operation fires by its max_wait_iters at the latest: what is proved is that the file runs on its trial
  // and that each operation is applied and written back once, not how well the model trains.
  const trialFor = (f: string) =>
    f.includes('names-gpt') ? { builtin: 'names-gpt', params: { embd: 8, heads: 2, layers: 1, batch_size: 4 } }
      : f.includes('mnist-mlp') ? { builtin: 'mnist-mlp', params: { hidden: 8, batch_size: 4 } }
        : { builtin: 'spirals-mlp', params: { hidden: 8, batch_size: 4 } };
  for (const f of files) {
    const cwd = tmpDir();
    const copy = join(cwd, basename(f));
    copyFileSync(f, copy);
    const ops = loadScheduleFile(copy).ops;
    const maxIters = ops.reduce((n, op) => n + (op.max_wait_iters ?? 0), 0) + 100;
    const spec = writeSpec(cwd, { name: 'every', trial: trialFor(f), search_space: {}, max_iters: maxIters, eval_interval: 50 });
    const r = await runTune(['train', spec, '--schedule', copy, '--no-backup'], cwd);
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    assert.deepEqual(loadScheduleFile(copy).ops.map((o) => o.completed), ops.map(() => true), `${f}: every operation fired and was written back`);
    const dir = onlySession(cwd, 'every');
    const fired = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('"type":"schedule_applied"').length - 1;
    assert.equal(fired, ops.length, `${f}: each operation applied once`);
  }
});
