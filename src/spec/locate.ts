import { parseEvents, EVENT_ID, getScalarValue, type Event } from 'js-yaml';

/**
 * Maps each field path of a YAML or JSON document (`search_space.lr.low`, `trial.command.0`) to the
 * 1-based line where it is written, so errors can say where to look. JSON is read as YAML flow syntax.
 */
export function locateFields(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return lines;
  }
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };

  type Frame = { kind: 'map'; expectKey: boolean; key: string | null; path: string } | { kind: 'seq'; index: number; path: string };
  const stack: Frame[] = [];
  const join = (base: string, part: string): string => (base === '' ? part : `${base}.${part}`);
  // The path of the node about to start, and records the position of map keys and sequence items.
  const enterValue = (offset: number): string | null => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.kind === 'seq') {
      const p = join(top.path, String(top.index++));
      if (offset >= 0) lines.set(p, lineOf(offset));
      return p;
    }
    if (top.expectKey) return null; // a key, handled by the caller
    top.expectKey = true;
    return join(top.path, top.key ?? '?');
  };

  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const top = stack[stack.length - 1];
        if (top && top.kind === 'map' && top.expectKey) {
          // A complex key: skip its contents by treating it as an anonymous value.
          top.expectKey = false;
          top.key = '?';
        }
        const path = enterValue(ev.start) ?? '?';
        stack.push(ev.type === EVENT_ID.MAPPING ? { kind: 'map', expectKey: true, key: null, path } : { kind: 'seq', index: 0, path });
        break;
      }
      case EVENT_ID.SCALAR: {
        const top = stack[stack.length - 1];
        if (top && top.kind === 'map' && top.expectKey) {
          top.key = getScalarValue(text, ev);
          top.expectKey = false;
          lines.set(join(top.path, top.key), lineOf(ev.valueStart >= 0 ? ev.valueStart : 0));
        } else {
          enterValue(ev.valueStart);
        }
        break;
      }
      case EVENT_ID.ALIAS:
        enterValue(-1);
        break;
      case EVENT_ID.POP:
        if (stack.length) stack.pop();
        break;
      default:
        break;
    }
  }
  return lines;
}

/** The line of `path`, or of its nearest written ancestor. */
export function lineFor(lines: Map<string, number>, path: string): number | undefined {
  let p = path;
  for (;;) {
    const l = lines.get(p);
    if (l !== undefined) return l;
    const dot = p.lastIndexOf('.');
    if (dot < 0) return undefined;
    p = p.slice(0, dot);
  }
}
