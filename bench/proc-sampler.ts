import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds used so far and resident memory of a process, from /proc (Linux). */
export function sampleProcess(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuSeconds: ticks / CLK_TCK, rssBytes: rssKb * 1024 };
}

/** The largest resident memory a process has had since it started (VmHWM), MiB. */
export function peakRssMiB(pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

/** Samples a process every second for `seconds`; returns RSS samples and the average CPU share of one core. */
export async function watchProcess(pid: number, seconds: number): Promise<{ rssMiB: number[]; cpuPercent: number }> {
  const start = sampleProcess(pid);
  const t0 = performance.now();
  const rssMiB: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rssMiB.push(sampleProcess(pid).rssBytes / 2 ** 20);
  }
  const end = sampleProcess(pid);
  return { rssMiB, cpuPercent: (100 * (end.cpuSeconds - start.cpuSeconds)) / ((performance.now() - t0) / 1000) };
}
