import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Metrics } from '../search/types.js';
import { sessionPaths } from './layout.js';
import type { SessionEvent } from './state.js';

/** One run of a session (its start or a resume), from its lifecycle event to the last event it wrote. */
export interface RunSpan {
  start: number;
  end: number;
}

/**
 * What a session went through, as the journal tells it: each run's span (the session's total time), the
 * best value after every improvement (the best-so-far chart), each trial's recent values of the metric
 * and every metric it reported at its best boundary, and the names of all reported metrics. Read-only:
 * folds events, from the journal on disk and then from the live store, into bounded data.
 */
export class SessionHistory {
  readonly runs: RunSpan[] = [];
  /** The session's best value after each improvement, oldest first (at most `keep` of them). */
  readonly best: { t: number; value: number }[] = [];
  /** Every metric name reported, in the order first seen. */
  readonly metrics: string[] = [];
  private readonly seen = new Set<string>();
  private readonly series = new Map<string, [number, number][]>();
  private readonly trialBest = new Map<string, { value: number; iteration: number; metrics: Metrics }>();

  constructor(
    private readonly metric: string,
    private readonly mode: 'min' | 'max',
    /** How many values a series keeps: the charts show at most this many. */
    private readonly keep = 120,
  ) {}

  /** Folds one event in. Events of other kinds only extend the current run's span. */
  add(ev: Pick<SessionEvent, 't' | 'type'> & Partial<{ id: string; iteration: number; metrics: Metrics }>): void {
    if (ev.type === 'session_started' || ev.type === 'session_resumed') this.runs.push({ start: ev.t, end: ev.t });
    else if (this.runs.length) this.runs[this.runs.length - 1].end = Math.max(this.runs[this.runs.length - 1].end, ev.t);
    if (ev.type !== 'report' || !ev.id || ev.metrics === undefined || ev.iteration === undefined) return;
    for (const k in ev.metrics) {
      if (!this.seen.has(k)) {
        this.seen.add(k);
        this.metrics.push(k);
      }
    }
    const v = ev.metrics[this.metric];
    if (typeof v !== 'number' || Number.isNaN(v)) return;
    let s = this.series.get(ev.id);
    if (!s) this.series.set(ev.id, (s = []));
    // A trial restarted from an older checkpoint reports its boundaries again: what it redoes replaces them.
    while (s.length && s[s.length - 1][0] >= ev.iteration) s.pop();
    s.push([ev.iteration, v]);
    // Trimmed now and then rather than at every report: a long journal folds in linear time.
    if (s.length >= 2 * this.keep) s.splice(0, s.length - this.keep);
    const tb = this.trialBest.get(ev.id);
    if (!tb || this.better(v, tb.value)) this.trialBest.set(ev.id, { value: v, iteration: ev.iteration, metrics: ev.metrics });
    const last = this.best[this.best.length - 1];
    if (!last || this.better(v, last.value)) {
      this.best.push({ t: ev.t, value: v });
      if (this.best.length > this.keep) this.best.shift();
    }
  }

  /** The trial's metric at its recent boundaries, oldest first. */
  seriesOf(id: string): readonly number[] {
    return (this.series.get(id) ?? []).slice(-this.keep).map(([, v]) => v);
  }

  /** Every metric the trial reported at the boundary of its best value, or null before it has one. */
  atBest(id: string): { iteration: number; metrics: Metrics } | null {
    const b = this.trialBest.get(id);
    return b ? { iteration: b.iteration, metrics: b.metrics } : null;
  }

  /** Milliseconds the session ran before its current run, and when the current run started. */
  clock(fallbackStart: number): { before: number; since: number } {
    if (this.runs.length === 0) return { before: 0, since: fallbackStart };
    const before = this.runs.slice(0, -1).reduce((a, r) => a + (r.end - r.start), 0);
    return { before, since: this.runs[this.runs.length - 1].start };
  }

  private better(a: number, b: number): boolean {
    return this.mode === 'min' ? a < b : a > b;
  }
}

/** `{"seq":12,"t":1712345678901,"type":"report"` — how the store writes every event's first keys. */
const HEAD = /^\{"seq":\d+,"t":(\d+),"type":"([a-z_]+)"/;
/** A report's next keys, as the orchestrator writes them: its metrics are one flat object of numbers. */
const REPORT = /^,"id":"([^"\\]+)","iteration":(\d+),"metrics":(\{[^{}]*\})/;
const CHUNK = 1 << 20;

/**
 * Folds a session's journal into `history`, reading it in 1 MiB chunks from the start (it is the only
 * record of when each run started and of every report). Only reports are parsed whole; other events give
 * their time and type from the line's head. A torn last line (a crash mid-append) is skipped.
 */
export function readSessionHistory(sessionDir: string, history: SessionHistory): SessionHistory {
  let fd: number;
  try {
    fd = openSync(sessionPaths(sessionDir).events, 'r');
  } catch {
    return history;
  }
  try {
    const buf = Buffer.alloc(CHUNK);
    const decoder = new StringDecoder('utf8');
    let carry = '';
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      const text = carry + decoder.write(buf.subarray(0, n));
      const lines = text.split('\n');
      carry = lines.pop() as string;
      for (const line of lines) foldLine(line, history);
    }
  } finally {
    closeSync(fd);
  }
  return history;
}

function foldLine(line: string, history: SessionHistory): void {
  if (!line) return;
  const head = HEAD.exec(line);
  if (head && head[2] !== 'report') {
    history.add({ t: Number(head[1]), type: head[2] as SessionEvent['type'] });
    return;
  }
  // Most of a long journal is reports: parsing only their metrics reads one three times faster.
  const report = head ? REPORT.exec(line.slice(head[0].length)) : null;
  if (head && report) {
    try {
      history.add({ t: Number(head[1]), type: 'report', id: report[1], iteration: Number(report[2]), metrics: JSON.parse(report[3]) as Metrics });
      return;
    } catch {
      // not the expected shape after all: parsed whole below
    }
  }
  try {
    const ev = JSON.parse(line) as SessionEvent;
    if (typeof ev.t === 'number' && typeof ev.type === 'string') history.add(ev as Parameters<SessionHistory['add']>[0]);
  } catch {
    // A damaged line: loading the session reports it; the view just goes without it.
  }
}
