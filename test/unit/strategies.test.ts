import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, createSearcher, lossOf } from '../../src/search/index.js';
import type { Scheduler, Searcher } from '../../src/search/types.js';
import { validateSpec } from '../../src/spec/validate.js';
import type { Spec } from '../../src/spec/types.js';
import type { Json } from '../../src/util/json.js';

// One suite for every searcher and scheduler (optuna tests/samplers_tests/test_samplers.py): a run is
// driven the way the orchestrator drives it, with concurrency 1, on a scripted objective. The same seed
// gives the same sequence of proposals and decisions; saving both strategies through JSON after ANY step
// and continuing with fresh instances gives the same sequence as never saving (LESSONS: Ray loses ASHA's
// rungs on restore, Optuna forgets its sampler's RNG).

const STRATEGIES: Record<string, Record<string, unknown>> = {
  'random + fifo': { searcher: 'random' },
  'grid + fifo': { searcher: 'grid', search_space: { a: { type: 'grid', values: [0.1, 0.5, 0.9] }, b: { type: 'int', low: 1, high: 4 }, k: { type: 'choice', values: ['x', 'y'] } } },
  'tpe + fifo': { searcher: { type: 'tpe', n_startup_trials: 3 } },
  'multivariate tpe + fifo': { searcher: { type: 'tpe', n_startup_trials: 3, multivariate: true } },
  'random + asha': { searcher: 'random', scheduler: { type: 'asha', grace_period: 10 } },
  'tpe + asha (stopping)': { searcher: { type: 'tpe', n_startup_trials: 3 }, scheduler: { type: 'asha', grace_period: 10, variant: 'stopping' } },
  'random + hyperband': { searcher: 'random', scheduler: { type: 'hyperband', grace_period: 10 } },
  'bohb + hyperband': { searcher: { type: 'bohb', min_points_in_model: 3 }, scheduler: 'hyperband' },
};

function specOf(over: Record<string, unknown>): Spec {
  return validateSpec({
    name: 'suite',
    trial: { command: ['true'] },
    search_space: {
      a: { type: 'uniform', low: 0, high: 1 },
      b: { type: 'int', low: 1, high: 8, step: 1 },
      c: { type: 'loguniform', low: 1e-3, high: 1 },
      k: { type: 'choice', values: ['x', 'y', 'z'] },
    },
    num_trials: 14,
    max_iters: 90,
    eval_interval: 10,
    seed: 3,
    ...over,
  }, 'suite.yaml', new Map(), 'suite');
}

/** A scripted learning curve: a pure function of the config and the iteration. */
function metric(config: Record<string, unknown>, iteration: number): number {
  const a = Number(config.a ?? 0.5);
  const b = Number(config.b ?? 4);
  const c = Math.log10(Number(config.c ?? 0.1));
  const final = (a - 0.3) ** 2 + (b - 5) ** 2 / 20 + (c + 1.5) ** 2 / 4 + (config.k === 'y' ? 0 : 0.05);
  return final + Math.exp(-iteration / (20 + 40 * a));
}

interface Strategies { searcher: Searcher; scheduler: Scheduler }

/**
 * Drives a whole search as the orchestrator does (concurrency 1) and returns its trace. `save(step)` may
 * replace the strategies with restored copies between any two calls.
 */
function drive(spec: Spec, restoreAt: (step: number) => boolean): string[] {
  let s: Strategies = { searcher: createSearcher(spec), scheduler: createScheduler(spec) };
  const trace: string[] = [];
  const configs: Record<string, unknown>[] = [];
  const iteration: number[] = [];
  const best: (number | null)[] = [];
  let finished = false;
  let step = 0;
  const checkpoint = () => {
    if (!restoreAt(step++)) return;
    const saved = JSON.parse(JSON.stringify({ searcher: s.searcher.getState(), scheduler: s.scheduler.getState() })) as { searcher: Json; scheduler: Json };
    const next = { searcher: createSearcher(spec), scheduler: createScheduler(spec) };
    next.searcher.setState(saved.searcher);
    next.scheduler.setState(saved.scheduler);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(next.searcher.getState())), saved.searcher, 'searcher state survives a JSON round trip');
    assert.deepStrictEqual(JSON.parse(JSON.stringify(next.scheduler.getState())), saved.scheduler, 'scheduler state survives a JSON round trip');
    s = next;
  };
  const end = (i: number, status: 'completed' | 'stopped') => {
    s.scheduler.onTrialEnd?.(i, status);
    s.searcher.onComplete?.(i, { status, iteration: iteration[i], loss: best[i] });
    trace.push(`${status} ${i}@${iteration[i]}`);
    checkpoint();
  };
  /** Runs trial i from where it stands until it waits, stops or completes. */
  const run = (i: number) => {
    for (;;) {
      iteration[i] += spec.eval_interval;
      const loss = lossOf(spec, metric(configs[i], iteration[i]));
      if (loss !== null && (best[i] === null || loss < (best[i] as number))) best[i] = loss;
      s.searcher.onResult?.(i, iteration[i], loss);
      let d = s.scheduler.onResult(i, iteration[i], loss);
      if (d === 'pause' && iteration[i] >= spec.max_iters) d = 'continue';
      if (d === 'pause') s.searcher.onWait?.(i, { status: 'waiting', iteration: iteration[i], loss: best[i] });
      trace.push(`result ${i}@${iteration[i]} ${d} ${s.scheduler.describe?.(i) ?? ''}`);
      checkpoint();
      if (d === 'stop') return end(i, 'stopped');
      if (iteration[i] >= spec.max_iters) return end(i, 'completed');
      if (d === 'pause') return;
    }
  };
  for (let guard = 0; guard < 10_000; guard++) {
    const c = s.scheduler.chooseNext({ searcherFinished: finished, running: 0 });
    assert.deepStrictEqual(s.scheduler.chooseNext({ searcherFinished: finished, running: 0 }), c, 'chooseNext is pure');
    if (c === null) {
      assert.ok(finished, 'a scheduler says "nothing now" with nothing running only when the searcher is done');
      const waiting = trace.filter((l) => / pause /.test(l)).length;
      return trace.concat(`end, ${waiting} pauses`);
    }
    if (c === 'new') {
      const index = configs.length;
      const config = s.searcher.suggest(index);
      assert.notEqual(config, null, 'with nothing running, a searcher has an answer');
      if (config === 'finished') {
        finished = true;
        trace.push('finished');
        checkpoint();
        continue;
      }
      configs.push(config as Record<string, unknown>);
      iteration.push(0);
      best.push(null);
      s.scheduler.onTrialAdded?.(index);
      trace.push(`new ${index} ${JSON.stringify(config)}`);
      checkpoint();
      run(index);
    } else if ('promote' in c) {
      s.scheduler.promote?.(c.promote);
      trace.push(`promote ${c.promote}`);
      checkpoint();
      run(c.promote);
    } else {
      end(c.stop, 'stopped');
    }
  }
  throw new Error('the run did not end');
}

