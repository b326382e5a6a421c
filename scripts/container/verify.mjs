#!/usr/bin/env node
/**
 * Builds the image and proves it on this machine with rootful podman: time from `podman run` to /health,
 * a simulated session that survives kill -9 of its worker inside the container, no zombie and no orphan left,
 * Chromium linking a real webjs session (against the WhatsApp Web emulator on the host when it is built, else
 * failing cleanly with WSM_WEB_UNREACHABLE), the image's HEALTHCHECK, a graceful stop and the volume kept
 * across a restart; all with the hardened flags of HARDENING. Minutes long: not part of `vitest run`.
 *   node scripts/container/verify.mjs [--cold] [--no-build] [--keep] [--image localhost/wsm:latest] [--port 3217]
 * --cold builds with --no-cache (the base image is kept; `podman rmi localhost/debian:trixie` for a colder one).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: {
    cold: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    image: { type: 'string', default: 'localhost/wsm:latest' },
    port: { type: 'string', default: '3217' },
  },
});

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const image = options.image;
const port = Number(options.port);
const apiKey = 'verify-key';
const stamp = Date.now().toString(36);
const container = `wsm-verify-${stamp}`;
const volume = `wsm-verify-data-${stamp}`;
const api = `http://127.0.0.1:${port}`;
const SERVICE_UID = 10001;
// The hardened run the README recommends: nothing but /data (and podman's tmpfs /tmp) is writable, no
// capability but the one Chromium's namespace sandbox needs to chroot, no privilege gained through exec.
const HARDENING = ['--read-only', '--cap-drop=all', '--cap-add=SYS_CHROOT', '--security-opt=no-new-privileges'];

const results = [];
const figures = {};

function log(line) {
  process.stderr.write(`[verify] ${line}\n`);
}

function check(name, ok, detail = '') {
  results.push({ name, ok, detail });
  log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail === '' ? '' : ` (${detail})`}`);
  if (!ok) throw new Error(`check failed: ${name}${detail === '' ? '' : `: ${detail}`}`);
}

function run(command, args, { input, env, inherit = false, allowFail = false } = {}) {
  const result = spawnSync(command, args, { input, env: { ...process.env, ...env }, encoding: 'utf8', stdio: inherit ? ['ignore', 'inherit', 'inherit'] : 'pipe', maxBuffer: 64 << 20 });
  if (result.status !== 0 && !allowFail) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr ?? ''}`);
  }
  return result;
}

// podman 4.3 without systemd logs an error about healthcheck timers on every run; the check is run by hand below.
const podman = (args, opts) => run('podman', ['--runtime', 'runc', ...args], opts);

function timed(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function request(method, path, body) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function until(what, probe, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe().catch((error) => ({ error: String(error) }));
    if (last?.done) return last.value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
}

async function waitStatus(sessionId, status, timeoutSeconds = 60) {
  const { status: code, body } = await request('GET', `/sessions/${sessionId}?wait=${status}&timeout=${timeoutSeconds}`);
  if (code !== 200 || body.status !== status) throw new Error(`session ${sessionId} did not reach ${status}: ${code} ${JSON.stringify(body)}`);
  return body;
}

// Every process in the container, read from /proc by a process started inside it (as the service user).
const PROBE = `
const fs = require('fs');
const out = [];
for (const name of fs.readdirSync('/proc')) {
  if (!/^\\d+$/.test(name)) continue;
  try {
    const stat = fs.readFileSync('/proc/' + name + '/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = fs.readFileSync('/proc/' + name + '/status', 'utf8');
    let env = [];
    try { env = fs.readFileSync('/proc/' + name + '/environ', 'latin1').split('\\0'); } catch {}
    const session = env.find((entry) => entry.startsWith('WSM_SESSION_ID='));
    out.push({
      pid: Number(name), state: rest[0], ppid: Number(rest[1]), pgid: Number(rest[2]), start: rest[19],
      uid: Number(/^Uid:\\s+(\\d+)/m.exec(status)[1]),
      sessionId: session === undefined ? null : session.slice('WSM_SESSION_ID='.length),
      cmd: fs.readFileSync('/proc/' + name + '/cmdline', 'utf8').split('\\0').join(' ').trim().slice(0, 100),
      self: Number(name) === process.pid,
    });
  } catch {}
}
process.stdout.write(JSON.stringify(out));
`;

/**
 * The session of each process: its own WSM_SESSION_ID, else its nearest marked ancestor's. Chromium's
 * sandboxed zygotes and renderers live in a user namespace of their own, whose environ the service user
 * cannot read; their parents carry the mark.
 */
