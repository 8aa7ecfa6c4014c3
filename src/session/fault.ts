/**
 * Faults of the environment, as opposed to a trial's own failure (DESIGN §5.8): a write of tune's that the
 * disk refused, or a trial that died because the disk is full or read-only. Such a fault pauses the session;
 * it never marks a trial failed.
 */
export interface EnvironmentFault {
  /** The file or folder that could not be written, when known. */
  path: string | null;
  /** One line: what failed, e.g. "no space left on device (ENOSPC)". */
  reason: string;
  /** The disk refused a write (full, read-only, …), as opposed to some other error of tune's. */
  disk: boolean;
}

const DISK_CODES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/** The errno code of a Node file-system error, when it is one of the environment's. */
export function diskCode(err: unknown): string | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code in DISK_CODES ? code : null;
}

/** A fault from an error thrown by one of tune's own writes. */
export function faultOf(err: unknown, path: string | null): EnvironmentFault {
  const code = diskCode(err);
  const e = err as NodeJS.ErrnoException;
  const reason = code ? `${DISK_CODES[code]} (${code})` : e?.message ?? String(err);
  // The error's own path is the file that failed; `path` is what tune was doing, when the error names none.
  return { path: typeof e?.path === 'string' ? e.path : path, reason, disk: code !== null };
}

/** "cannot write /x/events.jsonl: no space left on device (ENOSPC)". */
export function describeFault(f: EnvironmentFault): string {
  return f.path ? `cannot ${f.disk ? 'write' : 'use'} ${f.path}: ${f.reason}` : f.reason;
}

/**
 * How a trial's last words say the disk failed it (Node's, Python's and the C library's wording), so a
 * trial that died of a full disk is not blamed for it.
 */
const TRIAL_DISK_ERROR = /ENOSPC|No space left on device|EDQUOT|Disk quota exceeded|EROFS|Read-only file system/i;

const PHRASE_CODES: [RegExp, string][] = [[/ENOSPC|No space left/i, 'ENOSPC'], [/EDQUOT|quota/i, 'EDQUOT'], [/EROFS|Read-only/i, 'EROFS']];

/** What the last line of `text` that says the disk failed says, in tune's words, or null. */
export function diskErrorIn(text: string): string | null {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!TRIAL_DISK_ERROR.test(lines[i])) continue;
    const code = PHRASE_CODES.find(([re]) => re.test(lines[i]))?.[1] ?? 'ENOSPC';
    return `${DISK_CODES[code]} (${code})`;
  }
  return null;
}
