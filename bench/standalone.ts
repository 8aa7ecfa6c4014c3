import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Lets a bench module also run on its own (`node --import tsx bench/<name>.ts [--quick]`): when it is the
 * entry point, measure, write the JSON and print the table. `npm run bench` imports it and does the same
 * for every section at once.
 */
export async function runStandalone<R>(
  moduleUrl: string,
  resultsFile: string,
  measure: (opts: { quick: boolean; log: (line: string) => void }) => Promise<R>,
  format: (result: R) => string,
): Promise<void> {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  const result = await measure({ quick: process.argv.includes('--quick'), log: (l) => process.stderr.write(`${l}\n`) });
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${format(result)}\nwrote ${resultsFile}\n`);
}

/** What every bench section says about the machine it measured on. */
export function machineBasics(): Record<string, unknown> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    loadavg_start: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