function processes() {
  const procs = JSON.parse(podman(['exec', container, 'node', '-e', PROBE]).stdout).filter((proc) => !proc.self);
  const byPid = new Map(procs.map((proc) => [proc.pid, proc]));
  for (const proc of procs) {
    let at = proc;
    for (let hops = 0; at !== undefined && at.sessionId === null && at.pid > 1 && hops < 64; hops += 1) at = byPid.get(at.ppid);
    proc.session = at?.sessionId ?? null;
  }
  return procs;
}

const key = (proc) => `${proc.pid}/${proc.start}`;

/**
 * No zombie; nothing of `gone` (processes of killed workers) alive; every other process is tini (PID 1), the
 * supervisor (its child), or of a session (marked, or a marked process's descendant) whose current worker is
 * alive. Zombies that tini has not
 * reaped yet get a few seconds.
 */
async function audit(label, gone = []) {
  const { body } = await request('GET', '/sessions');
  const sessions = Array.isArray(body) ? body : body.sessions;
  const workers = new Map(sessions.filter((s) => s.pid !== null).map((s) => [s.sessionId, s.pid]));
  const goneKeys = new Set(gone.map(key));
  const problems = await until(
    `a clean process table (${label})`,
    async () => {
      const procs = processes();
      const alive = new Set(procs.map((p) => p.pid));
      const found = [];
      for (const proc of procs) {
        if (proc.state === 'Z') found.push(`zombie ${proc.pid} ${proc.cmd}`);
        if (goneKeys.has(key(proc))) found.push(`left from a killed worker: ${proc.pid} ${proc.cmd}`);
        const known =
          (proc.pid === 1 && proc.cmd.startsWith('/usr/bin/tini')) ||
          (proc.ppid === 1 && proc.cmd.includes('apps/supervisor/dist/server.js')) ||
          (proc.session !== null && workers.has(proc.session) && alive.has(workers.get(proc.session)));
        if (!known) found.push(`orphan ${proc.pid} (ppid ${proc.ppid}) ${proc.cmd}`);
        if (proc.uid !== SERVICE_UID) found.push(`not the service user: ${proc.pid} uid ${proc.uid}`);
      }
      return found.length === 0 ? { done: true, value: procs } : { done: false, found };
    },
    5000,
    250,
  ).then(
    (procs) => ({ procs, found: [] }),
    (error) => ({ procs: [], found: [String(error.message)] }),
  );
  check(`process table clean: ${label}`, problems.found.length === 0, problems.found.length === 0 ? `${problems.procs.length} processes, no Z, no orphan, all uid ${SERVICE_UID}` : problems.found.join('; '));
  return problems.procs;
}

/** kill -9 of a session's worker inside the container; then it is ready again under a new worker. */
async function killWorker(sessionId, { readyWithin = 60_000 } = {}) {
  const before = (await request('GET', `/sessions/${sessionId}`)).body;
  const marked = processes().filter((proc) => proc.session === sessionId);
  check(`${sessionId}: worker ${before.pid} and its processes found by their WSM_SESSION_ID mark`, marked.some((p) => p.pid === before.pid), `${marked.length} processes`);
  podman(['exec', container, 'kill', '-9', String(before.pid)]);
  const started = Date.now();
  const after = await until(
    `${sessionId} ready under a new worker`,
    async () => {
      const { body } = await request('GET', `/sessions/${sessionId}`);
      return { done: body.status === 'ready' && body.pid !== before.pid && body.pid !== null, value: body };
    },
    readyWithin,
  );
  check(`${sessionId}: restarted by the supervisor after kill -9 and ready again`, true, `worker ${before.pid} → ${after.pid}, ${Date.now() - started} ms, restarts ${after.restarts}`);
  return marked;
}

