/**
 * `npm run chaos [-- --kills N --disk N --hang N --seed S --keep DIR]`: the chaos rounds of test/chaos/chaos.ts, at
 * concurrency 3 and then at concurrency 1 (whose sessions must equal an uninterrupted run). Prints what was
 * done and every broken invariant; exit 1 if any. --keep copies the sessions and tune's output of a run with problems.
 */
import { parseArgs } from 'node:util';
import { runChaos, type ChaosReport } from './chaos.js';

const { values } = parseArgs({ options: { kills: { type: 'string', default: '30' }, disk: { type: 'string', default: '3' }, hang: { type: 'string', default: '3' }, seed: { type: 'string' }, keep: { type: 'string' } } });
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 100000;
const log = (line: string) => process.stdout.write(`  ${line}\n`);
const reports: ChaosReport[] = [];
for (const concurrency of [3, 1]) {
  process.stdout.write(`chaos at concurrency ${concurrency} (seed ${seed}):\n`);
  reports.push(await runChaos({ kills: Number(values.kills), diskRounds: Number(values.disk), hangRounds: Number(values.hang), concurrency, seed, log, keep: values.keep }));
}
process.stdout.write('\nconcurrency  tune  trial  both  disk  hang  sessions  resumes  disk halts  hangs caught  crashes  trials checked  problems\n');
for (const r of reports) {
  const c = r.rounds;
  process.stdout.write(`${String(r.concurrency).padStart(11)}  ${[c.tune, c.trial, c.both, c.disk, c.hang].map((n) => String(n).padStart(4)).join('  ')}  ${String(r.sessionsCompleted).padStart(8)}  ${String(r.resumes).padStart(7)}  ${String(r.diskHalts).padStart(10)}  ${String(r.hangsCaught).padStart(12)}  ${String(r.trialCrashes).padStart(7)}  ${String(r.trialsChecked).padStart(14)}  ${r.problems.length}\n`);
}
for (const r of reports) {
  if (r.skipped) process.stdout.write(`${r.skipped}\n`);
  for (const p of r.problems) process.stdout.write(`PROBLEM (concurrency ${r.concurrency}): ${p}\n`);
}
process.exitCode = reports.some((r) => r.problems.length) ? 1 : 0;
