import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface WriteFileAtomicOptions {
  /** The file's mode, set even when a stale temporary file is reused (default 0644, less the umask). */
  mode?: number;
  /** The mode of folders created on the way (default 0777, less the umask). */
  dirMode?: number;
}

/**
 * Writes a file so that after a crash or power cut it holds either the old or the new content, whole:
 * write a temporary file beside it, fsync it, rename it over the target, fsync the directory (the rename
 * itself is only durable once the directory is). With `mode`, the content is never readable with wider
 * permissions, not even briefly. On failure the temporary file is removed and the target is untouched.
 */
export function writeFileAtomic(path: string, content: string, options: WriteFileAtomicOptions = {}): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: options.dirMode });
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w', options.mode ?? 0o644);
    try {
      // The mode given to open applies only to a new file: a leftover temporary file keeps its own.
      if (options.mode !== undefined) fchmodSync(fd, options.mode);
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
