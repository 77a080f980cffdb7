import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The modes of the files and folders we keep: readable by the service's own user only. */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

export interface WriteFileAtomicOptions {
  /**
   * The file's mode, set even when a stale temporary file is reused. Private (0600) by default: our files
   * hold operators' names, bon comments and secrets.
   */
  mode?: number;
  /** The mode of folders created on the way (default 0700, less the umask). */
  dirMode?: number;
}

/**
 * Writes a file so that after a crash or power cut it holds either the old or the new content, whole:
 * write a temporary file beside it, fsync it, rename it over the target, fsync the directory (the rename
 * itself is only durable once the directory is). The content is never readable with wider permissions
 * than `mode`, not even briefly. On failure the temporary file is removed and the target is untouched.
 */
export function writeFileAtomic(path: string, content: string, options: WriteFileAtomicOptions = {}): void {
  const { mode = PRIVATE_FILE, dirMode = PRIVATE_DIR } = options;
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: dirMode });
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      // The mode given to open applies only to a new file: a leftover temporary file keeps its own.
      fchmodSync(fd, mode);
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean up, or nothing we can do: the target is untouched either way.
    }
    throw err;
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
