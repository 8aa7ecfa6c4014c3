import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { BadInputError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { isPlainObject } from '../util/json.js';
import { isCutShortSession, sessionPaths } from './layout.js';
import { applyEvent, SESSION_SCHEMA, type EventBody, type SessionEvent, type SessionState } from './state.js';
import { renderSummary } from './summary.js';
import { sessionProblems } from './validate-state.js';
import { TrialFiles } from './trial-files.js';
import { describeFault, faultOf, type EnvironmentFault } from './fault.js';

const SNAPSHOT_EVERY_MS = 2000;

/**
 * The session on disk: every change is appended to events.jsonl first (cheap, proportional to the change),
 * then folded into the in-memory state; session.json is a full snapshot written now and then and at every
 * lifecycle step. Loading reads the snapshot and replays the journal past it (LESSONS: cost of saving).
 *
 * A write the disk refuses (full, read-only, failing) never throws into the run: the journal is cut back to
 * its last whole line, the events from then on wait in memory (and are written when the disk takes them
 * again, at the latest when the session closes), and the fault is reported to whoever listens, so the
 * session can pause (DESIGN §5.8). What is on disk stays a consistent, resumable prefix of the run.
 */
export class SessionStore {
  private journalFd: number;
  /** Length of the journal's whole lines on disk. */
  private journalBytes: number;
  /** Lines not yet on disk because the disk refused a write, in order. */
  private pending: Buffer[] = [];
  /** The seq of the last line in `pending`. */
  private pendingSeq = 0;
  /** A cut-back failed: the journal's tail may be torn, so nothing more may be appended after it. */
  private journalBroken = false;
  private lastSnapshot = 0;
  /** The last event that is on disk and flushed (journal or snapshot). */
  private durable = 0;
  private firstFault: EnvironmentFault | null = null;
  private readonly listeners: ((ev: SessionEvent) => void)[] = [];
  private readonly faultListeners: ((f: EnvironmentFault) => void)[] = [];
  /** The trials' folders and the pause signal. */
  readonly files: TrialFiles;

  private constructor(readonly dir: string, readonly state: SessionState) {
    const events = sessionPaths(dir).events;
    this.journalFd = openSync(events, 'a');
    this.journalBytes = fstatSync(this.journalFd).size;
    this.durable = state.seq;
    this.files = new TrialFiles(dir, state.scheduleWriteBack ?? null, (f) => this.reportFault(f));
  }

  /** Writes the first snapshot of a new session into `dir`, which the caller made and locked. */
  static create(dir: string, state: SessionState): SessionStore {
    mkdirSync(sessionPaths(dir).trials);
    const store = new SessionStore(dir, state);
    store.snapshot();
    if (store.firstFault) {
      const f = store.firstFault;
      store.close();
      throw Object.assign(new Error(describeFault(f)), { fault: f });
    }
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

  /** Called once, at the first write the disk refused. */
  onFault(listener: (f: EnvironmentFault) => void): void {
    this.faultListeners.push(listener);
    if (this.firstFault) listener(this.firstFault);
  }

  /** The first write the disk refused in this run, or null. */
  get fault(): EnvironmentFault | null {
    return this.firstFault;
  }

  /** Whether event `seq` is on disk and flushed, so a crash or power loss now would keep it. */
  isDurable(seq: number): boolean {
    return seq <= this.durable;
  }

  private reportFault(f: EnvironmentFault): void {
    if (this.firstFault) return;
    this.firstFault = f;
    for (const l of this.faultListeners) l(f);
  }

  append(body: EventBody): SessionEvent {
    const ev = { seq: this.state.seq + 1, t: Date.now(), ...body } as SessionEvent;
    this.pending.push(Buffer.from(JSON.stringify(ev) + '\n'));
    this.pendingSeq = ev.seq;
    // A trial drops its older checkpoints once it has saved a newer one, which it does only after tune has
    // answered its next report, that is after this event was handled: flushed now, the journal on disk never
    // names a checkpoint that is gone, even across a power loss (DESIGN §5.2).
    this.writePending(ev.type === 'checkpoint');
    applyEvent(this.state, ev);
    for (const l of this.listeners) l(ev);
    if (ev.t - this.lastSnapshot >= SNAPSHOT_EVERY_MS) this.snapshot();
    return ev;
  }

  /** Writes the lines waiting in memory; on a refusal cuts the journal back to its last whole line. */
  private writePending(flush: boolean): void {
    if (this.journalBroken || this.pending.length === 0) return;
    const line = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    const lastSeq = this.pendingSeq;
    try {
      let off = 0;
      while (off < line.length) off += writeSync(this.journalFd, line, off);
      if (flush) fsyncSync(this.journalFd);
    } catch (err) {
      try {
        ftruncateSync(this.journalFd, this.journalBytes);
      } catch {
        this.journalBroken = true; // the torn tail is dropped when the session is next opened
      }
      this.reportFault(faultOf(err, sessionPaths(this.dir).events));
      return;
    }
    this.journalBytes += line.length;
    this.pending = [];
    if (flush) this.durable = lastSeq;
  }

  snapshot(): void {
    const p = sessionPaths(this.dir);
    try {
      const onDisk = this.pendingSeq;
      this.writePending(false);
      if (this.pending.length === 0 && !this.journalBroken) {
        fsyncSync(this.journalFd);
        this.durable = Math.max(this.durable, onDisk);
      }
      writeFileAtomic(p.state, JSON.stringify(this.state, null, 1) + '\n');
      // session.json is whole in itself: what it holds survives, whatever the journal could not take.
      this.durable = this.state.seq;
      writeFileAtomic(p.summary, renderSummary(this.state));
    } catch (err) {
      this.reportFault(faultOf(err, null));
    }
    this.lastSnapshot = Date.now();
  }

  /** Writes what is still waiting and the last snapshot; never throws: a refusal is the store's fault. */
  close(): void {
    this.snapshot();
    try {
      closeSync(this.journalFd);
    } catch (err) {
      this.reportFault(faultOf(err, sessionPaths(this.dir).events));
    }
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
  if (!existsSync(p.state)) {
    if (isCutShortSession(dir)) {
      throw new BadInputError(`${dir}: this session was never fully created (tune stopped before it wrote session.json), so no trial ran in it; start the search again, and delete this folder`);
    }
    throw new BadInputError(`${dir}: not a tune session (session.json is missing); point --resume-session at a folder named session_*`);
  }
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
