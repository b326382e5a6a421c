// Bundles the compiled worker (dist/, tsc's output: run `tsc -b` first) into one CommonJS file, dist/worker.cjs,
// the supervisor's default WORKER_ENTRY. A worker start then reads one file, without resolving a module graph
// and without Node's ES module loader, which is most of what it took beyond a bare fork.
// Bundled: our code and the workspace packages. Left to node_modules: every other dependency (whatsapp-web.js,
// puppeteer-core, qrcode: required only by the code paths that use them, as before), and TypeBox, which the
// protocol loads only to explain a malformed message (@wsm/ipc-protocol/checkers). Type-checking is tsc's job.
//
// A supervisor may fork workers from the old bundle while this runs (tests build while others run): the new
// file is written beside it and renamed over it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const external = Object.entries(manifest.dependencies)
  .filter(([, version]) => !version.startsWith('workspace:'))
  .map(([name]) => name);

/** The protocol's error explainer imports TypeBox: kept out of the bundle, loaded from its package when needed. */
const checkersOnDemand = {
  name: 'checkers-on-demand',
  setup(build) {
    build.onResolve({ filter: /^\.\/checkers\.js$/ }, (args) =>
      /ipc-protocol[/\\]dist[/\\]decode\.js$/.test(args.importer) ? { path: '@wsm/ipc-protocol/checkers', external: true } : undefined,
    );
  },
};

const outfile = `${root}dist/worker.cjs`;
const result = await build({
  absWorkingDir: root,
  entryPoints: ['dist/main.js'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  plugins: [checkersOnDemand],
  sourcemap: 'linked',
  metafile: true,
  write: false,
  logLevel: 'warning',
});

// What must never be inside: a library that a simulated worker would then pay for at every start.
const inside = Object.keys(result.metafile.inputs);
const stowaways = inside.filter((input) => /node_modules/.test(input));
if (stowaways.length > 0) throw new Error(`the worker bundle took in packages it should load from node_modules: ${stowaways.join(', ')}`);

for (const file of result.outputFiles) {
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.contents);
  renameSync(temporary, file.path);
}
const size = result.outputFiles.find((file) => file.path === outfile)?.contents.length ?? 0;
process.stdout.write(`worker: ${basename(outfile)} ${(size / 1024).toFixed(1)} KiB from ${inside.length} modules\n`);
