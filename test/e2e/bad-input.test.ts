/**
 * Bad input never destroys data (DESIGN §5.4, §7): every malformed spec, session or checkpoint gets exit
 * code 2, problem lines that start with `tune: ` and name the file (and the field and line where known), no
 * resume command, and not one byte changed on disk.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { runTune, startTune, sessionDirFrom, tmpDir, treeHashes, writeSpec, sleep, type TuneResult } from '../helpers/tune.js';

const cleanup: string[] = [];
after(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const d = tmpDir(`tune-bad-${prefix}-`);
  cleanup.push(d);
  return d;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The outside contract of a refusal: exit 2, only `tune: ` lines on stderr, nothing on stdout. */
function assertRefused(r: TuneResult): string[] {
  assert.equal(r.code, 2, `exit code 2 expected, got ${r.code} (signal ${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, /--resume-session/, 'a refusal must not print a resume command');
  assert.equal(r.stdout, '', 'nothing may start, so nothing is reported on stdout');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 0, 'a refusal says why on stderr');
  for (const l of lines) assert.match(l, /^tune: /, `every problem line starts with "tune: ": ${JSON.stringify(l)}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, 'bad input is not an internal error with a stack');
  return lines;
}

/** Writes a spec into its own folder, runs `tune <abs spec>` from another (empty) folder, checks nothing changed. */
async function runBadSpec(text: string, name = 'spec.yaml', extraArgs: string[] = []) {
  const specDir = scratch('spec');
  const cwd = scratch('cwd');
  const file = writeSpec(specDir, text, name);
  const before = treeHashes(specDir);
  const r = await runTune([file, ...extraArgs], cwd);
  const lines = assertRefused(r);
  assert.deepStrictEqual(treeHashes(specDir), before, 'the spec folder is unchanged');
  assert.ok(!existsSync(join(specDir, 'sessions')), 'no sessions/ folder next to the spec');
  assert.deepStrictEqual(readdirSync(cwd), [], 'nothing created in the working directory');
  return { r, lines, file, specDir, cwd, f: esc(file) };
}

const lines = (...ls: string[]) => ls.join('\n') + '\n';

// ---------------------------------------------------------------------------------------------------------
// 1. The experiment spec
// ---------------------------------------------------------------------------------------------------------

