// Loaded with `node --import`: records every module a process resolves, one URL a line, in $TRACE_MODULES_FILE.
// Plain JavaScript, since node runs it before any build (tests/integration/agent-footprint.test.ts).
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.TRACE_MODULES_FILE, resolved.url + '\\n');
  return resolved;
}
`));
