import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { BadInputError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { isPlainObject } from '../util/json.js';
import { sessionPaths } from './layout.js';
import { applyEvent, SESSION_SCHEMA, type EventBody, type SessionEvent, type SessionState } from './state.js';
import { renderSummary } from './summary.js';
import { sessionProblems } from './validate-state.js';
import { TrialFiles } from './trial-files.js';

const SNAPSHOT_EVERY_MS = 2000;

/**
 * The session on disk: every change is appended to events.jsonl first (cheap, proportional to the change),
 * then folded into the in-memory state; session.json is a full snapshot written now and then and at every
 * lifecycle step. Loading reads the snapshot and replays the journal past it (LESSONS: cost of saving).
 */
export class SessionStore {
  private journalFd: number;
  private lastSnapshot = 0;
  private readonly listeners: ((ev: SessionEvent) => void)[] = [];
  /** The trials' folders and the pause signal. */
  readonly files: TrialFiles;

  private constructor(readonly dir: string, readonly state: SessionState) {
    this.journalFd = openSync(sessionPaths(dir).events, 'a');
    this.files = new TrialFiles(dir, state.scheduleWriteBack ?? null);
  }

  /** Writes the first snapshot of a new session into `dir`, which the caller made and locked. */
  static create(dir: string, state: SessionState): SessionStore {
    mkdirSync(sessionPaths(dir).trials);
    const store = new SessionStore(dir, state);
    store.snapshot();
    return store;
  }

  /** Opens an existing session for driving it (the caller holds the lock). */
  static open(dir: string, state: SessionState = loadSessionState(dir)): SessionStore {
    dropTornTail(sessionPaths(dir).events);
    return new SessionStore(dir, state);
  }

  onEvent(listener: (ev: SessionEvent) => void): void {
    this.listeners.push(listener);
  }

  append(body: EventBody): SessionEvent {
    const ev = { seq: this.state.seq + 1, t: Date.now(), ...body } as SessionEvent;
    const line = Buffer.from(JSON.stringify(ev) + '\n');
    let off = 0;
    while (off < line.length) off += writeSync(this.journalFd, line, off);
    // A trial drops its older checkpoints once it has saved a newer one, which it does only after tune has
    // answered its next report, that is after this event was handled: flushed now, the journal on disk never
    // names a checkpoint that is gone, even across a power loss (DESIGN §5.2).
    if (ev.type === 'checkpoint') fsyncSync(this.journalFd);
    applyEvent(this.state, ev);
    for (const l of this.listeners) l(ev);
    if (ev.t - this.lastSnapshot >= SNAPSHOT_EVERY_MS) this.snapshot();
    return ev;
  }

  snapshot(): void {
    fsyncSync(this.journalFd);
    const p = sessionPaths(this.dir);
    writeFileAtomic(p.state, JSON.stringify(this.state, null, 1) + '\n');
    writeFileAtomic(p.summary, renderSummary(this.state));
    this.lastSnapshot = Date.now();
  }

  close(): void {
    this.snapshot();
    closeSync(this.journalFd);
  }
}

function sessionProblem(file: string, message: string): BadInputError {
  return new BadInputError(`${file}: ${message}`);
}

/** Reads a session's state (snapshot + journal) without changing anything. Bad files are BadInputErrors. */
export function loadSessionState(dir: string): SessionState {
  const p = sessionPaths(dir);
  if (!existsSync(dir)) throw new BadInputError(`${dir}: no such session directory; check the path printed when the session paused`);
  if (!statSync(dir).isDirectory()) throw new BadInputError(`${dir}: is a file, but a session directory was expected`);
  if (!existsSync(p.state)) throw new BadInputError(`${dir}: not a tune session (session.json is missing); point --resume-session at a folder named session_*`);
  let raw: unknown;
  const text = readFileSync(p.state, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw sessionProblem(p.state, `is not valid JSON (${(err as Error).message}); it may have been edited by hand — restore it from a backup`);
  }
  if (!isPlainObject(raw)) throw sessionProblem(p.state, 'must hold a JSON object');
  if (raw.schema === undefined) throw sessionProblem(p.state, 'field schema is missing; this is not a session written by tune');
  if (typeof raw.schema !== 'number' || !Number.isInteger(raw.schema)) throw sessionProblem(p.state, `schema is ${JSON.stringify(raw.schema)}, but must be a whole number`);
  if (raw.schema > SESSION_SCHEMA) {
    throw sessionProblem(p.state, `schema is ${raw.schema}, but this tune reads sessions up to schema ${SESSION_SCHEMA}; upgrade tune to resume it`);
  }
  if (raw.schema < 1) throw sessionProblem(p.state, `schema is ${raw.schema}, which no tune ever wrote`);
  const need: [string, string][] = [
    ['id', 'string'], ['experiment', 'string'], ['status', 'string'], ['spec', 'object'], ['searcher', 'object'],
    ['scheduler', 'object'], ['trials', 'array'], ['seq', 'number'], ['baseDir', 'string'],
  ];
  for (const [key, type] of need) {
    const v = raw[key];
    const ok = type === 'array' ? Array.isArray(v) : type === 'object' ? isPlainObject(v) : typeof v === type;
    if (!ok) throw sessionProblem(p.state, `field ${key} must be ${type === 'array' ? 'a list' : `a ${type}`}, but it is ${JSON.stringify(v) ?? 'missing'}`);
  }
  const before = sessionProblems(raw, p.state);
  if (before.length) throw new BadInputError(before);
  const state = raw as unknown as SessionState;
  replayJournal(p.events, state);
  const after = sessionProblems(state as unknown as Record<string, unknown>, `${p.state} + ${p.events}`);
  if (after.length) throw new BadInputError(after);
  return state;
}

function replayJournal(file: string, state: SessionState): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // The last piece after the final newline is '' or a torn line of a crashed append: never applied.
  for (let i = 0; i < lines.length - 1; i++) {
    const line = lines[i];
    if (line === '') continue;
    let ev: SessionEvent;
    try {
      ev = JSON.parse(line) as SessionEvent;
    } catch {
      throw new BadInputError(`${file}:${i + 1}: journal line is not JSON; the journal was damaged — remove that line and the ones after it to resume from the last snapshot`);
    }
    if (typeof ev.seq !== 'number' || typeof ev.type !== 'string') {
      throw new BadInputError(`${file}:${i + 1}: journal event lacks seq or type; the journal was damaged`);
    }
    if (ev.seq <= state.seq) continue;
    try {
      applyEvent(state, ev);
    } catch (err) {
      throw new BadInputError(`${file}:${i + 1}: ${(err as Error).message}; the journal does not match session.json`);
    }
  }
}

/** A crash in the middle of an append leaves a torn last line; it was never applied, so it goes. */
function dropTornTail(file: string): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file);
  if (text.length === 0 || text[text.length - 1] === 10) return;
  truncateSync(file, text.lastIndexOf(10) + 1);
}
