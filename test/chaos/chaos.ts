/**
 * Chaos rounds (DESIGN §5.2, §5.8): a search with schedules runs while, at random moments, `tune` is killed
 * with SIGKILL, a trial is, or both; the disk fills up (the sessions root is a small tmpfs); a trial hangs.
 * After each blow the session is resumed with its resume line, until it completes; then a new one starts,
 * until every round is done. Each completed session must hold every trial completed, each validation
 * boundary reported once, each scheduled operation applied once (the last reported lr shows how many the
 * surviving model saw), and, with concurrency 1, the results of a run that was never interrupted.
 *
 * `npm run chaos` runs the full set (test/chaos/run.ts); test/e2e/chaos.test.ts a short one.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, resultsJson, runTune, sleep, startTune, testRng, tmpDir, writeSpec, type ResultsDoc } from '../helpers/tune.js';

export type RoundKind = 'tune' | 'trial' | 'both' | 'disk' | 'hang';

export interface ChaosOptions {
  /** Kill rounds (tune, a trial, or both, at random). */
  kills: number;
  diskRounds: number;
  hangRounds: number;
  concurrency: number;
  seed: number;
  log?: (line: string) => void;
  /** Where to copy the sessions (and tune's output) of a run that found problems, to look into them. */
  keep?: string;
}

export interface ChaosReport {
  seed: number;
  concurrency: number;
  rounds: Record<RoundKind, number>;
  /** Disk rounds asked for but impossible here (no tmpfs), with why. */
  skipped: string | null;
  sessionsCompleted: number;
  resumes: number;
  /** Disk rounds in which tune halted (exit 1, the disk named) rather than finishing first. */
  diskHalts: number;
  /** Hung trials that trial.timeout killed, as the journals of the checked sessions say. */
  hangsCaught: number;
  /** Trial crashes the journals of the checked sessions record (each retried from its checkpoint). */
  trialCrashes: number;
  trialsChecked: number;
  /** Everything that broke an invariant; empty when all held. */
  problems: string[];
}

const MAX_ITERS = 600;
const EVAL = 10;
const LR = 0.05;
/** Two change_lr 0.5 operations fire in every trial (by max_wait_iters at the latest): the model ends at LR / 4. */
const SCHEDULE = `- {name: change_lr, value: 0.5, trigger_loss: 0.5, max_wait_iters: 200}
- {name: change_lr, value: 0.5, trigger_loss: 0.001, max_wait_iters: 200}
`;

function spec(concurrency: number) {
  return {
    name: 'chaos',
    trial: {
      command: ['node', join(ROOT, 'test', 'fixtures', 'chaos-trial.mjs')],
      params: { lr: LR, pad: 2000 },
      schedule: 'schedule.yaml',
      timeout: 2,
    },
    search_space: { target: { type: 'uniform', low: 1, high: 5 } },
    searcher: 'random',
    num_trials: 6,
    max_iters: MAX_ITERS,
    eval_interval: EVAL,
    concurrency,
    seed: 7,
  };
}

/** The running trial processes of a tune process (its children). */
function trialPids(tunePid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === tunePid) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

function killQuietly(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
}

/** Fills a filesystem to the last byte; returns the ballast file to remove. */
function fillDisk(root: string): string {
  const ballast = join(root, 'ballast');
  const fd = openSync(ballast, 'w');
  const block = Buffer.alloc(1 << 16, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch { /* full */ }
  try {
    for (;;) writeSync(fd, block, 0, 512); // the last partial blocks
  } catch { /* full to the byte */ }
  closeSync(fd);
  return ballast;
}

function sessionIn(root: string): string[] {
  const dir = join(root, 'chaos');
  // A tune killed while it made the folder leaves one without session.json: no session, nothing to resume.
  return existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('session_') && existsSync(join(dir, d, 'session.json'))).sort().map((d) => join(dir, d)) : [];
}

interface Ev { type: string; id?: string; iteration?: number; delivered?: boolean }

