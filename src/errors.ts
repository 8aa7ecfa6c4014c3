/**
 * Typed errors that the bin turns into exit codes (DESIGN §7). Commands throw these and never call
 * process.exit themselves.
 */

/** Bad input: a spec, session or checkpoint the user can fix. Exit code 2; nothing on disk changed. */
export class BadInputError extends Error {
  /** Every problem found, one line each; `message` is the first. */
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list[0] ?? 'bad input');
    this.name = 'BadInputError';
    this.problems = list;
  }
}

/** The session is being driven by another live `tune` process (DESIGN §5.3). Exit code 2. */
export class SessionLockedError extends BadInputError {
  constructor(message: string) {
    super(message);
    this.name = 'SessionLockedError';
  }
}

export const EXIT = {
  completed: 0,
  internal: 1,
  badInput: 2,
  paused: 3,
} as const;
