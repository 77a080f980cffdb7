import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that self time is read from. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; hitCount?: number }[];
}

/** Where a frame's code comes from: a package under node_modules, node itself, V8's own work, or this project. */
function origin(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'native';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node';
  return 'trebuchet';
}

/**
 * The functions and the packages where the profiled processes spent their busy time, by self samples (the
 * idle samples left out), summed over every profile in `dir`, as lines to print. Written here because V8
 * writes the format and Chrome's DevTools reads it, and neither prints a table on a terminal.
 */
export function cpuProfileTop(dir: string, top = 10): string[] {
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let busy = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    for (const { callFrame, hitCount = 0 } of profile.nodes) {
      if (!hitCount || callFrame.functionName === '(idle)') continue;
      const from = origin(callFrame.url, callFrame.functionName);
      const name = `${callFrame.functionName || '(anonymous)'}${from.startsWith('(') ? '' : ` [${from}]`}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + hitCount);
      byOrigin.set(from, (byOrigin.get(from) ?? 0) + hitCount);
      busy += hitCount;
    }
  }
  const share = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, n]) => `${k} ${((100 * n) / busy).toFixed(1)} %`)
      .join(', ');
  return [`by function: ${share(byFunction)}`, `by origin: ${share(byOrigin)}`];
}
