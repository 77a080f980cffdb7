import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { finished } from './netns.js';

describe('finished', () => {
  it('gives the exit of a child that leaves without reading its input, whose write then fails with EPIPE', async () => {
    // 4 MB cannot fit a pipe's buffer: the write is still under way when the child is gone.
    const r = await finished(spawn('sh', ['-c', 'echo refused >&2; exit 3']), 'x'.repeat(4 * 1024 * 1024));
    expect(r).toEqual({ status: 3, stdout: '', stderr: 'refused\n' });
  });
});
