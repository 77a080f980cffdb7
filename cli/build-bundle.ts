import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { projectRoot } from '../runtime/project-root.js';

/** Where the services run from: dist/bundle/trebuchet.js and its chunks, and meta.json (which chunk holds which module). */
const BUNDLE_DIR = join('dist', 'bundle');

/**
 * Left as packages: serialport's native addon is found by node-gyp-build next to its own package.json, and
 * pino starts its transports' workers from their files; neither survives being moved into a chunk.
 */
const EXTERNAL = ['@serialport/bindings-cpp', 'pino', 'pino-pretty', 'thread-stream'];

/**
 * Bundles the compiled CLI (dist/cli/trebuchet.js, what the tests run) into minified ES modules for the
 * services. A process holds every module's source text in memory, and zod, luxon and fastify ship theirs
 * unminified: the idle agent is 5 MiB smaller bundled (npm run bench -- agent-resources). Each dynamic
 * import stays its own chunk, so a process still loads only what it runs (a driver when configured, the
 * broker's code in the broker). Names are kept and source maps written beside the chunks, so a stack trace
 * stays readable and `node --enable-source-maps` maps it back to the TypeScript.
 */
export async function buildBundle(root = projectRoot()): Promise<string> {
  const out = join(root, BUNDLE_DIR);
  // Chunks are named by content hash: old ones would otherwise pile up.
  await rm(out, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'dist', 'cli', 'trebuchet.js')],
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // The CommonJS packages inside (mqtt, fastify…) call require(); in an ES module it must be made.
    banner: { js: "import { createRequire as __trebuchetRequire } from 'node:module'; const require = __trebuchetRequire(import.meta.url);" },
    minify: true,
    keepNames: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await writeFile(join(out, 'meta.json'), JSON.stringify(result.metafile));
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const out = await buildBundle();
  console.log(`services bundled in ${Date.now() - started} ms: ${out}`);
}
