import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BadInputError } from '../../src/errors.js';
import { describeHandle, PROTOCOL_LINE_PREFIX } from '../../src/trial/protocol.js';
import { parseArgs } from '../../src/cli/args.js';
import { slurmJobName, srunArgv } from '../../src/orchestrator/slurm-launcher.js';
import { SLURM_DEFAULTS } from '../../src/spec/launcher.js';
import { validateSpec } from '../../src/spec/validate.js';
import { applyEvent, type SessionState } from '../../src/session/state.js';
import type { Spec } from '../../src/spec/types.js';

// Choosing where trials run: the spec's `launcher` field, --launcher, the srun command line, and the handle
// a trial is known by in the session.

const spec = (launcher: unknown) => validateSpec({ search_space: {}, trial: { command: ['python3', 't.py'] }, launcher }, 'spec.yaml', new Map([['launcher', 7]]), 'x');

function problems(launcher: unknown): string[] {
  try {
    spec(launcher);
  } catch (err) {
    if (err instanceof BadInputError) return err.problems;
    throw err;
  }
  return [];
}

test('launcher: absent is local; "slurm" alone asks the cluster for its defaults; a mapping gives the resources', () => {
  assert.deepStrictEqual(spec(undefined).launcher, { type: 'local' });
  assert.deepStrictEqual(spec('local').launcher, { type: 'local' });
  assert.deepStrictEqual(spec('slurm').launcher, { type: 'slurm', ...SLURM_DEFAULTS });
  assert.deepStrictEqual(
    spec({ type: 'slurm', partition: 'gpu', time: '2:00:00', gres: 'gpu:a100:1', cpus_per_task: 4, mem: '16G', account: 'lab', extra_args: ['--constraint=v100', '--qos', 'high'] }).launcher,
    { type: 'slurm', partition: 'gpu', time: '2:00:00', gres: 'gpu:a100:1', cpus_per_task: 4, mem: '16G', account: 'lab', extra_args: ['--constraint=v100', '--qos', 'high'] },
  );
  // YAML numbers where Slurm takes minutes and megabytes.
  const n = spec({ type: 'slurm', time: 30, mem: 4000 }).launcher;
  assert.ok(n.type === 'slurm' && n.time === '30' && n.mem === '4000');
  for (const time of ['30', '30:00', '1:30:00', '2-0', '2-12:00', '1-00:00:00', 'UNLIMITED']) assert.deepStrictEqual(problems({ type: 'slurm', time }), [], time);
});

test('launcher: each mistake is one line naming the field, what is wrong and how to write it', () => {
  assert.deepStrictEqual(problems('slrum'), ['spec.yaml:7: launcher.type: is "slrum", but must be one of local, slurm (did you mean "slurm"?)']);
  assert.deepStrictEqual(problems({ partition: 'gpu' }), ['spec.yaml:7: launcher.type: is missing; write type: slurm (or local)']);
  assert.deepStrictEqual(problems({ type: 'local', partition: 'gpu' }), ['spec.yaml:7: launcher.partition: applies only to type: slurm; remove it, or set type: slurm']);
  assert.deepStrictEqual(problems({ type: 'slurm', partiton: 'gpu' }), ['spec.yaml:7: launcher.partiton: unknown field; did you mean "partition"?']);
  assert.deepStrictEqual(problems({ type: 'slurm', time: '2h' }), ['spec.yaml:7: launcher.time: is "2h", but must be a Slurm time limit: minutes, MM:SS, HH:MM:SS or D-HH:MM:SS, e.g. "2:00:00"']);
  assert.deepStrictEqual(problems({ type: 'slurm', mem: '4GB' }), ['spec.yaml:7: launcher.mem: is "4GB", but must be a memory size like 4G, 500M, or a whole number of megabytes']);
  assert.deepStrictEqual(problems({ type: 'slurm', gres: 'gpu: 1' }), ['spec.yaml:7: launcher.gres: is "gpu: 1", but must be generic resources as srun --gres takes them, e.g. "gpu:1" or "gpu:a100:2"']);
  assert.deepStrictEqual(problems({ type: 'slurm', cpus_per_task: 0 }), ['spec.yaml:7: launcher.cpus_per_task: is 0, but must be a whole number >= 1']);
  assert.deepStrictEqual(problems({ type: 'slurm', extra_args: '--qos=high' }), ['spec.yaml:7: launcher.extra_args: is "--qos=high", but must be a list of srun options like ["--constraint=v100", "--qos=high"]']);
  assert.deepStrictEqual(problems({ type: 'slurm', extra_args: ['--qos=high', '--job-name=mine', '-n4'] }), [
    'spec.yaml:7: launcher.extra_args.1: is "--job-name=mine", but tune sets --job-name itself (one task, its stdio forwarded, a job name to find it by); remove it',
    'spec.yaml:7: launcher.extra_args.2: is "-n4", but tune sets -n itself (one task, its stdio forwarded, a job name to find it by); remove it',
  ]);
  assert.deepStrictEqual(problems(['slurm']), ['spec.yaml:7: launcher: is ["slurm"], but must be local, slurm, or a mapping like {type: slurm, partition: gpu, gres: "gpu:1"}']);
});

