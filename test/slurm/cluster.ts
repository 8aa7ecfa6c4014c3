import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sleep, tmpDir } from '../helpers/tune.js';

// A real one-node Slurm cluster (Debian's slurmctld, slurmd, slurm-client and munge), started as root without
// systemd, its state, logs, sockets and pid files in a temporary folder, stopped by the PIDs in its pid files.
// The settings are the ones MACHINE.md found to work here: the slurm user is root, process tracking by
// process group, no task plugin, no accounting, and a scheduler that looks at the queue every second.

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'srun', 'scancel', 'squeue', 'sinfo'];

/** Why the cluster cannot be started here, or null when it can. */
export function clusterUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'starting slurmd and munged needs root';
  const missing = DAEMONS.filter((d) => spawnSync('sh', ['-c', `command -v ${d}`]).status !== 0);
  if (missing.length) return `Slurm's packages are not installed (missing ${missing.join(', ')}): apt-get install slurmctld slurmd slurm-client munge`;
  return null;
}

export interface Cluster {
  /** What a client of this cluster (tune, srun, squeue) needs in its environment. */
  env: { SLURM_CONF: string };
  node: string;
  /** Jobs the cluster knows (pending, running or completing): id, name, state. */
  jobs(): { job: string; name: string; state: string }[];
  /** Cancels every job and waits until the queue is empty. */
  cancelAll(): Promise<void>;
  /** Cancels every job, waits for them to end, and stops the daemons by the PIDs in their pid files. */
  stop(): Promise<void>;
  /** Stops the controller alone (a cluster whose controller is down or unreachable); jobs run on. */
  stopController(): Promise<void>;
  /** Starts the controller again; it recovers its jobs from its saved state. */
  startController(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function run(program: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(program, args, { env, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}`);
  return r.stdout;
}

/** A daemon that exited may stay a zombie until init reaps it: that counts as stopped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits for `ready` (a bounded number of tries), or throws with what the logs say. */
async function until(what: string, ready: () => boolean, logs: string[]): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (ready()) return;
    await sleep(100);
  }
  const tails = logs.filter(existsSync).map((f) => `${f}:\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}`);
  throw new Error(`the test cluster did not get ready: ${what}\n${tails.join('\n')}`);
}

export async function startCluster(): Promise<Cluster> {
  const dir = tmpDir('tune-slurm-');
  chmodSync(dir, 0o755);
  const keyDir = join(dir, 'munge-key');
  const mungeDir = join(dir, 'munge');
  const state = join(dir, 'state');
  const spool = join(dir, 'spool');
  mkdirSync(keyDir, { mode: 0o700 });
  mkdirSync(mungeDir, { mode: 0o755 });
  mkdirSync(state);
  mkdirSync(spool);
  const key = join(keyDir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(mungeDir, 'munge.socket');
  const pidFiles = { munged: join(mungeDir, 'munged.pid'), slurmctld: join(dir, 'slurmctld.pid'), slurmd: join(dir, 'slurmd.pid') };
  const logs = [join(mungeDir, 'munged.log'), join(dir, 'slurmctld.log'), join(dir, 'slurmd.log')];

  const node = `tune${randomBytes(2).toString('hex')}`;
  const conf = join(dir, 'slurm.conf');
  const host = hostname();
  writeFileSync(conf, [
    'ClusterName=tunetest',
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${await freePort()}`,
    `SlurmdPort=${await freePort()}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${socket}`,
    `StateSaveLocation=${state}`,
    `SlurmdSpoolDir=${spool}`,
    `SlurmctldPidFile=${pidFiles.slurmctld}`,
    `SlurmdPidFile=${pidFiles.slurmd}`,
    `SlurmctldLogFile=${logs[1]}`,
    `SlurmdLogFile=${logs[2]}`,
    'ProctrackType=proctrack/pgid',
    'TaskPlugin=task/none',
    'MpiDefault=none',
    'MailProg=/bin/true',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'SchedulerParameters=batch_sched_delay=0,sched_interval=1,bf_interval=1',
    // The node declares more CPUs than the machine has: trials of a test need cores only now and then.
    'SlurmdParameters=config_overrides',
    'ReturnToService=2',
    // How long scancel's SIGTERM has before SIGKILL follows.
    'KillWait=5',
    // A client gives up on an unreachable controller after this many seconds (the controller-down test waits on it).
    'MessageTimeout=4',
    `NodeName=${node} NodeAddr=127.0.0.1 NodeHostname=${host} CPUs=8 RealMemory=4000 State=UNKNOWN`,
    `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n'));
  const env = { ...process.env, SLURM_CONF: conf };

  const pids: number[] = [];
  const readPid = (file: string) => {
    const pid = Number(readFileSync(file, 'utf8').trim());
    pids.push(pid);
    return pid;
  };
  // If the test process ends without stop() (a failed hook), the daemons go with it.
  const killAll = () => {
    for (const pid of pids) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  };
  process.on('exit', killAll);

  try {
    run('munged', [`--key-file=${key}`, `--socket=${socket}`, `--pid-file=${pidFiles.munged}`, `--log-file=${logs[0]}`, `--seed-file=${join(mungeDir, 'munged.seed')}`]);
    await until('munged wrote its pid file', () => existsSync(pidFiles.munged), logs);
    readPid(pidFiles.munged);
    run('slurmctld', ['-f', conf], env);
    await until('slurmctld wrote its pid file', () => existsSync(pidFiles.slurmctld), logs);
    readPid(pidFiles.slurmctld);
    run('slurmd', ['-f', conf, '-N', node], env);
    await until('slurmd wrote its pid file', () => existsSync(pidFiles.slurmd), logs);
    readPid(pidFiles.slurmd);
    await until(`node ${node} is idle`, () => spawnSync('sinfo', ['-h', '-n', node, '-o', '%T'], { env, encoding: 'utf8' }).stdout.trim() === 'idle', logs);
  } catch (err) {
    killAll();
    throw err;
  }

  const jobs = () => run('squeue', ['--noheader', '--format=%i %j %T'], env).split('\n').filter((l) => l.trim()).map((l) => {
    const [job, name, st] = l.trim().split(/\s+/);
    return { job, name, state: st };
  });
  const cancelAll = async () => {
    const left = jobs();
    if (left.length) run('scancel', left.map((j) => j.job), env);
    await until('every job ended', () => jobs().length === 0, logs);
  };
  return {
    env: { SLURM_CONF: conf },
    node,
    jobs,
    cancelAll,
    async stopController() {
      const pid = Number(readFileSync(pidFiles.slurmctld, 'utf8').trim());
      process.kill(pid, 'SIGTERM');
      await until('slurmctld stopped', () => !alive(pid), logs);
    },
    async startController() {
      rmSync(pidFiles.slurmctld, { force: true });
      run('slurmctld', ['-f', conf], env);
      await until('slurmctld wrote its pid file', () => existsSync(pidFiles.slurmctld), logs);
      readPid(pidFiles.slurmctld);
      await until('the controller answers', () => spawnSync('squeue', ['--noheader'], { env }).status === 0, logs);
    },
    async stop() {
      await cancelAll();
      // Read again: the files are the record of which processes are the daemons.
      for (const file of [pidFiles.slurmd, pidFiles.slurmctld, pidFiles.munged]) {
        const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
        if (Number.isInteger(pid) && pid > 0) try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
      }
      await until('the daemons stopped', () => pids.every((p) => !alive(p)), logs);
      process.off('exit', killAll);
    },
  };
}