describe('experiment spec and command line', { concurrency: 2 }, () => {
  test('spec: malformed YAML names the file and the line', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      'name: bad-yaml', //                                    1
      'trial:', //                                            2
      '  builtin: spirals-mlp', //                                    3
      ' params: {batch_size: 32}', //                         4  (neither under trial nor at the top)
      'search_space:', //                                     5
      '  lr: {type: uniform, low: 0.1, high: 0.5}', //        6
    ));
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}:4: malformed YAML in the experiment spec: bad indentation of a mapping entry$`));
  });

  test('spec: malformed JSON names the file, the line and the column', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      '{', //                                                                   1
      '  "name": "bad-json",', //                                               2
      '  "search_space": {"lr": {"type": "uniform", "low": 0.1, "high": 0.5}},', // 3
      '}', //                                                                   4  (trailing comma above)
    ), 'spec.json');
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}:4: malformed JSON in the experiment spec \\(column 1\\): Expected double-quoted property name$`));
    assert.doesNotMatch(out[0], /position \d+/, 'a character offset is no help to a person');
  });

  test('spec: a JSON file that ends too early says so at its last line', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      '{', //                                                                   1
      '  "name": "cut-short",', //                                              2
      '  "search_space": {"lr": {"type": "uniform", "low": 0.1, "high": 0.5}}', // 3
    ), 'spec.json');
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}:3: malformed JSON in the experiment spec.*ends before the JSON document does`));
  });

  test('spec: a spec that does not exist', async () => {
    const cwd = scratch('cwd');
    const missing = join(cwd, 'nope', 'experiment.yaml');
    const before = treeHashes(cwd);
    const r = await runTune([missing], cwd);
    const out = assertRefused(r);
    assert.deepStrictEqual(out, [`tune: ${missing}: experiment spec not found; check the path`]);
    assert.deepStrictEqual(treeHashes(cwd), before);
    assert.deepStrictEqual(readdirSync(cwd), [], 'neither the folder nor sessions/ were created');
  });

  test('spec: an unknown top-level field gets a "did you mean"', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: typo', //                                        1
      'search_space:', //                                     2
      '  lr: {type: uniform, low: 0.1, high: 0.5}', //        3
      'concurency: 2', //                                     4
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:4: concurency: unknown field; did you mean "concurrency"?`]);
  });

  test('spec (JSON): an unknown distribution type names field and line, with a suggestion', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      '{', //                                                 1
      '  "name": "dist-typo",', //                            2
      '  "search_space": {', //                               3
      '    "lr": {', //                                       4
      '      "type": "logunifrom",', //                       5
      '      "low": 0.001,', //                               6
      '      "high": 0.1', //                                 7
      '    }', //                                             8
      '  }', //                                               9
      '}', //                                                 10
    ), 'spec.json');
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}:5: search_space\\.lr\\.type: is "logunifrom", but must be one of uniform, loguniform, int, choice, grid \\(did you mean "loguniform"\\?\\)$`));
  });

  test('spec: loguniform with low <= 0', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      'name: log-zero', //                                    1
      'search_space:', //                                     2
      '  lr:', //                                             3
      '    type: loguniform', //                              4
      '    low: 0', //                                        5
      '    high: 0.1', //                                     6
    ));
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}:5: search_space\\.lr\\.low: is 0, but a loguniform range needs low > 0; use a small positive number like 1e-6$`));
  });

  test('spec: low above high', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: swapped', //                                     1
      'search_space:', //                                     2
      '  momentum:', //                                       3
      '    type: uniform', //                                 4
      '    low: 0.9', //                                      5
      '    high: 0.5', //                                     6
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:5: search_space.momentum.low: is 0.9, above high (0.5); swap them`]);
  });

  test('spec: an int range with fractional bounds', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: frac', //                                        1
      'search_space:', //                                     2
      '  depth: {type: int, low: 1.5, high: 3}', //           3
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:3: search_space.depth: has low 1.5 and high 3, but an int range needs whole numbers`]);
  });

  test('spec: a choice with no values', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      'name: empty-choice', //                                1
      'search_space:', //                                     2
      '  hidden:', //                                         3
      '    type: choice', //                                  4
      '    values: []', //                                    5
    ));
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}:5: search_space\\.hidden\\.values: is \\[\\], but must be a non-empty list like \\[32, 64, 128\\]$`));
  });

  test('spec: a field of the wrong type (concurrency: "two")', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: wrong-type', //                                  1
      'search_space:', //                                     2
      '  lr: {type: uniform, low: 0.1, high: 0.5}', //        3
      'concurrency: "two"', //                                4
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:4: concurrency: is "two", but must be a whole number; write it like 2`]);
  });

  test('spec: eval_interval above max_iters', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: never-evaluated', //                             1
      'search_space:', //                                     2
      '  lr: {type: uniform, low: 0.1, high: 0.5}', //        3
      'max_iters: 100', //                                    4
      'eval_interval: 250', //                                5
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:5: eval_interval: is 250, above max_iters (100); a trial would never be evaluated`]);
  });

  test('spec: the grid searcher over a continuous range', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: grid-cont', //                                   1
      'searcher: grid', //                                    2
      'search_space:', //                                     3
      '  hidden: {type: grid, values: [16, 32]}', //          4
      '  lr: {type: loguniform, low: 0.001, high: 0.1}', //   5
      'num_trials: 4', //                                     6  (size unknown: must not be judged against a made-up grid)
    ));
    assert.deepStrictEqual(out, [
      `tune: ${file}:5: search_space.lr: is a loguniform range, which the grid searcher cannot enumerate; use type: grid with values, or searcher: random`,
    ]);
  });

  test('spec: num_trials above the grid size', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: grid-small', //                                  1
      'searcher: grid', //                                    2
      'search_space:', //                                     3
      '  hidden: {type: grid, values: [16, 32, 64]}', //      4
      '  depth: {type: int, low: 1, high: 2}', //             5
      'num_trials: 7', //                                     6
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:6: num_trials: is 7, but the grid has only 6 points; leave num_trials out to run them all`]);
  });

  test('spec: num_trials above the grid size is still found next to an unrelated problem', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: grid-two-problems', //                           1
      'searcher: grid', //                                    2
      'concurrency: 0', //                                    3
      'search_space:', //                                     4
      '  hidden: {type: grid, values: [16, 32, 64]}', //      5
      'num_trials: 4', //                                     6
    ));
    assert.deepStrictEqual(out, [
      `tune: ${file}:3: concurrency: is 0, but must be >= 1`,
      `tune: ${file}:6: num_trials: is 4, but the grid has only 3 points; leave num_trials out to run them all`,
    ]);
  });

  test('spec: the grid searcher over a huge int range is refused, not enumerated until memory runs out', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      'name: grid-huge', //                                   1
      'searcher: grid', //                                    2
      'search_space:', //                                     3
      '  batch_size: {type: int, low: 1, high: 1000000001}', // 4
    ));
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}:4: search_space\\.batch_size: is an int range of 1000000001 values, too many for the grid searcher`));
  });

  test('spec: a trial with both builtin and command', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: both', //                                        1
      'trial:', //                                            2
      '  builtin: spirals-mlp', //                                    3
      '  command: [python3, train.py]', //                    4
      'search_space:', //                                     5
      '  lr: {type: uniform, low: 0.1, high: 0.5}', //        6
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:2: trial: has both builtin and command; keep one of them`]);
  });

  test('spec: a trial command whose program is not on the PATH', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      'name: no-program',
      'trial:',
      '  command: [tune-no-such-program-7f3a, train.py]',
      'search_space:',
      '  lr: {type: uniform, low: 0.1, high: 0.5}',
    ));
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}: trial\\.command: program "tune-no-such-program-7f3a" is not on the PATH; install it or give its path$`));
  });

  test('spec: a trial command path is resolved against the spec folder, not the working directory', async () => {
    // The script exists in the working directory but not next to the spec: it must still be "not found" (DESIGN §7).
    const specDir = scratch('spec');
    const cwd = scratch('cwd');
    mkdirSync(join(cwd, 'bin'));
    writeFileSync(join(cwd, 'bin', 'train.sh'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(cwd, 'bin', 'train.sh'), 0o755);
    const file = writeSpec(specDir, lines(
      'name: no-path',
      'trial:',
      '  command: [./bin/train.sh, --fast]',
      'search_space:',
      '  lr: {type: uniform, low: 0.1, high: 0.5}',
    ));
    const beforeSpec = treeHashes(specDir);
    const beforeCwd = treeHashes(cwd);
    const r = await runTune([file], cwd);
    const out = assertRefused(r);
    assert.deepStrictEqual(out, [
      `tune: ${file}: trial.command: program ./bin/train.sh not found (looked at ${join(specDir, 'bin', 'train.sh')}); paths in a spec are relative to the spec's folder`,
    ]);
    assert.deepStrictEqual(treeHashes(specDir), beforeSpec);
    assert.deepStrictEqual(treeHashes(cwd), beforeCwd);
    assert.ok(!existsSync(join(specDir, 'sessions')) && !existsSync(join(cwd, 'sessions')));
  });

  test('cli: an unknown option', async () => {
    const { lines: out } = await runBadSpec(lines(
      'name: fine',
      'search_space:',
      '  lr: {type: uniform, low: 0.1, high: 0.5}',
    ), 'spec.yaml', ['--concurency', '4']);
    assert.deepStrictEqual(out, ['tune: unknown option --concurency; see tune --help']);
  });

  test('spec: several problems in one file are all reported, one line each', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: many', //                                        1
      'concurency: 2', //                                     2
      'search_space:', //                                     3
      '  lr: {type: loguniform, low: -1, high: 0.1}', //      4
      '  hidden: {type: choice, values: []}', //              5
      'mode: maximum', //                                     6
      'max_iters: 10', //                                     7
      'eval_interval: 20', //                                 8
      'seed: 1.5', //                                         9
    ));
    assert.deepStrictEqual(out, [
      `tune: ${file}:2: concurency: unknown field; did you mean "concurrency"?`,
      `tune: ${file}:4: search_space.lr.low: is -1, but a loguniform range needs low > 0; use a small positive number like 1e-6`,
      `tune: ${file}:5: search_space.hidden.values: is [], but must be a non-empty list like [32, 64, 128]`,
      `tune: ${file}:6: mode: is "maximum", but must be one of min, max`,
      `tune: ${file}:8: eval_interval: is 20, above max_iters (10); a trial would never be evaluated`,
      `tune: ${file}:9: seed: is 1.5, but must be a whole number; write it like 0`,
    ]);
  });

  test('spec: searcher and scheduler options are checked like every other field, all at once', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: strategy', //                                                          1
      'search_space:', //                                                           2
      '  lr: {type: uniform, low: 0.1, high: 0.5}', //                              3
      'max_iters: 900', //                                                          4
      'searcher: {type: tpe, n_startup: 5, multivariate: yes please}', //           5
      'scheduler:', //                                                              6
      '  type: asha', //                                                            7
      '  reduction_factor: 1', //                                                   8
      '  grace_period: 0', //                                                       9
      '  variant: stoping', //                                                      10
    ));
    assert.deepStrictEqual(out, [
      `tune: ${file}:5: searcher.n_startup: unknown field; did you mean "n_startup_trials"?`,
      `tune: ${file}:5: searcher.multivariate: is "yes please", but must be true or false`,
      `tune: ${file}:10: scheduler.variant: is "stoping", but must be one of promotion, stopping (did you mean "stopping"?)`,
      `tune: ${file}:9: scheduler.grace_period: is 0, but must be >= 1`,
      `tune: ${file}:8: scheduler.reduction_factor: is 1, but must be >= 2`,
    ]);
  });

  test('spec: BOHB under any scheduler but Hyperband, an unknown strategy, a max_t that is not the budget', async () => {
    const bohb = await runBadSpec(lines('name: b', 'search_space: {momentum: {type: uniform, low: 0, high: 0.9}}', 'searcher: bohb', 'scheduler: asha'));
    assert.deepStrictEqual(bohb.lines, [`tune: ${bohb.file}:4: scheduler: is asha, but searcher bohb runs under scheduler: hyperband (BOHB is Hyperband's brackets with a model-based searcher); write scheduler: hyperband, or use searcher: tpe with scheduler: asha`]);
    const name = await runBadSpec(lines('name: b', 'search_space: {momentum: {type: uniform, low: 0, high: 0.9}}', 'searcher: tpee', 'scheduler: {type: hyperbnd}'));
    assert.deepStrictEqual(name.lines, [
      `tune: ${name.file}:3: searcher: is "tpee", but must be one of random, grid, tpe, bohb (did you mean "tpe"?)`,
      `tune: ${name.file}:4: scheduler.type: is "hyperbnd", but must be one of fifo, asha, hyperband (did you mean "hyperband"?)`,
    ]);
    const maxT = await runBadSpec(lines('name: b', 'search_space: {momentum: {type: uniform, low: 0, high: 0.9}}', 'max_iters: 300', 'scheduler: {type: hyperband, max_t: 200}'));
    assert.deepStrictEqual(maxT.lines, [`tune: ${maxT.file}:4: scheduler.max_t: is 200, but a trial's full budget is max_iters (300); leave max_t out, or change max_iters`]);
  });

  test('spec: no problem is invented from a default the user never wrote', async () => {
    // max_iters is wrong; eval_interval must not then be judged against the default max_iters (100).
    const { lines: out, file } = await runBadSpec(lines(
      'name: no-invented', //                                 1
      'search_space:', //                                     2
      '  lr: {type: uniform, low: 0.1, high: 0.5}', //        3
      'max_iters: lots', //                                   4
      'eval_interval: 200', //                                5
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:4: max_iters: is "lots", but must be a whole number; write it like 100`]);
  });

  test('spec: a spec without a name whose file name cannot name a folder', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      'search_space:',
      '  lr: {type: uniform, low: 0.1, high: 0.5}',
    ), 'my experiment.yaml');
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}: the spec has no name, and its file name "my experiment" cannot be used as one .*; add name: my-experiment$`));
  });
});

