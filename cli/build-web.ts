import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { projectRoot } from '../runtime/project-root.js';

/** The web pages: the dashboards (served by the dashboards) and the counter's kiosk (served by the agent). */
export const WEB_PAGES = {
  dashboards: join('dashboards', 'web'),
  kiosk: join('edge-agent', 'kiosk', 'web'),
} as const;

/**
 * Bundles a page from {folder}/src into dist/{folder}/public: one script and one stylesheet with content
 * hashes in their names (so the server can cache them forever) and index.html pointing at them.
 */
export async function buildPage(folder: string, root = projectRoot()): Promise<string> {
  const src = join(root, folder, 'src');
  const out = join(root, 'dist', folder, 'public');
  // Old hashed files would otherwise pile up and be served forever.
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });

  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(src, 'main.ts'), join(src, 'style.css')],
    outdir: out,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    tsconfig: join(src, 'tsconfig.json'),
    minify: true,
    sourcemap: true,
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });

  const outputs = Object.entries(result.metafile.outputs);
  const outputOf = (entry: string): string => {
    const found = outputs.find(([, o]) => o.entryPoint === relative(root, join(src, entry)).split('\\').join('/'));
    if (!found) throw new Error(`esbuild produced no output for ${entry}`);
    return basename(found[0]);
  };
  const html = (await readFile(join(src, 'index.html'), 'utf8'))
    .replace('%MAIN_JS%', outputOf('main.ts'))
    .replace('%STYLE_CSS%', outputOf('style.css'));
  await writeFile(join(out, 'index.html'), html);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [name, folder] of Object.entries(WEB_PAGES)) {
    const started = Date.now();
    const out = await buildPage(folder);
    console.log(`${name} web page built in ${Date.now() - started} ms: ${out}`);
  }
}
