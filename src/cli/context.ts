/** What a command may touch of the outside world, passed in so tests can run commands in-process. */
export interface CliContext {
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The path `tune` was started by, for printing a resume command that runs as it is. */
  scriptPath: string;
  env: NodeJS.ProcessEnv;
  /** Install SIGINT/SIGTERM handlers (the real bin), or not (in-process tests). */
  handleSignals: boolean;
  /** The live Ink UI runs when stdout is a terminal; p / q keys also work in plain mode when stdin is one. */
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
}
