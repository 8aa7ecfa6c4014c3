/**
 * The example specs of the built-in trials (examples/<builtin>.yaml) are there to be copied: each one passes
 * the real validation (spec, schedule, trial program), says in a comment what every field does, and lists
 * every hyperparameter and metric its trial declares, with the declared default. Nothing is trained here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trialArgv } from '../../src/cli/trial-argv.js';
import { loadSpecSchedules } from '../../src/schedule/trial-schedule.js';
import { BUILTINS, declarationOf } from '../../src/spec/builtins.js';
import { loadSpecFile } from '../../src/spec/load-spec.js';
import { locateFields } from '../../src/spec/locate.js';
import { ROOT } from '../helpers/tune.js';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const builtin of BUILTINS) {
  const file = join(ROOT, 'examples', `${builtin}.yaml`);

  test(`examples/${builtin}.yaml passes the validation a run does, and trains ${builtin}`, () => {
    const loaded = loadSpecFile(file, ROOT);
    assert.deepEqual('builtin' in loaded.spec.trial && loaded.spec.trial.builtin, builtin);
    loadSpecSchedules(loaded.spec, loaded.source.baseDir, file);
    trialArgv(loaded.spec, loaded.source.baseDir, file, process.env);
    assert.ok(loaded.spec.num_trials > 1 && Object.keys(loaded.spec.search_space).length > 0, 'a search, not one run');
  });

  test(`examples/${builtin}.yaml says what each field does and lists what ${builtin} declares`, () => {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    for (const [path, line] of locateFields(text)) {
      // The spec's own fields and the trial's; the hyperparameters under them are described in the header.
      if (path.split('.').length > (path.startsWith('trial.') ? 2 : 1)) continue;
      assert.match(lines[line - 1], /#/, `line ${line} (${path}) has no comment: ${lines[line - 1]}`);
    }
    const decl = declarationOf(builtin);
    for (const h of decl.hyper) {
      assert.match(text, new RegExp(`^#\\s+${esc(h.name)}\\s.*\\(default ${esc(String(h.default))}\\)$`, 'm'), `${h.name} is listed with its default ${String(h.default)}`);
    }
    for (const m of decl.metrics) assert.match(text, new RegExp(`^#.*\\b${m.name}\\b`, 'm'), `the metric ${m.name} is named`);
  });
}
