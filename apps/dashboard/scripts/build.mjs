// Bundles the dashboard into dist/: one script and one stylesheet with content hashes in their names (the
// supervisor caches them for a year), and index.html naming them (revalidated on every load). Type-checking is
// `tsc -b`'s job; this only bundles, in well under a second.
//
// A supervisor may read dist/ while this runs (tests build it while others start apps): the new files are written
// beside the old ones, index.html is replaced in one rename, and only then are the old files removed.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;

mkdirSync(`${dist}/assets`, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/main.tsx'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: `${dist}/assets`,
  metafile: true,
  legalComments: 'eof',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const named = (extension) => {
  const file = outputs.find((output) => output.endsWith(extension));
  if (file === undefined) throw new Error(`esbuild wrote no ${extension} file`);
  return `/dashboard/assets/${basename(file)}`;
};
const page = readFileSync(`${root}src/index.html`, 'utf8').replace('%SCRIPT%', named('.js')).replace('%STYLE%', named('.css'));
writeFileSync(`${dist}/index.html.tmp`, page);
renameSync(`${dist}/index.html.tmp`, `${dist}/index.html`);
const written = new Set(outputs.map((output) => basename(output)));
for (const file of readdirSync(`${dist}/assets`)) if (!written.has(file)) rmSync(`${dist}/assets/${file}`, { force: true });

const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith('.map'))
  .map(([file, { bytes }]) => `${basename(file)} ${(bytes / 1024).toFixed(1)} KiB`);
console.log(`dashboard: ${sizes.join(', ')}`);
