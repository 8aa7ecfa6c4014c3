import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resumeLine, ROOT, runTune, sleep, startTune, tmpDir, treeHashes } from '../helpers/tune.js';

const YAML_WITHOUT = `# my schedule: comments survive a migrate
- name: change_lr   # halve it
  value: 0.5
  trigger_loss: 0.3
  max_wait_iters: 600

- {name: set_batch_size, value: 64, max_wait_iters: 900}
`;
const YAML_WITH = `- name: change_lr
  value: 0.5
  trigger_loss: 0.3
  completed: true
`;
const JSON_WITHOUT = `[
    {
        "name": "widen_mlp",
        "value": 8,
        "trigger_loss": 0.4,
        "reevaluate": true
    }
]
`;

function files(dir: string, map: Record<string, string>): void {
  for (const [name, text] of Object.entries(map)) writeFileSync(join(dir, name), text);
}

test('schedule validate: good files pass, broken ones are named with index, field and line; exit 2', async () => {
  const dir = tmpDir();
  files(dir, {
    'a.yaml': YAML_WITHOUT,
    'b.json': JSON_WITHOUT,
    'bad.yaml': '- name: change_lr\n  value: -1\n  trigger_loss: 0.3\n- name: chnage_lr\n  value: 0.5\n  max_wait_iters: 10\n  colour: red\n',
    'broken.json': '[{"name": "change_lr", "value": 0.5,}]',
    'notalist.yaml': 'name: change_lr\n',
  });
  const ok = await runTune(['schedule', 'validate', 'a.yaml', 'b.json'], dir);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: a\.yaml \(2 operations; some without completed: tune schedule migrate adds them\)$/m);
  assert.match(ok.stdout, /^ok: b\.json \(1 operations/m);
  const before = treeHashes(dir);
  const bad = await runTune(['schedule', 'validate', 'a.yaml', 'bad.yaml', 'broken.json', 'notalist.yaml'], dir);
  assert.equal(bad.code, 2);
  const lines = bad.stderr.trim().split('\n');
  assert.deepEqual(lines.slice(0, 3), [
    `tune: ${join(dir, 'bad.yaml')}:2: operation 0 (change_lr): value: is -1, but must be > 0 for change_lr`,
    `tune: ${join(dir, 'bad.yaml')}:7: operation 1 (chnage_lr): colour: unknown field; allowed: name, value, trigger_loss, max_wait_iters, desc, reevaluate, completed`,
    `tune: ${join(dir, 'bad.yaml')}:4: operation 1 (chnage_lr): name: unknown operation "chnage_lr"; did you mean "change_lr"?`,
  ]);
  assert.match(lines[3], new RegExp(`^tune: ${join(dir, 'broken.json')}:1: malformed JSON in the schedule`));
  assert.equal(lines[4], `tune: ${join(dir, 'notalist.yaml')}: a schedule must be a list of operations (found object)`);
  assert.deepStrictEqual(treeHashes(dir), before, 'validate writes nothing');
});

test('schedule migrate adds completed: false in YAML (comments kept) and JSON (indent and order kept), with backups', async () => {
  const dir = tmpDir();
  files(dir, { 'a.yaml': YAML_WITHOUT, 'b.json': JSON_WITHOUT, 'c.yaml': YAML_WITH });
  const r = await runTune(['schedule', 'migrate', '--dir', '.'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(dir, 'a.yaml'), 'utf8'), `# my schedule: comments survive a migrate
- name: change_lr   # halve it
  value: 0.5
  trigger_loss: 0.3
  max_wait_iters: 600
  completed: false

- {name: set_batch_size, value: 64, max_wait_iters: 900, completed: false}
`);
  assert.equal(readFileSync(join(dir, 'b.json'), 'utf8'), `[
    {
        "name": "widen_mlp",
        "value": 8,
        "trigger_loss": 0.4,
        "reevaluate": true,
        "completed": false
    }
]
`);
  assert.equal(readFileSync(join(dir, 'a.yaml.bak'), 'utf8'), YAML_WITHOUT);
  assert.equal(readFileSync(join(dir, 'b.json.bak'), 'utf8'), JSON_WITHOUT);
  assert.equal(readFileSync(join(dir, 'c.yaml'), 'utf8'), YAML_WITH, 'a file with every flag is left alone');
  assert.ok(!existsSync(join(dir, 'c.yaml.bak')));
  assert.match(r.stdout, /unchanged: .*c\.yaml/);
  // Idempotent, and --no-backup writes no .bak.
  const again = await runTune(['schedule', 'migrate', 'a.yaml', '--no-backup'], dir);
  assert.match(again.stdout, /unchanged: .*a\.yaml/);
  const dir2 = tmpDir();
  files(dir2, { 'x.yaml': YAML_WITHOUT });
  await runTune(['schedule', 'migrate', 'x.yaml', '--no-backup'], dir2);
  assert.deepEqual(readdirSync(dir2), ['x.yaml']);
});

