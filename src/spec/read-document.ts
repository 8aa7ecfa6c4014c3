import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { load, YAMLException } from 'js-yaml';
import { BadInputError } from '../errors.js';
import { locateFields } from './locate.js';

export interface ParsedDocument {
  file: string;
  text: string;
  format: 'yaml' | 'json';
  data: unknown;
  lines: Map<string, number>;
}

export function formatOf(file: string): 'yaml' | 'json' {
  return extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
}

/**
 * Reads a YAML or JSON file (by extension; anything but .json is YAML) and returns its data with the line of
 * every field. Unreadable or malformed files become one BadInputError line naming the file and the line.
 */
export function readDocument(file: string, what: string): ParsedDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BadInputError(`${file}: ${what} not found; check the path`);
    if (code === 'EISDIR') throw new BadInputError(`${file}: is a folder, but a ${what} file was expected`);
    throw new BadInputError(`${file}: cannot read the ${what} (${code ?? String(err)})`);
  }
  const format = formatOf(file);
  let data: unknown;
  if (format === 'json') {
    try {
      data = JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message;
      const m = /position (\d+)/.exec(msg);
      const line = m ? text.slice(0, Number(m[1])).split('\n').length : undefined;
      throw new BadInputError(`${file}${line ? `:${line}` : ''}: malformed JSON in the ${what}: ${msg.replace(/^.*?JSON[^:]*: ?/, '')}`);
    }
  } else {
    try {
      data = load(text, { filename: file });
    } catch (err) {
      if (err instanceof YAMLException) {
        const line = err.mark ? err.mark.line + 1 : undefined;
        throw new BadInputError(`${file}${line ? `:${line}` : ''}: malformed YAML in the ${what}: ${err.reason}`);
      }
      throw new BadInputError(`${file}: malformed YAML in the ${what}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { file, text, format, data, lines: locateFields(text) };
}