/** Every invariant a completed session must hold; the problems found. */
function checkSession(dir: string, doc: ResultsDoc, reference: ResultsDoc | null): string[] {
  const problems: string[] = [];
  const name = dir.slice(dir.lastIndexOf('/') + 1);
  if (doc.status !== 'completed') problems.push(`${name}: status ${doc.status}`);
  for (const t of doc.trials) {
    if (t.status !== 'completed' || t.iteration !== MAX_ITERS) problems.push(`${name}/${t.id}: ${t.status} at ${t.iteration}`);
    const iterations = readFileSync(join(dir, 'trials', t.id, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { iteration: number }).iteration);
    const want = Array.from({ length: MAX_ITERS / EVAL }, (_, i) => (i + 1) * EVAL);
    if (JSON.stringify(iterations) !== JSON.stringify(want)) problems.push(`${name}/${t.id}: metrics.jsonl holds iterations ${iterations.join(',')}`);
    if (t.last?.lr !== LR / 4) problems.push(`${name}/${t.id}: the model ends with lr ${t.last?.lr}, not ${LR / 4}: an operation was applied ${t.last && t.last.lr < LR / 4 ? 'twice' : 'not at all'}`);
  }
  const seen = new Set<string>();
  for (const line of readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n')) {
    const e = JSON.parse(line) as Ev;
    if (e.type !== 'report' || !e.delivered) continue;
    const key = `${e.id}@${e.iteration}`;
    if (seen.has(key)) problems.push(`${name}: result ${key} reached the strategies twice`);
    seen.add(key);
  }
  if (reference) {
    const view = (d: ResultsDoc) => JSON.stringify({ best: d.best, trials: d.trials.map((t) => [t.id, t.status, t.iteration, t.config, t.last]) });
    if (view(doc) !== view(reference)) problems.push(`${name}: results differ from the uninterrupted run`);
  }
  return problems;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => {});
  const rand = testRng(o.seed);
  const cwd = tmpDir('tune-chaos-');
  writeFileSync(join(cwd, 'schedule.yaml'), SCHEDULE);
  const specFile = writeSpec(cwd, spec(o.concurrency));
  const report: ChaosReport = {
    seed: o.seed, concurrency: o.concurrency, rounds: { tune: 0, trial: 0, both: 0, disk: 0, hang: 0 }, skipped: null,
    sessionsCompleted: 0, resumes: 0, diskHalts: 0, hangsCaught: 0, trialCrashes: 0, trialsChecked: 0, problems: [],
  };

  // A small filesystem of its own for the sessions, so that disk rounds can fill it.
  let root = join(cwd, 'sessions');
  let mounted: string | null = null;
  if (o.diskRounds > 0) {
    const m = tmpDir('tune-chaos-disk-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', m], { stdio: 'pipe' });
      root = mounted = m;
    } catch (err) {
      report.skipped = `disk rounds skipped: cannot mount a tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim() || 'needs root'})`;
      log(report.skipped);
    }
  }

  let reference: ResultsDoc | null = null;
  if (o.concurrency === 1) {
    const refCwd = tmpDir('tune-chaos-ref-');
    writeFileSync(join(refCwd, 'schedule.yaml'), SCHEDULE);
    const r = await runTune([writeSpec(refCwd, spec(1)), '--sessions-root', 'sessions'], refCwd);
    if (r.code !== 0) throw new Error(`the uninterrupted reference run failed: ${r.stderr}`);
    reference = await resultsJson(sessionIn(join(refCwd, 'sessions'))[0], refCwd);
  }

  const kinds: RoundKind[] = [];
  for (let i = 0; i < o.kills; i++) kinds.push((['tune', 'trial', 'both'] as const)[Math.floor(rand() * 3)]);
  if (!report.skipped) for (let i = 0; i < o.diskRounds; i++) kinds.push('disk');
  for (let i = 0; i < o.hangRounds; i++) kinds.push('hang');
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }

  let run: ReturnType<typeof startTune> | null = null;
  const outputs: string[] = [];
  let exited: { code: number | null; signal: NodeJS.Signals | null; stderr: string } | null = null;
  let current: string | null = null;
  const start = () => {
    if (current) report.resumes++;
    const args = current ? ['--resume-session', current] : [specFile, '--sessions-root', root];
    run = startTune(args, cwd);
    exited = null;
    void run.result.then((r) => {
      exited = r;
      outputs.push(`$ tune ${args.join(' ')}\nexit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    });
  };
  /** Handles the end of a tune process: a completed session is checked, and the next one starts fresh. */
  const settle = async () => {
    const r = await run!.result;
    if (!current) current = sessionIn(root).filter((d) => !checked.has(d))[0] ?? null;
    if (r.code === 0 && current) {
      const doc = await resultsJson(current, cwd);
      report.problems.push(...checkSession(current, doc, reference));
      report.trialsChecked += doc.trials.length;
      const journal = readFileSync(join(current, 'events.jsonl'), 'utf8');
      report.hangsCaught += journal.split('taken as hung').length - 1;
      report.trialCrashes += journal.split('"type":"trial_failed"').length - 1;
      report.sessionsCompleted++;
      checked.add(current);
      log(`session ${report.sessionsCompleted} completed and checked (${report.resumes} resumes so far)`);
      current = null;
    } else if (r.code !== null && r.code !== 1) {
      report.problems.push(`tune exited with ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
    }
    run = null;
  };
  const checked = new Set<string>();

  for (const kind of kinds) {
    if (!run) start();
    await sleep(100 + rand() * 600);
    if (exited) {
      await settle(); // it finished first: this round hits the next session
      start();
      await sleep(100 + rand() * 400);
    }
    report.rounds[kind]++;
    const tunePid = run!.child.pid!;
    current ??= sessionIn(root).filter((d) => !checked.has(d))[0] ?? null;
    log(`round ${Object.values(report.rounds).reduce((a, b) => a + b)}: ${kind}`);
    if (kind === 'trial' || kind === 'both') {
      const pids = trialPids(tunePid);
      if (pids.length) killQuietly(pids[Math.floor(rand() * pids.length)]);
    }
    if (kind === 'tune' || kind === 'both') {
      killQuietly(tunePid);
      await settle();
    }
    if (kind === 'hang') {
      writeFileSync(join(cwd, 'hang-once'), '');
      await sleep(2500); // trial.timeout is 2 s
      rmSync(join(cwd, 'hang-once'), { force: true }); // unclaimed if no trial reached a boundary
    }
    if (kind === 'disk' && mounted) {
      const ballast = fillDisk(mounted);
      // The deadline's timer is cleared once tune halts: a pending one would keep the process alive 15 s.
      let deadline: NodeJS.Timeout | undefined;
      const r = await Promise.race([run!.result, new Promise<null>((res) => (deadline = setTimeout(res, 15000, null)))]);
      clearTimeout(deadline);
      if (r === null) report.problems.push('the disk was full for 15 s and tune did not halt');
      else if (r.code === 1 && !/no space left on device|ENOSPC|disk refused/i.test(r.stderr)) report.problems.push(`disk round: tune exited 1 but said: ${r.stderr.trim()}`);
      else if (r.code === 1) report.diskHalts++;
      rmSync(ballast, { force: true });
      if (r !== null) await settle();
    }
  }
  // The blows are over: the last session runs to its end (a new one, if the last blow came before the
  // session even existed), and a run with no completed session says so.
  if (!run && !current) start();
  for (let n = 0; n < 5 && (run || current); n++) {
    if (!run) start();
    await settle();
  }
  if (report.sessionsCompleted === 0) report.problems.push('no session completed after the rounds');
  if (o.keep && report.problems.length) {
    cpSync(root, join(o.keep, `sessions-c${o.concurrency}`), { recursive: true });
    writeFileSync(join(o.keep, `tune-output-c${o.concurrency}.txt`), outputs.join('\n'));
    log(`kept the sessions and tune's output in ${o.keep}`);
  }
  if (mounted) {
    try { execFileSync('umount', [mounted], { stdio: 'ignore' }); } catch { /* busy: left to the OS */ }
  }
  return report;
}