// ---------------------------------------------------------------------------------------------------------
// 1b. What a built-in trial declares: its hyperparameters, their values, its metrics
// ---------------------------------------------------------------------------------------------------------

describe('built-in trials: typos and bad values are refused before any session exists', { concurrency: 2 }, () => {
  /** `tune train ARGS` in an empty folder (or one holding only `files`): refused, and nothing created. */
  async function trainRefused(args: string[], files: Record<string, string> = {}) {
    const cwd = scratch('train');
    for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
    const before = treeHashes(cwd);
    const out = assertRefused(await runTune(['train', ...args], cwd));
    assert.deepStrictEqual(treeHashes(cwd), before, 'nothing created or changed: no sessions/ folder');
    return { out, cwd };
  }

  test('spec: a mistyped hyperparameter in search_space (hiden) names the field and the one meant', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: typo', //                                        1
      'trial: {builtin: mnist-mlp}', //                       2
      'search_space:', //                                     3
      '  hiden: {type: choice, values: [64, 128]}', //        4
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:4: search_space.hiden: unknown hyperparameter for mnist-mlp; did you mean "hidden"?`]);
  });

  test('spec: a value outside the domain in trial.params (optimizer: adam) says what is allowed', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: adam', //                                        1
      'trial:', //                                            2
      '  builtin: mnist-mlp', //                              3
      '  params:', //                                         4
      '    optimizer: adam', //                               5
      'search_space:', //                                     6
      '  lr: {type: loguniform, low: 0.001, high: 0.01}', //  7
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:5: trial.params.optimizer: is "adam", but must be sgd or adamw`]);
  });

  test('spec: a searched range that reaches outside the domain (lr from 0)', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: lr-zero', //                                     1
      'trial: {builtin: names-gpt}', //                       2
      'search_space:', //                                     3
      '  lr:', //                                             4
      '    type: uniform', //                                 5
      '    low: 0', //                                        6
      '    high: 0.01', //                                    7
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:6: search_space.lr.low: is 0, but lr must be a number > 0`]);
  });

  test('spec: a configuration the search can propose but the model cannot build (embd not divisible by heads)', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      'name: heads', //                                       1
      'trial: {builtin: names-gpt, params: {embd: 64}}', //   2
      'search_space:', //                                     3
      '  heads: {type: choice, values: [4, 6]}', //           4
    ));
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}:3: search_space: names-gpt cannot train the configuration embd 64, heads 6, which the search can propose: gpt embd is 64, but must be divisible by heads \\(6\\)$`));
  });

  test('spec: a metric the built-in never reports (val_accuracy) gets the one meant', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: never-reported', //                              1
      'trial: {builtin: mnist-mlp}', //                       2
      'search_space:', //                                     3
      '  lr: {type: loguniform, low: 0.001, high: 0.01}', //  4
      'metric: val_accuracy', //                              5
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:5: metric: is "val_accuracy", but mnist-mlp reports val_loss, val_acc, train_loss (did you mean "val_acc"?)`]);
  });

  test('spec: a mode against the metric\'s direction (val_acc, min) would call the worst trial best', async () => {
    const { lines: out, file } = await runBadSpec(lines(
      'name: wrong-way', //                                   1
      'trial: {builtin: spirals-mlp}', //                     2
      'search_space:', //                                     3
      '  lr: {type: loguniform, low: 0.01, high: 0.1}', //    4
      'metric: val_acc', //                                   5
      'mode: min', //                                         6
    ));
    assert.deepStrictEqual(out, [`tune: ${file}:6: mode: is min, but val_acc of spirals-mlp is better when higher, so mode min would call the worst trial best; write mode: max, or leave mode out`]);
  });

  test('spec: a command trial\'s score-like metric with no mode must say which way is better', async () => {
    const { lines: out, f } = await runBadSpec(lines(
      'name: score', //                                       1
      'trial: {command: [python3, train.py]}', //             2
      'search_space:', //                                     3
      '  lr: {type: loguniform, low: 0.001, high: 0.01}', //  4
      'metric: accuracy', //                                  5
    ));
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${f}:5: metric: is "accuracy", which reads as a score \\(accuracy: higher is better\\?\\), but mode is not given .*; add mode: max, or mode: min if lower is better$`));
  });

  test('train: --set of an unknown hyperparameter (lrr) gets the one meant', async () => {
    const { out } = await trainRefused(['--set', 'lrr=0.1']);
    assert.deepStrictEqual(out, ['tune: --set lrr=0.1: unknown hyperparameter for mnist-mlp; did you mean "lr"?']);
  });

  test('train: --set lr=abc must be a number', async () => {
    const { out } = await trainRefused(['--set', 'lr=abc']);
    assert.deepStrictEqual(out, ['tune: --set lr=abc: is "abc", but must be a number > 0']);
  });

  test('train: a bad --set value over a spec names the --set, not a line of the spec', async () => {
    const { out } = await trainRefused(['spec.yaml', '--set', 'hidden=2.5'], { 'spec.yaml': 'trial: {builtin: spirals-mlp, params: {hidden: 16}}\nmax_iters: 100\n' });
    assert.deepStrictEqual(out, ['tune: --set hidden=2.5: is 2.5, but must be a whole number >= 1']);
  });

  test('train: --set of a spec field tune train fixes says what to do instead; a bad run length names its --set', async () => {
    const trials = await trainRefused(['--set', 'num_trials=3']);
    assert.deepStrictEqual(trials.out, ['tune: --set num_trials=3: tune train runs one trial; search with tune SPEC']);
    const length = await trainRefused(['--set', 'max_iters=lots']);
    assert.deepStrictEqual(length.out, ['tune: --set max_iters=lots: is "lots", but must be a whole number; write it like 100']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// 2 and 3. A real paused session, copied for each case that damages it
// ---------------------------------------------------------------------------------------------------------

describe('session and checkpoint', { concurrency: 2 }, () => {
  let pausedSession = '';

  before(async () => {
    const dir = scratch('session');
    writeSpec(dir, lines(
      'name: bad-input-fixture',
      'trial: {builtin: spirals-mlp, params: {batch_size: 32}}',
      'search_space:',
      '  lr: {type: loguniform, low: 0.003, high: 0.3}',
      'searcher: random',
      'num_trials: 2',
      'max_iters: 2000',
      'eval_interval: 50',
      'concurrency: 2',
      'seed: 3',
      'sessions_root: runs',
    ));
    const run = startTune(['spec.yaml'], dir);
    const deadline = Date.now() + 20_000;
    // Both trials started: each pauses at its next validation boundary with a checkpoint.
    while (!/\[0001\] started/.test(run.stdoutSoFar())) {
      if (Date.now() > deadline || run.child.exitCode !== null) break;
      await sleep(20);
    }
    run.child.kill('SIGINT');
    const r = await run.result;
    assert.equal(r.code, 3, `the fixture session should pause (exit 3)\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    pausedSession = sessionDirFrom(r.stdout, dir);
    assert.ok(pausedSession.startsWith(join(dir, 'runs', 'bad-input-fixture', 'session_')), pausedSession);
    assert.ok(!existsSync(join(pausedSession, 'lock')), 'the paused session released its lock');
    const state = JSON.parse(readFileSync(join(pausedSession, 'session.json'), 'utf8')) as SessionJson;
    assert.equal(state.status, 'paused');
    const withCheckpoint = state.trials.filter((t) => t.status === 'paused' && t.checkpoint);
    assert.equal(withCheckpoint.length, 2, 'both trials paused with a checkpoint');
  });

  interface SessionJson {
    schema: number;
    status: string;
    trials: { id: string; status: string; checkpoint: { path: string; sha256: string; iteration: number } | null }[];
    [k: string]: unknown;
  }

  /** A fresh copy of the paused session (the original stays intact for the other cases), then damaged by `damage`. */
  function damagedCopy(damage: (dir: string) => void): string {
    const dir = join(scratch('copy'), 'session_copy');
    cpSync(pausedSession, dir, { recursive: true });
    damage(dir);
    return dir;
  }

  async function resumeRefused(dir: string, cwd = scratch('cwd')) {
    const before = existsSync(dir) ? treeHashes(dir) : null;
    const r = await runTune(['--resume-session', dir], cwd);
    const out = assertRefused(r);
    if (before) {
      assert.deepStrictEqual(treeHashes(dir), before, 'the session directory is unchanged');
      assert.ok(!existsSync(join(dir, 'lock')), 'no lock left behind');
      assert.ok(!existsSync(join(dir, 'pause.signal')));
    }
    assert.deepStrictEqual(readdirSync(cwd), [], 'nothing created in the working directory');
    return out;
  }

  test('session fixture: an undamaged copy reads as paused (the control for the cases below)', async () => {
    const dir = damagedCopy(() => {});
    const before = treeHashes(dir);
    const r = await runTune(['results', dir, '--json'], scratch('cwd'));
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { status: string; trials: { id: string; status: string }[] };
    assert.equal(doc.status, 'paused');
    assert.deepStrictEqual(doc.trials.map((t) => [t.id, t.status]), [['0000', 'paused'], ['0001', 'paused']]);
    assert.deepStrictEqual(treeHashes(dir), before);
  });

  test('session: --resume-session on a folder that does not exist', async () => {
    const parent = scratch('missing');
    const dir = join(parent, 'session_20200101_000000_abcdef');
    const out = await resumeRefused(dir);
    assert.deepStrictEqual(out, [`tune: ${dir}: no such session directory; check the path printed when the session paused`]);
    assert.deepStrictEqual(readdirSync(parent), [], 'the missing folder was not created');
  });

  test('session: --resume-session on a folder without session.json', async () => {
    const dir = damagedCopy((d) => unlinkSync(join(d, 'session.json')));
    const out = await resumeRefused(dir);
    assert.deepStrictEqual(out, [`tune: ${dir}: not a tune session (session.json is missing); point --resume-session at a folder named session_*`]);
  });

  test('session: session.json that is not JSON', async () => {
    const dir = damagedCopy((d) => {
      const p = join(d, 'session.json');
      const text = readFileSync(p, 'utf8');
      writeFileSync(p, text.slice(0, Math.floor(text.length / 2))); // cut in half, as by a bad copy
    });
    const out = await resumeRefused(dir);
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${esc(join(dir, 'session.json'))}: is not valid JSON \\(.+\\); it may have been edited by hand — restore it from a backup$`));
  });

  test('session: session.json of a newer schema version (99)', async () => {
    const dir = damagedCopy((d) => {
      const p = join(d, 'session.json');
      const s = JSON.parse(readFileSync(p, 'utf8')) as SessionJson;
      s.schema = 99;
      writeFileSync(p, JSON.stringify(s, null, 1) + '\n');
    });
    const out = await resumeRefused(dir);
    assert.deepStrictEqual(out, [`tune: ${join(dir, 'session.json')}: schema is 99, but this tune reads sessions up to schema 2; upgrade tune to resume it`]);
  });

  test('session: session.json missing a required field (trials)', async () => {
    const dir = damagedCopy((d) => {
      const p = join(d, 'session.json');
      const s = JSON.parse(readFileSync(p, 'utf8')) as SessionJson;
      delete (s as Partial<SessionJson>).trials;
      writeFileSync(p, JSON.stringify(s, null, 1) + '\n');
    });
    const out = await resumeRefused(dir);
    assert.deepStrictEqual(out, [`tune: ${join(dir, 'session.json')}: field trials must be a list, but it is missing`]);
  });

  function editSession(d: string, edit: (s: Record<string, unknown>) => void): void {
    const p = join(d, 'session.json');
    const s = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
    edit(s);
    writeFileSync(p, JSON.stringify(s, null, 1) + '\n');
  }

  test('session: a searcher state that cannot be restored is refused before anything is written', async () => {
    const dir = damagedCopy((d) => editSession(d, (s) => { (s.searcher as Record<string, unknown>).state = null; }));
    const out = await resumeRefused(dir);
    assert.deepStrictEqual(out, [`tune: ${join(dir, 'session.json')}: searcher.state: cannot be restored (random searcher state needs rng: four 32-bit words, not all zero); the session was damaged or edited — restore session.json from a backup`]);
  });

  test('session: the spec\'s folder moved away after a pause is bad input, said before any trial is marked', async () => {
    const gone = join(scratch('moved'), 'spec-folder-that-moved');
    const dir = damagedCopy((d) => editSession(d, (s) => { s.baseDir = gone; }));
    const out = await resumeRefused(dir);
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: .*: the trials run in the spec's folder ${esc(gone)}, which is no longer there; move it back \\(paths in a spec are relative to it\\)$`));
  });

  test('session: a trial schedule file that leads out of the session is refused, nothing written there', async () => {
    const dir = damagedCopy((d) => editSession(d, (s) => {
      (s.trials as Record<string, unknown>[])[0].schedule = { file: '../../../../../x.sh', ops: [], state: { completed: [] }, initial: { completed: [] } };
    }));
    const out = await resumeRefused(dir);
    assert.deepStrictEqual(out, [`tune: ${join(dir, 'session.json')}: trials.0.schedule.file: is "../../../../../x.sh", but must be a file name inside the trial's folder, like schedule.yaml; the session was damaged or edited — restore session.json from a backup`]);
  });

  test('session: a write-back path stored in a session from elsewhere is not written without --trust', async () => {
    const victim = join(scratch('victim'), 'notes.yaml');
    writeFileSync(victim, '- {name: change_lr, value: 0.5}\n');
    chmodSync(victim, 0o600);
    const dir = damagedCopy((d) => editSession(d, (s) => { s.scheduleWriteBack = victim; }));
    const before = treeHashes(dirname(victim));
    const out = await resumeRefused(dir);
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`this session writes to ${esc(victim)}, and you did not create it here; read what it does, then resume with --trust to allow it$`));
    assert.deepStrictEqual(treeHashes(dirname(victim)), before);
  });

  test('session: a trial with an unknown status is named, not silently skipped', async () => {
    const dir = damagedCopy((d) => editSession(d, (s) => { (s.trials as Record<string, unknown>[])[1].status = 'zzz'; }));
    const out = await resumeRefused(dir);
    assert.deepStrictEqual(out, [`tune: ${join(dir, 'session.json')}: trials.1.status: is "zzz", but must be one of pending, running, paused, waiting, completed, stopped, failed; the session was damaged or edited — restore session.json from a backup`]);
  });

  test('session: a damaged spec inside session.json is checked like a spec file', async () => {
    const dir = damagedCopy((d) => editSession(d, (s) => { delete (s.spec as Record<string, unknown>).search_space; }));
    const out = await resumeRefused(dir);
    assert.equal(out.length, 1);
    assert.match(out[0], new RegExp(`^tune: ${esc(join(dir, 'session.json'))} \\(spec\\): search_space: is missing; .*; the session's spec was damaged or edited$`));
  });

  test('session: a damaged line in the middle of events.jsonl names the journal and the line', async () => {
    let damagedLine = 0;
    const dir = damagedCopy((d) => {
      const p = join(d, 'events.jsonl');
      const ls = readFileSync(p, 'utf8').split('\n');
      assert.ok(ls.length > 6, `the fixture journal is long enough (${ls.length} lines)`);
      damagedLine = 3;
      ls[damagedLine - 1] = ls[damagedLine - 1].slice(0, 25) + '\u0000garbage'; // torn and overwritten, with lines after it
      writeFileSync(p, ls.join('\n'));
    });
    const out = await resumeRefused(dir);
    const journal = join(dir, 'events.jsonl');
    assert.deepStrictEqual(out, [
      `tune: ${journal}:${damagedLine}: journal line is not JSON; the journal was damaged — remove that line and the ones after it to resume from the last snapshot`,
    ]);
  });

  test('checkpoint: a modified checkpoint file is refused by its checksum', async () => {
    let file = '';
    let recorded = '';
    let iteration = 0;
    const dir = damagedCopy((d) => {
      // No intact checkpoint before it to fall back to (that case resumes; see below).
      editSession(d, (x) => { for (const t of x.trials as Record<string, unknown>[]) delete t.previous; });
      const s = JSON.parse(readFileSync(join(d, 'session.json'), 'utf8')) as SessionJson;
      const t = s.trials.find((x) => x.id === '0001')!;
      file = join(d, 'trials', '0001', t.checkpoint!.path);
      recorded = t.checkpoint!.sha256;
      iteration = t.checkpoint!.iteration;
      const bytes = readFileSync(file);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), recorded, 'the copy starts out intact');
      const i = Math.floor(bytes.length / 2);
      bytes[i] = bytes[i] === 0x41 ? 0x42 : 0x41; // one byte, same size: only the checksum can tell
      writeFileSync(file, bytes);
    });
    const out = await resumeRefused(dir);
    const actual = createHash('sha256').update(readFileSync(file)).digest('hex');
    assert.deepStrictEqual(out, [
      `tune: ${file}: checkpoint of trial 0001 (iteration ${iteration}) is corrupt (sha256 ${actual.slice(0, 12)}…, recorded ${recorded.slice(0, 12)}…); restore it from a backup, or the trial cannot resume`,
    ]);
  });

  test('checkpoint: a deleted checkpoint file is named, with its trial and iteration', async () => {
    let file = '';
    let iteration = 0;
    const dir = damagedCopy((d) => {
      editSession(d, (x) => { for (const t of x.trials as Record<string, unknown>[]) delete t.previous; });
      const s = JSON.parse(readFileSync(join(d, 'session.json'), 'utf8')) as SessionJson;
      const t = s.trials.find((x) => x.id === '0000')!;
      file = join(d, 'trials', '0000', t.checkpoint!.path);
      iteration = t.checkpoint!.iteration;
      unlinkSync(file);
    });
    const out = await resumeRefused(dir);
    assert.deepStrictEqual(out, [
      `tune: ${file}: checkpoint of trial 0000 (iteration ${iteration}) is missing; restore it from a backup, or the trial cannot resume`,
    ]);
  });

  test('cli: --sessions-root with --resume-session is refused, not silently ignored', async () => {
    const dir = damagedCopy(() => {}); // an intact session: only the option is wrong
    const cwd = scratch('cwd');
    const before = treeHashes(dir);
    const r = await runTune(['--resume-session', dir, '--sessions-root', 'elsewhere'], cwd);
    const out = assertRefused(r);
    assert.deepStrictEqual(out, ['tune: --resume-session takes no --sessions-root; a session resumes in its own folder']);
    assert.deepStrictEqual(treeHashes(dir), before, 'the session was not resumed');
    assert.deepStrictEqual(readdirSync(cwd), []);
  });
});