for (const [name, over] of Object.entries(STRATEGIES)) {
  describe(name, () => {
    const spec = specOf(over);
    const whole = drive(spec, () => false);

    test('the same seed gives the same proposals and decisions', () => {
      assert.deepStrictEqual(drive(spec, () => false), whole);
      assert.ok(whole.filter((l) => l.startsWith('new ')).length >= 5, whole.join('\n'));
    });

    test('a different seed gives different proposals', () => {
      if (name.startsWith('grid')) return; // the grid has no randomness
      assert.notDeepStrictEqual(drive(specOf({ ...over, seed: 4 }), () => false), whole);
    });

    test('saved through JSON and restored after every step, it continues identically', () => {
      assert.deepStrictEqual(drive(spec, () => true), whole);
    });

    test('saved and restored at a few random steps, it continues identically', () => {
      let r = 12345;
      const rand = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) / 2 ** 32);
      assert.deepStrictEqual(drive(spec, () => rand() < 0.1), whole);
    });
  });
}

test('multi-fidelity schedulers spend less than FIFO on the same searcher, and end with every trial resolved', () => {
  const spent = (over: Record<string, unknown>) => drive(specOf(over), () => false).filter((l) => l.startsWith('result')).length;
  const fifo = spent({ searcher: 'random' });
  assert.equal(fifo, 14 * 9);
  for (const scheduler of ['asha', 'hyperband']) assert.ok(spent({ searcher: 'random', scheduler: { type: scheduler, grace_period: 10 } }) < fifo * 0.7, scheduler);
});

test('lossOf turns the metric into a loss to minimise; absent or diverged values are null', () => {
  const min = specOf({});
  const max = specOf({ mode: 'max', metric: 'val_acc' });
  assert.equal(lossOf(min, 0.25), 0.25);
  assert.equal(lossOf(max, 0.25), -0.25);
  assert.equal(lossOf(min, null), null);
  assert.equal(lossOf(min, undefined), null);
  assert.equal(lossOf(min, Number.NaN), null);
});

test('the main job (tune with no spec) is a TPE search under ASHA', async () => {
  const { DEFAULT_SPEC } = await import('../../src/spec/default-spec.js');
  const spec = validateSpec(DEFAULT_SPEC, '<default>', new Map(), 'default');
  assert.equal(spec.searcher.type, 'tpe');
  assert.deepStrictEqual(spec.scheduler, { type: 'asha', grace_period: 600, reduction_factor: 3, max_t: 2400, variant: 'promotion' });
  assert.ok(spec.num_trials > 8, 'more configurations than the random search it replaced');
});

test('the option defaults are Optuna\'s TPESampler and HpBandSter\'s BOHB defaults (the constant liar on, for concurrent trials)', async () => {
  const { TPE_DEFAULTS, BOHB_DEFAULTS } = await import('../../src/spec/strategy.js');
  assert.deepStrictEqual(TPE_DEFAULTS, { n_startup_trials: 10, n_ei_candidates: 24, multivariate: false, constant_liar: true, prior_weight: 1, consider_magic_clip: true, consider_endpoints: false });
  assert.deepStrictEqual(BOHB_DEFAULTS, { min_points_in_model: null, top_n_percent: 15, num_samples: 64, random_fraction: 1 / 3, bandwidth_factor: 3, min_bandwidth: 1e-3 });
  assert.deepStrictEqual(specOf({ searcher: 'tpe' }).searcher, { type: 'tpe', ...TPE_DEFAULTS });
});
