// A command trial for the cluster tests, through tune's TypeScript client: a synthetic loss (a pure function of
// the config and the iteration), its whole state one small JSON file per checkpoint. It sleeps
// SLOW_TRIAL_DELAY_MS (from tune's environment, which srun carries) after each boundary, so a test can act
// while it runs. It leaves marks in its folder: `sigterm` when SIGTERM arrives (scancel's first signal; then it
// exits), `pause-file` when it finds the session's pause file at a boundary. Each boundary's line is printed
// in pieces around the report, so protocol lines land inside the trial's own unfinished lines.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrialRuntime } from '../../dist/src/trial/runtime.js';
import { writeFileAtomic } from '../../dist/src/util/atomic-write.js';

const rt = new TrialRuntime();
process.on('SIGTERM', () => {
  appendFileSync(join(rt.trialDir, 'sigterm'), `${process.pid}\n`);
  process.exit(143);
});
const { x = 0.5 } = rt.config;
const delay = Number(process.env.SLOW_TRIAL_DELAY_MS ?? 0);
let state = rt.checkpoint ? JSON.parse(readFileSync(rt.checkpoint, 'utf8')) : { iteration: 0, boundaries: 0 };
while (state.iteration < rt.maxIters) {
  state = { iteration: state.iteration + rt.evalInterval, boundaries: state.boundaries + 1 };
  process.stdout.write(`iteration ${state.iteration}`);
  const loss = (x - 0.3) ** 2 + 1 / state.iteration;
  await rt.boundary(state.iteration, { val_loss: loss }, state.boundaries, () => {
    if (rt.pauseRequested()) appendFileSync(join(rt.trialDir, 'pause-file'), `${state.iteration}\n`);
    const path = join(rt.trialDir, 'checkpoints', `state-${state.iteration}.json`);
    writeFileAtomic(path, JSON.stringify(state));
    process.stdout.write(' saved');
    return path;
  });
  process.stdout.write(' trained\n');
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
}
rt.done(state.iteration);
