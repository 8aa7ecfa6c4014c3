import { dump } from 'js-yaml';
import { BadInputError } from '../errors.js';
import { lineFor } from '../spec/locate.js';
import { formatOf, readDocument } from '../spec/read-document.js';
import { closest } from '../spec/validate.js';
import { readFileSync } from 'node:fs';
import { setCompletedInYaml } from './edit-text.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { isPlainObject } from '../util/json.js';
import { checkValue, operationNames, operationSpec } from './operations.js';
import type { Operation } from './types.js';

const FIELDS = ['name', 'value', 'trigger_loss', 'max_wait_iters', 'desc', 'reevaluate', 'completed'];

/** A schedule as loaded: its operations, plus what is needed to write it back in its own format and order. */
export interface ScheduleFile {
  file: string;
  format: 'yaml' | 'json';
  ops: Operation[];
  /** The operations as written (key order kept); saving sets `completed` in these. */
  raw: Record<string, unknown>[];
  indent: number;
  /** True when some operation had no `completed` field. */
  lacksCompleted: boolean;
}

/**
 * Checks schedule data strictly: an unknown field or operation name is an error naming the file, the
 * operation's index and the line (DESIGN §6). All problems are reported, one line each.
 */
export function parseSchedule(data: unknown, file: string, lines: Map<string, number>): { ops: Operation[]; raw: Record<string, unknown>[] } {
  const problems: string[] = [];
  const at = (path: string) => {
    const l = lineFor(lines, path);
    return `${file}${l ? `:${l}` : ''}`;
  };
  if (!Array.isArray(data)) {
    throw new BadInputError(`${file}: a schedule must be a list of operations (${data === null || data === undefined ? 'the file is empty; write [] for an empty schedule' : `found ${typeof data}`})`);
  }
  const ops: Operation[] = [];
  data.forEach((item, i) => {
    const where = (field?: string) => `${at(field ? `${i}.${field}` : `${i}`)}: operation ${i}${isPlainObject(item) && typeof item.name === 'string' ? ` (${item.name})` : ''}${field ? `: ${field}` : ''}`;
    if (!isPlainObject(item)) {
      problems.push(`${where()}: must be a mapping like {name: change_lr, value: 0.5, trigger_loss: 1.2}`);
      return;
    }
    const before = problems.length;
    for (const key of Object.keys(item)) {
      if (!FIELDS.includes(key)) problems.push(`${where(key)}: unknown field; allowed: ${FIELDS.join(', ')}`);
    }
    const spec = typeof item.name === 'string' ? operationSpec(item.name) : undefined;
    if (typeof item.name !== 'string') problems.push(`${where('name')}: is ${JSON.stringify(item.name) ?? 'missing'}, but must name an operation`);
    else if (!spec) {
      const guess = closest(item.name, operationNames());
      problems.push(`${where('name')}: unknown operation ${JSON.stringify(item.name)}${guess ? `; did you mean "${guess}"?` : `; known: ${operationNames().join(', ')}`}`);
    }
    if (spec) {
      const bad = checkValue(spec, item.value);
      if (bad) problems.push(`${where('value')}: is ${JSON.stringify(item.value) ?? 'missing'}, but ${bad} for ${spec.name}`);
    }
    const num = (k: 'trigger_loss' | 'max_wait_iters') => {
      const v = item[k];
      if (v === undefined || v === null) return null;
      if (typeof v !== 'number' || !Number.isFinite(v) || (k === 'max_wait_iters' && (!Number.isInteger(v) || v < 0))) {
        problems.push(`${where(k)}: is ${JSON.stringify(v)}, but must be ${k === 'max_wait_iters' ? 'a whole number >= 0' : 'a number'} (or left out)`);
        return null;
      }
      return v;
    };
    const trigger_loss = num('trigger_loss');
    const max_wait_iters = num('max_wait_iters');
    if (item.trigger_loss == null && item.max_wait_iters == null) {
      problems.push(`${where()}: has neither trigger_loss nor max_wait_iters, so it could never fire; give one or both`);
    }
    const bool = (k: 'reevaluate' | 'completed') => {
      const v = item[k];
      if (v === undefined || v === null) return false;
      if (typeof v !== 'boolean') problems.push(`${where(k)}: is ${JSON.stringify(v)}, but must be true or false`);
      return v === true;
    };
    const reevaluate = bool('reevaluate');
    const completed = bool('completed');
    if (item.desc !== undefined && item.desc !== null && typeof item.desc !== 'string') problems.push(`${where('desc')}: must be text`);
    if (problems.length > before) return;
    ops.push({ name: item.name as string, value: item.value as number, trigger_loss, max_wait_iters, desc: (item.desc as string | undefined) ?? '', reevaluate, completed });
  });
  if (problems.length) throw new BadInputError(problems);
  return { ops, raw: data as Record<string, unknown>[] };
}

function indentOf(text: string): number {
  const m = /\n( +)\S/.exec(text);
  return m ? m[1].length : 2;
}

/**
 * Loads a schedule file (YAML or JSON, by extension). `init_from: scratch` clears every completed flag;
 * `resume` keeps them (the original tool's two modes).
 */
export function loadScheduleFile(file: string, initFrom: 'scratch' | 'resume' = 'resume'): ScheduleFile {
  const doc = readDocument(file, 'schedule');
  const { ops, raw } = parseSchedule(doc.data, file, doc.lines);
  if (initFrom === 'scratch') for (const op of ops) op.completed = false;
  return { file, format: doc.format, ops, raw, indent: indentOf(doc.text), lacksCompleted: raw.some((r) => !('completed' in r)) };
}

/** The schedule's text with these completed flags, in its own format, each operation's keys in their order. */
export function renderSchedule(s: Pick<ScheduleFile, 'format' | 'raw' | 'indent'>, completed: readonly boolean[]): string {
  const out = s.raw.map((r, i) => ({ ...r, completed: completed[i] ?? false }));
  return s.format === 'json' ? JSON.stringify(out, null, s.indent) + '\n' : dump(out, { lineWidth: 120 });
}

/**
 * Writes completed flags into a user's own schedule file (tune train's write-back, migrate): YAML keeps its
 * text, comments and all; JSON is rewritten in its own indentation and key order.
 */
export function writeCompletedFlags(path: string, completed: readonly boolean[]): void {
  const text = readFileSync(path, 'utf8');
  if (formatOf(path) === 'yaml') {
    writeFileAtomic(path, setCompletedInYaml(text, completed));
    return;
  }
  const raw = JSON.parse(text) as Record<string, unknown>[];
  writeFileAtomic(path, renderSchedule({ format: 'json', raw, indent: indentOf(text) }, completed));
}

export function saveSchedule(path: string, s: Pick<ScheduleFile, 'format' | 'raw' | 'indent'>, completed: readonly boolean[]): void {
  writeFileAtomic(path, renderSchedule(s, completed));
}
