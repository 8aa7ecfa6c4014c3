import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** Where an installed package's files are. */
export function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/** `name@version` of the installed package: what a cache file made from it records. */
export function packageId(name: string): string {
  const { version } = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string };
  return `${name}@${version}`;
}