test('schedule migrate with one broken file migrates nothing', async () => {
  const dir = tmpDir();
  files(dir, { 'a.yaml': YAML_WITHOUT, 'z.yaml': '- {name: change_lr, value: 0.5}\n' });
  const before = treeHashes(dir);
  const r = await runTune(['schedule', 'migrate', 'a.yaml', 'z.yaml'], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /z\.yaml:1: operation 0 \(change_lr\): has neither trigger_loss nor max_wait_iters/);
  assert.match(r.stderr, /nothing was migrated: fix these first/);
  assert.deepStrictEqual(treeHashes(dir), before);
});

test('schedule plan --trial spirals-mlp prints the operations in order and what they lead to', async () => {
  const dir = tmpDir();
  files(dir, { 'p.yaml': '- {name: change_lr, value: 0.5, trigger_loss: 0.3}\n- {name: widen_mlp, value: 16, max_wait_iters: 500}\n- {name: change_batch_size, value: 1.5, max_wait_iters: 100}\n' });
  const r = await runTune(['schedule', 'plan', 'p.yaml', '--trial', 'spirals-mlp', '--set', 'lr=0.2', '--set', 'batch_size=20'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], 'plan for spirals-mlp (chosen with --trial): tanh MLP 2-32-3 (195 params); lr=0.2 batch_size=20 grad_accum=1 weight_decay=0 warmup_iters=0 eval_interval=10');
  assert.match(r.stdout, /0\s+change_lr\s+0\.5\s+loss < 0\.3\s+lr 0\.2 → 0\.1/);
  assert.match(r.stdout, /1\s+widen_mlp\s+16\s+500 it after the previous\s+model 2-32-3 → 2-48-3; params 195 → 291/);
  assert.match(r.stdout, /2\s+change_batch_size\s+1\.5\s+100 it after the previous\s+batch_size 20 → 30/);
  assert.match(r.stdout, /^at the end: tanh MLP 2-48-3 \(291 params\); lr=0\.1 batch_size=30 /m);
});

