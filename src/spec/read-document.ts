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
      throw new BadInputError(jsonProblem(file, what, text, (err as Error).message));
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

/**
 * One line for a JSON.parse failure: V8 says where as a character offset ("in JSON at position 61", and on
 * newer versions "(line 2 column 17)"), which people cannot use; it becomes `file:line:` and a column.
 * Input that ends too early has no position: that is the last line.
 */
function jsonProblem(file: string, what: string, text: string, message: string): string {
  const pos = /\bat position (\d+)/.exec(message);
  let reason = message
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/\s*(in JSON )?at position \d+/, '')
    .replace(/^Unexpected token '(.)', .*? is not valid JSON$/s, 'Unexpected character \'$1\'')
    .replace(/^Unexpected non-whitespace character after JSON$/, 'Unexpected text after the end of the JSON document');
  let line: number | undefined;
  let column: number | undefined;
  const end = text.trimEnd().length;
  if ((pos && Number(pos[1]) >= end) || /end of JSON input/.test(message)) {
    // Stopped at the end: what is missing is not on the (blank) line after it, so name the last written line.
    line = text.slice(0, end).split('\n').length;
    reason = end === 0 ? 'the file is empty' : 'the file ends before the JSON document does (a missing } or ]?)';
  } else if (pos) {
    const offset = Number(pos[1]);
    const before = text.slice(0, offset);
    line = before.split('\n').length;
    column = offset - (before.lastIndexOf('\n') + 1) + 1;
  }
  return `${file}${line ? `:${line}` : ''}: malformed JSON in the ${what}${column ? ` (column ${column})` : ''}: ${reason}`;
}