test('srun: the spec\'s resources first, then what the protocol needs, so those win; the trial behind a wrapper that names its job and node', () => {
  const o = { ...SLURM_DEFAULTS, partition: 'gpu', gres: 'gpu:1', cpus_per_task: 2, extra_args: ['--qos=high'] };
  const argv = srunArgv(o, 'tune.abc123.0003', '/shared/exp', ['python3', 'train.py', '--x']);
  assert.deepStrictEqual(argv.slice(0, 9), ['--qos=high', '--partition=gpu', '--gres=gpu:1', '--cpus-per-task=2', '--job-name=tune.abc123.0003', '--nodes=1', '--ntasks=1', '--export=ALL', '--chdir=/shared/exp']);
  assert.deepStrictEqual([argv[9], argv[10], ...argv.slice(12)], ['/bin/sh', '-c', 'tune-trial', 'python3', 'train.py', '--x']);
  // The wrapper, run as a job's task runs it: its first line names the job and node, then it becomes the trial.
  const r = spawnSync('/bin/sh', ['-c', argv[11], 'tune-trial', 'printf', '%s|', 'a b', '$HOME'], { env: { SLURM_JOB_ID: '17', SLURMD_NODENAME: 'gpu07' }, encoding: 'utf8' });
  assert.equal(r.stdout, `${PROTOCOL_LINE_PREFIX}#slurm 17 gpu07\na b|$HOME|`);
  assert.equal(slurmJobName('session_20261129_150928_657274', '0003'), 'tune.657274.0003');
});

test('--launcher on a run, on resume and on tune train; --take-over-lock on resume only', () => {
  assert.deepStrictEqual(parseArgs(['spec.yaml', '--launcher', 'slurm']), { kind: 'run', spec: 'spec.yaml', sessionsRoot: null, launcher: 'slurm' });
  assert.deepStrictEqual(parseArgs(['spec.yaml']), { kind: 'run', spec: 'spec.yaml', sessionsRoot: null, launcher: null });
  const r = parseArgs(['--resume-session', 'd', '--launcher=local', '--take-over-lock']);
  assert.ok(r.kind === 'resume' && r.launcher === 'local' && r.takeOverLock);
  assert.throws(() => parseArgs(['spec.yaml', '--launcher', 'pbs']), /--launcher is "pbs", but must be local or slurm/);
  assert.throws(() => parseArgs(['spec.yaml', '--take-over-lock']), /--take-over-lock applies to --resume-session only/);
  const train = parseArgs(['train', '--launcher', 'slurm']);
  assert.ok(train.kind === 'train' && train.launcher === 'slurm');
  assert.throws(() => parseArgs(['train', '--launcher', 'pbs']), /--launcher is "pbs", but must be local or slurm/);
  assert.throws(() => parseArgs(['results', 'd', '--launcher', 'slurm']), /--launcher does not apply to tune results/);
});

test('the handle: old journals (pid only) load as local; a Slurm job is placed later; it is gone once the trial stops', () => {
  const state = {
    schema: 2, id: 's', experiment: 'e', createdAt: '', status: 'running', spec: spec(undefined) as Spec, specRaw: {}, specFile: null, specHash: '', baseDir: '/',
    searcher: { type: 'random', state: {}, finished: false }, scheduler: { type: 'fifo', state: {} }, schedules: {}, trials: [], seq: 0,
  } as SessionState;
  let seq = 0;
  const ev = (body: object) => applyEvent(state, { seq: ++seq, t: 0, ...body } as Parameters<typeof applyEvent>[1]);
  ev({ type: 'session_started', pid: 1, launcher: 'slurm' });
  assert.equal(state.launcher, 'slurm');
  ev({ type: 'trial_created', id: '0000', index: 0, config: {}, seed: 1 });
  ev({ type: 'trial_started', id: '0000', pid: 42, fromIteration: null });
  assert.deepStrictEqual(state.trials[0].handle, { launcher: 'local', pid: 42 });
  ev({ type: 'trial_interrupted', id: '0000' });
  assert.equal(state.trials[0].handle, null);
  ev({ type: 'trial_started', id: '0000', pid: 43, handle: { launcher: 'slurm', job: null, node: null }, fromIteration: null });
  ev({ type: 'trial_placed', id: '0000', handle: { launcher: 'slurm', job: '17', node: 'gpu07' } });
  assert.deepStrictEqual(state.trials[0].handle, { launcher: 'slurm', job: '17', node: 'gpu07' });
  ev({ type: 'session_resumed', pid: 2 });
  assert.equal(state.launcher, 'slurm', 'a resume that says nothing keeps it');
  assert.deepStrictEqual([describeHandle({ launcher: 'local', pid: 42 }), describeHandle({ launcher: 'slurm', job: null, node: null }), describeHandle({ launcher: 'slurm', job: '17', node: 'gpu07' })], ['pid 42', 'Slurm job (queued)', 'job 17 on gpu07']);
});