test('schedule plan: the built-in named like the file, --trial, --set depth=2, and a spec with its fixed params', async () => {
  const dir = tmpDir();
  copyFileSync(join(ROOT, 'schedules', 'mnist-mlp.yaml'), join(dir, 'mnist-mlp.yaml'));
  copyFileSync(join(ROOT, 'schedules', 'names-gpt.yaml'), join(dir, 'grow.yaml'));
  files(dir, { 'spec.yaml': 'name: small\ntrial: {builtin: names-gpt, params: {embd: 32, heads: 2, lr: 0.01}, schedule: grow.yaml}\nsearch_space: {layers: {type: int, low: 1, high: 3}}\nmax_iters: 600\neval_interval: 50\n' });
  const before = treeHashes(dir);

  const inferred = await runTune(['schedule', 'plan', 'mnist-mlp.yaml'], dir);
  assert.equal(inferred.code, 0, inferred.stderr);
  const lines = inferred.stdout.split('\n');
  assert.equal(lines[0], 'plan for mnist-mlp (named by the schedule file; --trial or --spec to choose another): residual MLP 784-256-10, depth 1, inner width 256 (335,114 params); lr=0.001 batch_size=64 grad_accum=1 weight_decay=0.01 warmup_iters=0 eval_interval=10');
  assert.match(inferred.stdout, /0\s+widen_mlp\s+128\s+loss < 0\.2 or 500 it after the previous\s+inner width 256 → 384; params 335,114 → 400,778/);
  assert.match(inferred.stdout, /^at the end: residual MLP 784-256-10, depth 1, inner width 384 \(400,778 params\); lr=2\.50e-4 /m);

  const deeper = await runTune(['schedule', 'plan', 'mnist-mlp.yaml', '--trial', 'mnist-mlp', '--set', 'depth=2'], dir);
  assert.equal(deeper.code, 0, deeper.stderr);
  // 784·256 + 256 + 2·(2·256·256 + 256 + 256) + 256·10 + 10 = 466,698; with inner width 384, 2·(2·256·384 + 384 + 256): 598,026.
  assert.match(deeper.stdout, /^plan for mnist-mlp \(chosen with --trial\): residual MLP 784-256-10, depth 2, inner width 256 \(466,698 params\)/);
  assert.match(deeper.stdout, /^at the end: residual MLP 784-256-10, depth 2, inner width 384 \(598,026 params\)/m);

  const gpt = await runTune(['schedule', 'plan', 'grow.yaml', '--trial', 'names-gpt'], dir);
  assert.equal(gpt.code, 0, gpt.stderr);
  assert.match(gpt.stdout, /^at the end: GPT embd 64, heads 4, layers 3, block 16, MLP width 320, vocab 28 \(179,484 params\); lr=0\.0015 /m);

  const fromSpec = await runTune(['schedule', 'plan', 'grow.yaml', '--spec', 'spec.yaml'], dir);
  assert.equal(fromSpec.code, 0, fromSpec.stderr);
  assert.match(fromSpec.stdout, /^plan for names-gpt \(the trial of spec\.yaml\): GPT embd 32, heads 2, layers 2, block 16, MLP width 128, vocab 28 \([\d,]+ params\); lr=0\.01 .* eval_interval=50$/m);
  assert.match(fromSpec.stdout, /^the search space varies layers from trial to trial/m);
  assert.match(fromSpec.stdout, /0\s+stack_layers\s+1\s+.*layers 2 → 3/);
  assert.match(fromSpec.stdout, /^at the end: GPT embd 32, heads 2, layers 3, block 16, MLP width 192, vocab 28 .*; lr=0\.005 /m);
  assert.deepStrictEqual(treeHashes(dir), before, 'a plan writes nothing');
});

test('schedule plan without a built-in to follow plans the hyperparameters and says what model operations need', async () => {
  const dir = tmpDir();
  copyFileSync(join(ROOT, 'schedules', 'mlp-grow.json'), join(dir, 'mlp-grow.json'));
  files(dir, { 'cmd.yaml': 'name: c\ntrial: {command: [python3, t.py], params: {lr: 0.3}}\nsearch_space: {}\n' });
  const r = await runTune(['schedule', 'plan', 'mlp-grow.json', '--set', 'lr=0.2'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], 'plan for an unknown model (model operations need --trial BUILTIN or --spec SPEC): lr=0.2');
  assert.match(r.stdout, /0\s+widen_mlp\s+16\s+.*model unknown: not planned/);
  assert.match(r.stdout, /1\s+change_lr\s+0\.5\s+.*lr 0\.2 → 0\.1/);
  const command = await runTune(['schedule', 'plan', 'mlp-grow.json', '--spec', 'cmd.yaml'], dir);
  assert.equal(command.code, 0, command.stderr);
  assert.match(command.stdout, /^plan for a command trial, whose model is unknown \(the trial of cmd\.yaml; model operations are not planned\): lr=0\.3$/m);
  assert.match(command.stdout, /1\s+change_lr\s+0\.5\s+.*lr 0\.3 → 0\.15/);
});

