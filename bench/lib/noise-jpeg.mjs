/**
 * A real JPEG of a given pixel size, made by headless Chromium (the browser the webjs engine runs, so the one
 * that later probes it): a canvas of seeded noise encoded with canvas.toDataURL('image/jpeg', 1.0). Noise
 * hardly compresses, so the file is large for its pixels (about 2.8 bytes a pixel); the same size and seed
 * give the same bytes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const page = (width, height, seed) => `<!doctype html><body><script>
const canvas = document.createElement('canvas');
canvas.width = ${width};
canvas.height = ${height};
const context = canvas.getContext('2d');
const image = context.createImageData(${width}, ${height});
let state = ${seed} >>> 0;
for (let i = 0; i < image.data.length; i += 4) {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  image.data[i] = state & 255;
  image.data[i + 1] = (state >>> 8) & 255;
  image.data[i + 2] = (state >>> 16) & 255;
  image.data[i + 3] = 255;
}
context.putImageData(image, 0, 0);
document.body.textContent = canvas.toDataURL('image/jpeg', 1.0);
</script></body>`;

/** Resolves with the JPEG's bytes. */
export async function noiseJpeg({ width, height, seed = 1, chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' }) {
  const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-jpeg-'));
  try {
    const html = join(dir, 'noise.html');
    writeFileSync(html, page(width, height, seed));
    const args = ['--headless', '--disable-gpu', `--user-data-dir=${join(dir, 'profile')}`, '--dump-dom', pathToFileURL(html).href];
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    const { stdout } = await run(chromium, args, { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
    const base64 = /data:image\/jpeg;base64,([A-Za-z0-9+/=]+)/.exec(stdout)?.[1];
    if (base64 === undefined) throw new Error(`${chromium} --dump-dom gave no JPEG data URL`);
    const bytes = Buffer.from(base64, 'base64');
    if (bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes.at(-2) !== 0xff || bytes.at(-1) !== 0xd9) throw new Error('not a complete JPEG');
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
