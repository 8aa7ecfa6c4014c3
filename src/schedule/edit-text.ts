import { parseEvents, EVENT_ID, getScalarValue, type Event, type ScalarEvent } from 'js-yaml';

interface OpMapping {
  style: number; // 1 block, 2 flow
  start: number;
  keys: { key: ScalarEvent; name: string; value: Event }[];
}

/** The mappings of a top-level sequence, with their keys and scalar values (enough for operations). */
function opMappings(text: string): OpMapping[] {
  const events = parseEvents(text, {});
  const out: OpMapping[] = [];
  let depth = 0;
  let current: OpMapping | null = null;
  let pendingKey: ScalarEvent | null = null;
  for (const ev of events) {
    if (ev.type === EVENT_ID.SEQUENCE || ev.type === EVENT_ID.MAPPING) {
      depth++;
      if (depth === 2 && ev.type === EVENT_ID.MAPPING) {
        current = { style: ev.style, start: ev.start, keys: [] };
        out.push(current);
        pendingKey = null;
      } else if (depth === 3 && current && pendingKey) {
        current.keys.push({ key: pendingKey, name: getScalarValue(text, pendingKey), value: ev });
        pendingKey = null;
      }
    } else if (ev.type === EVENT_ID.POP) {
      depth--;
      if (depth === 1) current = null;
    } else if ((ev.type === EVENT_ID.SCALAR || ev.type === EVENT_ID.ALIAS) && depth === 2 && current) {
      if (pendingKey === null && ev.type === EVENT_ID.SCALAR) pendingKey = ev;
      else if (pendingKey) {
        current.keys.push({ key: pendingKey, name: getScalarValue(text, pendingKey), value: ev });
        pendingKey = null;
      }
    }
  }
  return out;
}

/**
 * Sets each operation's `completed` flag in a YAML schedule's own text: an existing value is replaced, a
 * missing one is added after the operation's last field with the same indentation (or inside its braces).
 * Everything else (comments, quoting, blank lines, key order) stays as the user wrote it.
 */
export function setCompletedInYaml(text: string, completed: readonly boolean[]): string {
  const maps = opMappings(text);
  const edits: { at: number; end: number; insert: string }[] = [];
  maps.forEach((m, i) => {
    const flag = completed[i] ? 'true' : 'false';
    const existing = m.keys.find((k) => k.name === 'completed');
    if (existing && existing.value.type === EVENT_ID.SCALAR) {
      edits.push({ at: existing.value.valueStart, end: existing.value.valueEnd, insert: flag });
      return;
    }
    const last = m.keys[m.keys.length - 1];
    if (!last || last.value.type !== EVENT_ID.SCALAR) return;
    const valueEnd = (last.value as ScalarEvent).valueEnd;
    if (m.style === 2) {
      const close = text.indexOf('}', valueEnd);
      if (close < 0) return;
      edits.push({ at: close, end: close, insert: `, completed: ${flag}` });
    } else {
      const lineStart = text.lastIndexOf('\n', m.keys[0].key.valueStart - 1) + 1;
      const indent = m.keys[0].key.valueStart - lineStart;
      const lineEnd = text.indexOf('\n', valueEnd);
      const at = lineEnd < 0 ? text.length : lineEnd;
      edits.push({ at, end: at, insert: `\n${' '.repeat(indent)}completed: ${flag}` });
    }
  });
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.insert + out.slice(e.end);
  return out;
}