test('schedule plan refuses bad input with one line and exit 2', async () => {
  const dir = tmpDir();
  copyFileSync(join(ROOT, 'schedules', 'mnist-mlp.yaml'), join(dir, 'mnist-mlp.yaml'));
  files(dir, { 'spec.yaml': 'name: s\ntrial: {builtin: mnist-mlp}\nsearch_space: {}\n' });
  const before = treeHashes(dir);
  const cases: [string[], string][] = [
    [['--set', 'dpeth=2'], 'tune: --set dpeth: mnist-mlp has no dpeth; did you mean "depth"?'],
    [['--set', 'depth=two'], 'tune: --set depth=two: depth must be a number, e.g. --set depth=1'],
    [['--set', 'hidden=0'], "tune: cannot plan mnist-mlp: mlp hidden is 0, but must be a whole number >= 1; fix it with --set KEY=VALUE or in the spec's trial.params"],
    [['--trial', 'mnist'], 'tune: --trial mnist: no such built-in trial; use mnist-mlp, names-gpt, spirals-mlp (did you mean "mnist-mlp"?)'],
    [['--trial', 'mnist-mlp', '--spec', 'spec.yaml'], 'tune: tune schedule plan takes --spec SPEC or --trial BUILTIN, not both: the spec names its own trial'],
    [['--spec', 'missing.yaml'], `tune: ${join(dir, 'missing.yaml')}: experiment spec not found; check the path`],
    [['--trial'], 'tune: --trial needs a value; see tune --help'],
  ];
  for (const [args, line] of cases) {
    const r = await runTune(['schedule', 'plan', 'mnist-mlp.yaml', ...args], dir);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.equal(r.stderr, `${line}\n`, args.join(' '));
    assert.equal(r.stdout, '');
  }
  assert.deepStrictEqual(treeHashes(dir), before);
});

test('tune train follows a schedule, writes completed flags back to the file (keeping .bak), and survives a pause', async () => {
  const dir = tmpDir();
  const schedule = '# decay twice\n- name: change_lr\n  value: 0.5\n  max_wait_iters: 300\n- name: change_lr\n  value: 0.5\n  max_wait_iters: 300\n  completed: false\n';
  files(dir, { 's.yaml': schedule, 'spec.yaml': 'name: single\ntrial: {builtin: spirals-mlp, params: {hidden: 16}}\nmax_iters: 200000\neval_interval: 100\n' });
  const run = startTune(['train', 'spec.yaml', '--schedule', 's.yaml', '--set', 'lr=0.05'], dir);
  const end = Date.now() + 20000;
  while (!readFileSync(join(dir, 's.yaml'), 'utf8').includes('completed: true') && Date.now() < end) await sleep(20);
  run.child.kill('SIGINT');
  const r = await run.result;
  assert.equal(r.code, 3, r.stderr);
  assert.equal(readFileSync(join(dir, 's.yaml.bak'), 'utf8'), schedule);
  const written = readFileSync(join(dir, 's.yaml'), 'utf8');
  assert.match(written, /^# decay twice\n- name: change_lr\n  value: 0\.5\n  max_wait_iters: 300\n  completed: true\n/);
  const cmd = resumeLine(r.stdout).split(' ');
  const resumed = startTune(cmd.slice(1), dir);
  // The second operation may already have fired before the pause landed; wait for the resumed run to be
  // under way (its signal handlers installed) before interrupting it.
  while (!/\] resumed /.test(resumed.stdoutSoFar()) && Date.now() < end) await sleep(20);
  while (!/completed: true[\s\S]*completed: true/.test(readFileSync(join(dir, 's.yaml'), 'utf8')) && Date.now() < end) await sleep(20);
  resumed.child.kill('SIGINT');
  assert.equal((await resumed.result).code, 3);
  assert.equal(readFileSync(join(dir, 's.yaml'), 'utf8'), schedule.replace('300\n- name', '300\n  completed: true\n- name').replace('completed: false', 'completed: true'));
});

test('tune train refuses a search space: it runs one configuration', async () => {
  const dir = tmpDir();
  files(dir, { 'spec.yaml': 'search_space: {lr: {type: uniform, low: 0, high: 1}}\n' });
  const r = await runTune(['train', 'spec.yaml'], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^tune: spec\.yaml: search_space: tune train runs one configuration; give fixed values in trial\.params or with --set KEY=VALUE/);
  assert.deepEqual(readdirSync(dir), ['spec.yaml']);
});