function startEmulator() {
  const cli = join(root, 'packages', 'wa-web-emulator', 'dist', 'cli.js');
  if (!existsSync(cli)) return Promise.resolve(undefined);
  const child = spawn(process.execPath, [cli, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n')[0];
      if (!stdout.includes('\n')) return;
      const args = JSON.parse(line);
      const mapped = /127\.0\.0\.1:(\d+)/.exec(args.join(' '));
      resolve({ child, args, control: `https://127.0.0.1:${mapped[1]}/__emulator/control` });
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited ${code}: ${stderr}`)));
  });
}

async function emulatorScan(control, qr) {
  // The emulator's certificate is self-signed and made at its start; the host's own loopback is trusted here.
  const result = run('curl', ['-sk', '-XPOST', `${control}/scan`, '-H', 'content-type: application/json', '-d', JSON.stringify({ qr })]);
  return JSON.parse(result.stdout);
}

async function main() {
  if (process.getuid() !== 0) throw new Error('run as root: the verified setup is rootful podman');
  run(join(here, 'setup-podman.sh'), [], { inherit: true });

  if (!options['no-build']) {
    const baseMissing = podman(['image', 'exists', 'localhost/debian:trixie'], { allowFail: true }).status !== 0;
    if (baseMissing) figures.baseImageBuildSeconds = timed(() => run(join(here, 'build-base-image.sh'), [], { inherit: true }));
    figures.buildKind = options.cold ? 'cold (--no-cache; base image present)' : 'warm (layer cache)';
    figures.buildSeconds = timed(() =>
      run(join(here, 'build-image.sh'), [image], { inherit: true, env: options.cold ? { PODMAN_BUILD_FLAGS: '--no-cache' } : {} }),
    );
  }
  figures.imageBytes = Number(podman(['image', 'inspect', '--format', '{{.Size}}', image]).stdout.trim());

  const emulator = await startEmulator();
  log(emulator === undefined ? 'no built emulator (packages/wa-web-emulator/dist): webjs is checked to fail cleanly offline' : `emulator up; CHROMIUM_ARGS=${JSON.stringify(emulator.args)}`);

  podman(['volume', 'create', volume]);
  try {
    const env = ['-e', `PORT=${port}`, '-e', `API_KEY=${apiKey}`, '-e', 'RESTART_BACKOFF_MS=200'];
    if (emulator !== undefined) env.push('-e', `CHROMIUM_ARGS=${JSON.stringify(emulator.args)}`);
    const runStarted = Date.now();
    podman(['run', '-d', '--name', container, '--network', 'host', ...HARDENING, '-v', `${volume}:/data`, ...env, image]);
    figures.runCommandMs = Date.now() - runStarted;
    await until('/health to answer 200', async () => ({ done: (await fetch(`${api}/health`)).status === 200 }), 60_000, 25);
    figures.runToHealthMs = Date.now() - runStarted;
    check('GET /health answers 200 after podman run', true, `${figures.runToHealthMs} ms`);

    const health = podman(['healthcheck', 'run', container], { allowFail: true });
    check("the image's HEALTHCHECK passes (podman healthcheck run)", health.status === 0, `exit ${health.status}`);
    check('an API key is required', (await fetch(`${api}/sessions`)).status === 401);

    const initial = processes();
    const pid1 = initial.find((p) => p.pid === 1);
    check('PID 1 is tini, the supervisor its child', pid1?.cmd.startsWith('/usr/bin/tini') === true && initial.some((p) => p.ppid === 1 && p.cmd.includes('server.js')), pid1?.cmd ?? 'none');
    check(`everything runs as the service user (uid ${SERVICE_UID})`, initial.every((p) => p.uid === SERVICE_UID));
    const writes = ['/app/probe', '/home/wsm/probe', '/data/probe'].map((path) => podman(['exec', container, 'touch', path], { allowFail: true }).status === 0);
    check('read-only root: only /data is writable', writes.join() === 'false,false,true', `/app, /home/wsm, /data writable: ${writes.join(', ')}`);
    podman(['exec', container, 'rm', '/data/probe']);

    // A simulated session: start, scan, ready; kill -9 of its worker inside the container.
    const created = await request('POST', '/start-session', { sessionId: 'c1', engine: 'simulated' });
    check('POST /start-session c1 (simulated)', created.status >= 200 && created.status < 300, `HTTP ${created.status}`);
    await waitStatus('c1', 'qr');
    const scanned = await request('POST', '/sessions/c1/simulate/scan');
    check('POST /sessions/c1/simulate/scan', scanned.status >= 200 && scanned.status < 300, `HTTP ${scanned.status}`);
    await waitStatus('c1', 'ready');
    check('c1 ready', true);
    const goneC1 = await killWorker('c1');
    await audit('after kill -9 of the simulated worker', goneC1);

    // webjs: Chromium inside the container.
    const webjs = await request('POST', '/start-session', { sessionId: 'w1', engine: 'webjs' });
    check('POST /start-session w1 (webjs)', webjs.status >= 200 && webjs.status < 300, `HTTP ${webjs.status}`);
    if (emulator !== undefined) {
      const qrStarted = Date.now();
      const atQr = await waitStatus('w1', 'qr', 90);
      const { body: qr } = await request('GET', '/sessions/w1/qr');
      check('w1: Chromium in the container shows a QR code', typeof qr.qr === 'string' && qr.qr.startsWith('2@'), `${Date.now() - qrStarted} ms, browserPid ${atQr.browserPid}`);
      const scan = await emulatorScan(emulator.control, qr.qr);
      const ready = await waitStatus('w1', 'ready', 90);
      check('w1: linked by the emulator, ready', ready.me !== null, `${scan.wid}`);
      const goneW1 = await killWorker('w1', { readyWithin: 120_000 });
      check("w1: the killed worker's Chromium and crashpad handlers were among its marked processes", goneW1.some((p) => p.cmd.includes('chromium')), `${goneW1.length} processes`);
      await audit('after kill -9 of the webjs worker (Chromium left without its parent)', goneW1);
    } else {
      const failed = await until(
        'w1 to report WSM_WEB_UNREACHABLE',
        async () => {
          const { body } = await request('GET', '/sessions/w1');
          return { done: body.lastError?.code === 'WSM_WEB_UNREACHABLE', value: body };
        },
        90_000,
        250,
      );
      check('w1: Chromium started and failed cleanly offline', true, failed.lastError.message);
    }
    const stopped = await request('POST', '/sessions/w1/stop');
    check('w1 stopped', stopped.status < 300);
    await waitStatus('w1', 'stopped');
    const afterStop = await audit('after stopping w1');
    check('no Chromium left after w1 stopped', !afterStop.some((p) => p.cmd.includes('chromium')));

    // A graceful stop (tini forwards SIGTERM), then the same volume brings c1 back.
    figures.stopSeconds = timed(() => podman(['stop', '--time', '20', container]));
    const exitCode = podman(['inspect', '--format', '{{.State.ExitCode}}', container]).stdout.trim();
    check('podman stop: the supervisor shuts down on SIGTERM', exitCode === '0' && figures.stopSeconds < 15, `exit ${exitCode} in ${figures.stopSeconds.toFixed(1)} s`);
    const restartStarted = Date.now();
    podman(['start', container]);
    await until('/health after podman start', async () => ({ done: (await fetch(`${api}/health`)).status === 200 }), 60_000, 25);
    const restored = await waitStatus('c1', 'ready');
    check('after a container restart c1 is restored from the volume, ready without a new scan', restored.status === 'ready', `${Date.now() - restartStarted} ms`);
    await audit('after the container restart');
  } finally {
    if (!options.keep) {
      podman(['rm', '-f', '-t', '5', container], { allowFail: true });
      podman(['volume', 'rm', '-f', volume], { allowFail: true });
    } else {
      log(`kept container ${container} and volume ${volume}`);
    }
    emulator?.child.kill('SIGTERM');
  }
}

function summary(error) {
  const lines = [
    '',
    `container verification ${new Date().toISOString()} (${image})`,
    `  image size:        ${figures.imageBytes === undefined ? '?' : `${(figures.imageBytes / 1e6).toFixed(0)} MB (${figures.imageBytes} bytes)`}`,
    figures.baseImageBuildSeconds === undefined ? null : `  base image build:  ${figures.baseImageBuildSeconds.toFixed(0)} s (debootstrap + import)`,
    figures.buildSeconds === undefined ? null : `  image build:       ${figures.buildSeconds.toFixed(0)} s, ${figures.buildKind}`,
    `  run → /health 200: ${figures.runToHealthMs ?? '?'} ms (podman run itself returned after ${figures.runCommandMs ?? '?'} ms)`,
    figures.stopSeconds === undefined ? null : `  podman stop:       ${figures.stopSeconds.toFixed(1)} s`,
    `  checks:            ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed${error === undefined ? '' : `; stopped at: ${error.message}`}`,
  ].filter((line) => line !== null);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => summary(),
  (error) => {
    summary(error);
    process.exitCode = 1;
  },
);
