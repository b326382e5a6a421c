#!/usr/bin/env node
/**
 * Media: what sending and serving files costs, against the compiled supervisor as a real process over
 * loopback HTTP (API_KEY set, NODE_EXTRA_CA_CERTS unset), each figure beside a reference of the same run.
 * A file server (fixtures/file-server.mjs, a bare node:http process) is the far side of every reference.
 *   send      a 5 MiB JPEG (a real one, made by Chromium) sent by a linked simulated session, by URL (fetched
 *             from the file server) and as a multipart upload: request → 201. References: a text send on the
 *             same route, and the same upload to the file server, which discards it. Then a profiled
 *             supervisor takes the same uploads, to show where their time goes.
 *   webjs     the same sends through a webjs session on the WhatsApp Web emulator (Chromium probes the JPEG,
 *             the page uploads it); reference: a text send of that session.
 *   memory    a server's RSS while it takes 50 MiB: a multipart upload, a URL send and a base64 JSON send, each
 *             on a fresh supervisor, and the upload to a fresh file server; VmRSS sampled every 20 ms and the
 *             kernel's own peak (VmHWM, reset just before)
 *   download  1 MiB received media (simulate/inbound), GET .../media one at a time and 8 at a time; reference:
 *             the same files, from the supervisor's media store, served by the file server
 * Usage: node bench/benchmarks/media.mjs [rounds] [webjs-rounds] [downloads] [part ...]   (after `pnpm build`;
 * the numbers in that order, part names anywhere: those parts only; webjs-rounds 0 skips webjs)
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '@wsm/wa-web-emulator';
import { atExit, ownGroup } from '../lib/cleanup.mjs';
import { delay } from '../lib/delay.mjs';
import { ms, num, ratio } from '../lib/format.mjs';
import { jsonClient, mapLimit } from '../lib/http.mjs';
import { startNodeServer } from '../lib/node-server.mjs';
import { noiseJpeg } from '../lib/noise-jpeg.mjs';
import { describeProfile, stackShares, summarizeProfile } from '../lib/profile.mjs';
import { cpuTimeMs, groupCpuTimeMs, pgidOf, resetPeakRss, rssOf, sampleRss } from '../lib/proc.mjs';
import { emit, progress, row } from '../lib/result.mjs';
import { median, summarize } from '../lib/stats.mjs';
import { startSupervisor } from '../lib/supervisor-process.mjs';
import { download, multipartForm, upload } from '../lib/transfer.mjs';

const PARTS = ['send', 'webjs', 'memory', 'download'];
const numbers = process.argv.slice(2).filter((arg) => /^\d+$/.test(arg)).map(Number);
const only = process.argv.slice(2).filter((arg) => !/^\d+$/.test(arg));
const unknown = only.filter((part) => !PARTS.includes(part));
if (unknown.length > 0) throw new Error(`unknown part(s) ${unknown.join(', ')}; known: ${PARTS.join(', ')}`);
const selected = new Set(only.length > 0 ? only : PARTS);
const [rounds = 20, webjsRounds = 5, downloads = 100] = numbers;

const WARMUP = 2;
const WEBJS_WARMUP = 1;
const MEMORY_ROUNDS = 3;
const SAMPLE_MS = 20;
const DOWNLOAD_ROUNDS = 5;
const CONCURRENCY = 8;
const MIB = 1024 * 1024;
const BIG_BYTES = 50 * MIB;
const DOWNLOAD_BYTES = MIB;
// About 5.2 MB of JPEG at quality 1.0 (noise hardly compresses).
const JPEG_SIZE = { width: 1600, height: 1120 };
const PROFILED_UPLOADS = 20;
/** What a multipart send's supervisor time is spent on, by the code on the stack (profile.mjs stackShares). */
const UPLOAD_CONCERNS = {
  'multipart parsing (@fastify/multipart, busboy)': /@fastify\/multipart|\/busboy\/|\/streamsearch\//,
  'spooling (media/spool: sha256, file write)': /supervisor\/dist\/media\/spool\.js/,
  'the send after the intake (messages/message-sender, IPC)': /supervisor\/dist\/messages\/message-sender\.js/,
  'media store': /supervisor\/dist\/media\/media-store\.js/,
  'events (recorder, outbox, SQLite)': /supervisor\/dist\/events\/|better-sqlite3/,
};
const API_KEY = 'bench-media-key';
const AUTH = { 'x-api-key': API_KEY };
const TO = '15550002222@c.us';
const SMALL_JPEG = fileURLToPath(new URL('../../packages/wa-web-emulator/test/fixtures/image.jpg', import.meta.url));
const progressLog = progress('media');
const t0 = performance.now();
// The clock of V8's profiles, for the window a profile is read in.
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;
const log = (message) => progressLog(`${((performance.now() - t0) / 1000).toFixed(1)} s: ${message}`);

// Measured as production runs: without the CA bundle this machine loads into every Node process.
const caBundle = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS;
const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-media-'));
atExit(() => (process.env.BENCH_KEEP_LOGS ? process.stderr.write(`[media] logs kept in ${dir}\n`) : rmSync(dir, { recursive: true, force: true })));

log(`making a ${JPEG_SIZE.width}×${JPEG_SIZE.height} JPEG with Chromium`);
const jpeg = await noiseJpeg(JPEG_SIZE);
writeFileSync(join(dir, 'image.jpg'), jpeg);
const FILE_SERVER = fileURLToPath(new URL('../fixtures/file-server.mjs', import.meta.url));
const files = await startNodeServer({ script: FILE_SERVER, env: { BENCH_ROOT: dir }, logDir: dir });
const filesAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const rows = [];
const notes = [];
const raw = {};

/** A supervisor process with the API key, RATE_LIMIT=0, LOG_LEVEL=info (its default) (supervisor-process.mjs); its clients carry the key. */
async function supervisorWith(name, env = {}, dataDir = join(dir, `${name}-data`), profileDir = undefined) {
  const supervisor = await startSupervisor({ dataDir, env: { API_KEY, ...env }, profile: false, profileDir });
  const client = jsonClient(supervisor.base, { maxSockets: CONCURRENCY, headers: AUTH });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  return {
    ...supervisor,
    name,
    dataDir,
    client,
    agent,
    close: async () => {
      client.close();
      agent.destroy();
      await supervisor.stop();
    },
  };
}

/** Starts `sessionId` and links it (simulated: its scan route; webjs: the emulator scans its QR); answers its view. */
async function linkedSession(supervisor, sessionId, engine, emulator) {
  const { client } = supervisor;
  await client.call('POST', '/start-session', { sessionId, engine });
  const shown = await client.call('GET', `/sessions/${sessionId}?wait=qr,ready&timeout=120`);
  if (shown.status === 'qr') {
    if (engine === 'simulated') await client.call('POST', `/sessions/${sessionId}/simulate/scan`);
    else await emulator.scan((await client.call('GET', `/sessions/${sessionId}/qr`)).qr);
  }
  return client.call('GET', `/sessions/${sessionId}?wait=ready&timeout=120`);
}

const expect201 = (answer, what) => {
  if (answer.status !== 201) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer;
};

/** The sends of one round, by kind; each resolves with its ms (request → 201). */
function senders(supervisor, sessionId, form) {
  const route = `/sessions/${sessionId}/messages`;
  return {
    text: async () => expect201(await supervisor.client.request('POST', route, { to: TO, text: 'a text on the media route' }), 'text send').ms,
    url: async () => expect201(await supervisor.client.request('POST', route, { to: TO, media: { url: `${files.base}/files/image.jpg` } }), 'URL send').ms,
    upload: async () => expect201(await upload(supervisor.agent, `${supervisor.base}${route}`, form, AUTH), 'multipart send').ms,
    sink: async () => expect201(await upload(filesAgent, `${files.base}/upload`, form), 'upload to the file server').ms,
  };
}

/**
 * `rounds` rounds after `warmup` dropped ones, every kind once a round, the order turning each round. Answers
 * each kind's times and, over the measured rounds, the CPU per send of the processes that serve it
 * (`processes[kind]`: { label: () => CPU ms so far }).
 */
async function sendRounds(send, kinds, { rounds: count, warmup, label, processes }) {
  const times = Object.fromEntries(kinds.map((kind) => [kind, []]));
  const cpu = Object.fromEntries(kinds.map((kind) => [kind, Object.fromEntries(Object.keys(processes[kind]).map((name) => [name, 0]))]));
  for (let round = 0; round < count + warmup; round++) {
    const order = kinds.map((_, index) => kinds[(index + round) % kinds.length]);
    const took = {};
    for (const kind of order) {
      const before = Object.fromEntries(Object.entries(processes[kind]).map(([name, used]) => [name, used()]));
      took[kind] = await send[kind]();
      if (round < warmup) continue;
      for (const [name, used] of Object.entries(processes[kind])) cpu[kind][name] += (used() - before[name]) / count;
    }
    if (round >= warmup) for (const kind of kinds) times[kind].push(took[kind]);
    log(`${label} round ${round}${round < warmup ? ' (warm-up)' : ''}: ${kinds.map((kind) => `${kind} ${ms(took[kind])}`).join(', ')}`);
  }
  return { ...Object.fromEntries(kinds.map((kind) => [kind, summarize(times[kind])])), cpu };
}

/** CPU per send, as a note: "text: supervisor 1.5 ms, worker 0.5 ms; …". */
const cpuText = (cpu, names) =>
  Object.entries(cpu)
    .map(([kind, used]) => `${names[kind]}: ${Object.entries(used).map(([name, value]) => `${name} ${ms(value)}`).join(', ')}`)
    .join('; ');

const sendForm = multipartForm({ fields: { to: TO }, file: { field: 'file', filename: 'image.jpg', contentType: 'image/jpeg', bytes: jpeg } });
const jpegSize = `${num(jpeg.length / MIB, 2)} MiB`;

/** Rows comparing two summaries at the median and p90. */
function pairRows(measure, figure, reference, referenceLabel) {
  return [
    row(`${measure}, median`, { figure: ms(figure.median), reference: `${ms(reference.median)} (${referenceLabel})`, ratio: figure.median / reference.median }),
    row(`${measure}, p90`, { figure: ms(figure.p90), reference: `${ms(reference.p90)} (${referenceLabel})`, ratio: figure.p90 / reference.p90 }),
  ];
}

let simulated;
if (selected.has('send') || selected.has('download')) {
  simulated = await supervisorWith('send');
  simulated.workerPid = (await linkedSession(simulated, 'media', 'simulated')).pid;
}

if (selected.has('send')) {
  log(`send (simulated): ${rounds} rounds after ${WARMUP} warm-up; the JPEG is ${num(jpeg.length, 0)} bytes`);
  const served = { supervisor: () => cpuTimeMs(simulated.pid), worker: () => cpuTimeMs(simulated.workerPid) };
  const processes = { text: served, url: { ...served, 'file server': () => cpuTimeMs(files.pid) }, upload: served, sink: { 'file server': () => cpuTimeMs(files.pid) } };
  const send = await sendRounds(senders(simulated, 'media', sendForm), ['text', 'url', 'upload', 'sink'], { rounds, warmup: WARMUP, label: 'send', processes });
  raw.send = send;
  rows.push(
    ...pairRows(`simulated: ${jpegSize} JPEG by URL → 201`, send.url, send.text, 'text send'),
    ...pairRows(`simulated: ${jpegSize} JPEG multipart upload → 201`, send.upload, send.sink, 'the upload to a bare server'),
    row('simulated: multipart upload → 201, median, against a text send', { figure: ms(send.upload.median), reference: `${ms(send.text.median)} (text send)`, ratio: send.upload.median / send.text.median }),
  );
  notes.push(
    `Send (simulated), how: one linked simulated session; ${rounds} rounds (${WARMUP} warm-up dropped), each sending once of every kind in an order that turns each round: ` +
      `a text (JSON), the JPEG by URL (\`{to, media: {url}}\`, the supervisor fetches it from the file server), the JPEG as multipart/form-data ` +
      '(fields `to` and `file`, content-length set, from a Buffer), and the same form to the file server, which reads it to its end and answers 201. ' +
      'Timed from the call to the end of the answer; every send answered 201.',
  );
  // Where a multipart send's CPU goes: another supervisor, profiled, taking the same uploads (not in the figures).
  const profileDir = join(dir, 'send-profile');
  mkdirSync(profileDir);
  const profiled = await supervisorWith('profiled', {}, join(dir, 'profiled-data'), profileDir);
  await linkedSession(profiled, 'media', 'simulated');
  const uploadOnce = senders(profiled, 'media', sendForm).upload;
  for (let round = 0; round < WARMUP; round++) await uploadOnce();
  const window = { fromMs: monotonicMs() };
  for (let round = 0; round < PROFILED_UPLOADS; round++) await uploadOnce();
  window.toMs = monotonicMs();
  await profiled.close();
  const [profileFile] = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
  if (profileFile !== undefined) {
    const summary = summarizeProfile(join(profileDir, profileFile), 12, window);
    const shares = stackShares(join(profileDir, profileFile), UPLOAD_CONCERNS, window);
    raw.uploadProfile = { summary, shares };
    notes.push(
      `Where a multipart send's time goes in the supervisor: a second supervisor with --cpu-prof taking ${PROFILED_UPLOADS} of the same uploads one after another (not in the figures): ` +
        `${describeProfile(summary, 8)}. Share of its busy time with each on the stack (overlapping): ` +
        `${Object.entries(shares).map(([label, share]) => `${label} ${Math.round(share * 100)}%`).join(', ')}.`,
    );
  }
  notes.push(
    `Send (simulated), CPU per send (mean over the ${rounds} rounds, /proc/<pid>/stat at 10 ms resolution): ` +
      `${cpuText(send.cpu, { text: 'text', url: 'by URL', upload: 'multipart', sink: 'upload to the file server' })}.`,
  );
}

if (selected.has('download')) {
  log(`download: ${downloads} received media of ${DOWNLOAD_BYTES / MIB} MiB`);
  const media = jpeg.subarray(0, DOWNLOAD_BYTES).toString('base64');
  const received = await mapLimit(Array.from({ length: downloads }, (_, index) => index), 4, (index) =>
    simulated.client.call('POST', '/sessions/media/simulate/inbound', { from: TO, text: `photo ${index}`, media: { data: media, mimetype: 'image/jpeg', filename: `photo-${index}.jpg` } }),
  );
  const storeDir = join(simulated.dataDir, 'media', 'media');
  const keyOf = (messageId) => createHash('sha256').update(messageId).digest('hex').slice(0, 40);
  // Received media is stored as it arrives, in the background: measure only once all of it is (a bounded wait).
  const deadline = Date.now() + 60_000;
  while (!received.every(({ id }) => existsSync(join(storeDir, `${keyOf(id)}.json`)))) {
    if (Date.now() > deadline) throw new Error('received media not stored within 60 s');
    await delay(50);
  }
  const sides = {
    supervisor: { pid: simulated.pid, agent: simulated.agent, headers: AUTH, urls: received.map(({ id }) => `${simulated.base}/sessions/media/messages/${encodeURIComponent(id)}/media`) },
    reference: { pid: files.pid, agent: filesAgent, headers: {}, urls: received.map(({ id }) => `${files.base}/files/${join('send-data', 'media', 'media', `${keyOf(id)}.bin`)}`) },
  };
  const pass = async (side, concurrency) => {
    const { agent, headers, urls, pid } = sides[side];
    const cpuBefore = cpuTimeMs(pid);
    const started = performance.now();
    const answers = await mapLimit(urls, concurrency, (url) => download(agent, url, headers));
    const wallMs = performance.now() - started;
    const bad = answers.filter((answer) => answer.status !== 200 || answer.bytes !== DOWNLOAD_BYTES);
    if (bad.length > 0) throw new Error(`${side}: ${bad.length} downloads failed (first: ${bad[0].status}, ${bad[0].bytes} bytes)`);
    const bytes = answers.reduce((sum, answer) => sum + answer.bytes, 0);
    return { mibPerSecond: bytes / MIB / (wallMs / 1000), latency: summarize(answers.map((answer) => answer.ms)), cpuMsPerMib: (cpuTimeMs(pid) - cpuBefore) / (bytes / MIB) };
  };
  for (const side of Object.keys(sides)) await pass(side, CONCURRENCY);
  const runs = { 1: { supervisor: [], reference: [] }, [CONCURRENCY]: { supervisor: [], reference: [] } };
  for (let round = 0; round < DOWNLOAD_ROUNDS; round++) {
    for (const concurrency of [1, CONCURRENCY]) {
      for (const side of round % 2 === 0 ? ['reference', 'supervisor'] : ['supervisor', 'reference']) {
        const result = await pass(side, concurrency);
        runs[concurrency][side].push(result);
        log(`download ${side} ×${concurrency}: ${num(result.mibPerSecond, 0)} MiB/s, median ${ms(result.latency.median)}`);
      }
    }
  }
  // The floor: the same files read in this process, one after another.
  const readStarted = performance.now();
  for (const { id } of received) await readFile(join(storeDir, `${keyOf(id)}.bin`));
  const readFileMibPerSecond = (downloads * DOWNLOAD_BYTES) / MIB / ((performance.now() - readStarted) / 1000);
  raw.download = { runs, readFileMibPerSecond };
  const pick = (concurrency, side, get) => median(runs[concurrency][side].map(get));
  for (const concurrency of [1, CONCURRENCY]) {
    const label = concurrency === 1 ? 'one at a time' : `${concurrency} at a time`;
    const value = (side, get) => pick(concurrency, side, get);
    const rate = { figure: value('supervisor', (run) => run.mibPerSecond), reference: value('reference', (run) => run.mibPerSecond) };
    const p50 = { figure: value('supervisor', (run) => run.latency.median), reference: value('reference', (run) => run.latency.median) };
    const p90 = { figure: value('supervisor', (run) => run.latency.p90), reference: value('reference', (run) => run.latency.p90) };
    const cpu = { figure: value('supervisor', (run) => run.cpuMsPerMib), reference: value('reference', (run) => run.cpuMsPerMib) };
    rows.push(
      row(`download 1 MiB received media, ${label}: MiB/s`, { figure: num(rate.figure, 0), reference: `${num(rate.reference, 0)} (bare node:http, same files)`, ratio: rate.figure / rate.reference }),
      row(`download, ${label}: latency median`, { figure: ms(p50.figure), reference: ms(p50.reference), ratio: p50.figure / p50.reference }),
      row(`download, ${label}: latency p90`, { figure: ms(p90.figure), reference: ms(p90.reference), ratio: p90.figure / p90.reference }),
      row(`download, ${label}: server CPU per MiB`, { figure: ms(cpu.figure), reference: ms(cpu.reference), ratio: cpu.figure / cpu.reference }),
    );
  }
  notes.push(
    `Download, how: ${downloads} media messages of ${DOWNLOAD_BYTES / MIB} MiB (JPEG bytes) received through POST simulate/inbound and, once all were in the supervisor's media store ` +
      `(it stores received media as it arrives), GET /sessions/:id/messages/:messageId/media of each: one at a time and ${CONCURRENCY} at a time over keep-alive sockets, ` +
      `${DOWNLOAD_ROUNDS} rounds per side alternating after one warm-up pass each (dropped), medians over rounds; every answer 200 with all its bytes. ` +
      'Reference: the same .bin files of the media store, GET from the file server (open, stat, stream). MiB/s = bytes / wall time of the pass; ' +
      'server CPU from /proc/<pid>/stat (the supervisor alone: no worker takes part once the media is stored).',
  );
  notes.push(`Download floor: fs.readFile of the same ${downloads} files in the benchmark process, one after another: ${num(readFileMibPerSecond, 0)} MiB/s.`);
}
if (simulated !== undefined) await simulated.close();

/** A fresh file server, for one memory round of the bare upload. */
const freshFileServer = () => startNodeServer({ script: FILE_SERVER, env: { BENCH_ROOT: dir }, logDir: dir });

if (selected.has('memory')) {
  log(`memory: ${MEMORY_ROUNDS} rounds of a 50 MiB multipart upload, URL send and base64 JSON send (each on a fresh supervisor) and a bare upload`);
  // 50 MiB that the intake takes for a JPEG: the real JPEG, then noise (only the first bytes are sniffed).
  const big = Buffer.concat([jpeg, randomBytes(BIG_BYTES - jpeg.length)]);
  writeFileSync(join(dir, 'big.jpg'), big);
  const bigForm = multipartForm({ fields: { to: TO }, file: { field: 'file', filename: 'big.jpg', contentType: 'image/jpeg', path: join(dir, 'big.jpg') } });
  const small = readFileSync(SMALL_JPEG);
  const smallForm = multipartForm({ fields: { to: TO }, file: { field: 'file', filename: 'small.jpg', contentType: 'image/jpeg', bytes: small } });
  const bigBase64 = big.toString('base64');
  const route = '/sessions/mem/messages';
  /** Each kind: its server, fresh (a supervisor with one linked session, or the bare file server), a small warm-up send and the 50 MiB one. */
  const onSupervisor = (warm, send) => ({
    async start() {
      const supervisor = await supervisorWith(`memory-${Date.now()}`);
      const { pid: workerPid } = await linkedSession(supervisor, 'mem', 'simulated');
      return { pid: supervisor.pid, workerPid, close: supervisor.close, warm: () => warm(supervisor), send: () => send(supervisor) };
    },
  });
  const kinds = {
    upload: onSupervisor(
      (supervisor) => upload(supervisor.agent, `${supervisor.base}${route}`, smallForm, AUTH),
      (supervisor) => upload(supervisor.agent, `${supervisor.base}${route}`, bigForm, AUTH),
    ),
    url: onSupervisor(
      (supervisor) => supervisor.client.request('POST', route, { to: TO, media: { url: `${files.base}/files/image.jpg` } }),
      (supervisor) => supervisor.client.request('POST', route, { to: TO, media: { url: `${files.base}/files/big.jpg` } }),
    ),
    base64: onSupervisor(
      (supervisor) => supervisor.client.request('POST', route, { to: TO, media: { data: small.toString('base64'), mimetype: 'image/jpeg' } }),
      (supervisor) => supervisor.client.request('POST', route, { to: TO, media: { data: bigBase64, mimetype: 'image/jpeg' } }),
    ),
    bare: {
      async start() {
        const server = await freshFileServer();
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        return {
          pid: server.pid,
          close: async () => {
            agent.destroy();
            await server.stop();
          },
          warm: () => upload(agent, `${server.base}/upload`, smallForm),
          send: () => upload(agent, `${server.base}/upload`, bigForm),
        };
      },
    },
  };
  const measured = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, []]));
  const names = Object.keys(kinds);
  for (let round = 0; round < MEMORY_ROUNDS; round++) {
    for (const kind of names.map((_, index) => names[(index + round) % names.length])) {
      const server = await kinds[kind].start();
      try {
        expect201(await server.warm(), `${kind} warm-up send`);
        await delay(1000);
        const idle = sampleRss(server.pid, SAMPLE_MS);
        await delay(500);
        const idleMb = median(idle.stop().map((sample) => sample.rssMb));
        resetPeakRss(server.pid);
        const workerIdleMb = server.workerPid === undefined ? undefined : rssOf(server.workerPid).rssMb;
        if (server.workerPid !== undefined) resetPeakRss(server.workerPid);
        const sampler = sampleRss(server.pid, SAMPLE_MS);
        const answer = expect201(await server.send(), `50 MiB ${kind} send`);
        await delay(250);
        const samples = sampler.stop();
        const result = {
          idleMb,
          sampledPeakMb: Math.max(...samples.map((sample) => sample.rssMb)),
          peakMb: rssOf(server.pid).peakMb,
          samples: samples.length,
          largestGapMs: Math.max(...samples.slice(1).map((sample, index) => sample.at - samples[index].at)),
          workerPeakAboveIdleMb: server.workerPid === undefined ? undefined : rssOf(server.workerPid).peakMb - workerIdleMb,
          ms: answer.ms,
        };
        measured[kind].push(result);
        log(`memory ${kind} round ${round}: idle ${num(result.idleMb, 1)} MiB, peak ${num(result.peakMb, 1)} MiB (sampled ${num(result.sampledPeakMb, 1)}), ${ms(result.ms)}`);
      } finally {
        await server.close();
      }
    }
  }
  raw.memory = measured;
  const pick = (kind, get) => median(measured[kind].map(get));
  const above = (kind) => pick(kind, (run) => run.peakMb - run.idleMb);
  const sampledAbove = (kind) => pick(kind, (run) => run.sampledPeakMb - run.idleMb);
  const mib = (value) => `${num(value, 1)} MiB`;
  const base64Reference = `${mib(above('base64'))} (the same 50 MiB as base64 JSON)`;
  rows.push(
    row('supervisor RSS peak during a 50 MiB multipart upload', { figure: mib(pick('upload', (run) => run.peakMb)), reference: `${mib(pick('upload', (run) => run.idleMb))} (idle, just before)`, ratio: pick('upload', (run) => run.peakMb) / pick('upload', (run) => run.idleMb) }),
    row('RSS peak above idle: 50 MiB multipart upload', { figure: mib(above('upload')), reference: base64Reference, ratio: above('upload') / above('base64') }),
    row('RSS peak above idle: 50 MiB multipart upload, against a bare server reading it', { figure: mib(above('upload')), reference: `${mib(above('bare'))} (bare node:http, discards it)`, ratio: above('upload') / above('bare') }),
    row('RSS peak above idle: 50 MiB by URL', { figure: mib(above('url')), reference: base64Reference, ratio: above('url') / above('base64') }),
    row('RSS peak above idle: 50 MiB as base64 JSON', { figure: mib(above('base64')), reference: '50.0 MiB (the file)', ratio: above('base64') / 50 }),
  );
  notes.push(
    `Memory, how: a 50 MiB multipart upload (streamed from disk by the client), a 50 MiB send by URL (from the file server) and the same 50 MiB as base64 in a JSON body ` +
      `(${num((Math.ceil(BIG_BYTES / 3) * 4) / MIB, 1)} MiB of base64), each on a fresh supervisor (MEDIA_MAX_BYTES at its default, 64 MiB) with one linked simulated session, ` +
      `and the multipart upload to a fresh file server, which reads it to its end; ${MEMORY_ROUNDS} rounds, in an order that turns each round; medians over rounds. ` +
      'Each server first takes one small JPEG the same way (so the route and its modules are warm), rests 1 s, ' +
      `then its idle RSS is the median of VmRSS read every ${SAMPLE_MS} ms for 0.5 s. Its VmHWM is then reset (5 to /proc/<pid>/clear_refs) and VmRSS sampled every ${SAMPLE_MS} ms ` +
      "from the request until 250 ms after its 201; the peak is VmHWM, the kernel's exact peak (the sampled one is in the notes). The 50 MiB file is the JPEG followed by random bytes.",
  );
  const describe = (kind) =>
    `${kind}: sampled peak above idle ${mib(sampledAbove(kind))} (at least ${Math.min(...measured[kind].map((run) => run.samples))} samples, largest gap ${ms(Math.max(...measured[kind].map((run) => run.largestGapMs)))}), ` +
    `idle ${mib(pick(kind, (run) => run.idleMb))}, request → 201 ${ms(pick(kind, (run) => run.ms))}` +
    (kind === 'bare' ? '' : `, the worker's RSS peak above its idle ${mib(pick(kind, (run) => run.workerPeakAboveIdleMb))}`);
  notes.push(`Memory, per kind (medians): ${names.map(describe).join('; ')}.`);
  // A reading, only where the figures bear it out: the upload's peak is no copy of the file but what any Node server reading it shows.
  if (above('upload') < 50 && above('upload') <= above('bare') * 1.5) {
    notes.push(
      `Reading: the supervisor does not hold an uploaded file: its peak during the 50 MiB upload (${mib(above('upload'))} above idle) is less than the file and within ` +
        `${ratio(above('upload') / above('bare'))} of a bare node:http server that only reads the same upload (${mib(above('bare'))}), the chunks read and not yet collected; ` +
        `the base64 JSON send holds the body several times over (${ratio(above('base64') / 50)} the file).`,
    );
  }
}

if (selected.has('webjs') && webjsRounds > 0) {
  log(`webjs: emulator, supervisor, linking a webjs session`);
  const emulator = await startEmulator();
  // A short DATA_DIR and session id: Chromium's singleton socket lives under <DATA_DIR>/sessions/<id>/chromium/tmp,
  // and a socket path of 108 bytes or more (Linux's sun_path) makes Chromium exit at once ("Target closed").
  const supervisor = await supervisorWith('webjs', { DEFAULT_ENGINE: 'webjs', CHROMIUM_ARGS: JSON.stringify(emulator.chromiumArgs) }, join(dir, 'w'));
  try {
    const view = await linkedSession(supervisor, 'w', 'webjs', emulator);
    ownGroup(pgidOf(view.browserPid));
    log(`webjs: ${webjsRounds} rounds after ${WEBJS_WARMUP} warm-up`);
    const browserGroup = pgidOf(view.browserPid);
    const served = {
      supervisor: () => cpuTimeMs(supervisor.pid),
      worker: () => cpuTimeMs(view.pid),
      Chromium: () => groupCpuTimeMs(browserGroup),
      'benchmark process (client and emulator)': () => (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    };
    const processes = { text: served, url: served, upload: served };
    const send = await sendRounds(senders(supervisor, 'w', sendForm), ['text', 'url', 'upload'], { rounds: webjsRounds, warmup: WEBJS_WARMUP, label: 'webjs', processes });
    raw.webjs = send;
    const images = emulator.sent().filter((record) => record.type === 'image');
    const intact = images.filter((record) => emulator.sentMedia(record.id)?.equals(jpeg)).length;
    rows.push(
      ...pairRows(`webjs: ${jpegSize} JPEG by URL → 201`, send.url, send.text, 'webjs text send'),
      ...pairRows(`webjs: ${jpegSize} JPEG multipart upload → 201`, send.upload, send.text, 'webjs text send'),
    );
    notes.push(
      'webjs, how: one webjs session (whatsapp-web.js on Chromium) linked on the WhatsApp Web emulator, which runs in the benchmark process; ' +
        `${webjsRounds} rounds (${WEBJS_WARMUP} warm-up dropped) of a text, the JPEG by URL and the JPEG as multipart, in an order that turns each round. ` +
        'A media send here includes the worker reading the file and handing it to the page as base64, Chromium decoding it (the media probe) and the page uploading it to the emulator.',
    );
    notes.push(`webjs, CPU per send (mean over the ${webjsRounds} rounds): ${cpuText(send.cpu, { text: 'text', url: 'by URL', upload: 'multipart' })}.`);
    notes.push(`webjs: the emulator received ${images.length} images (warm-up included), ${intact} of them byte for byte the JPEG.`);
  } finally {
    await supervisor.close();
    await emulator.close();
  }
}

await files.stop();
filesAgent.destroy();
emit({
  name: 'media',
  title: 'Media: sending a 5 MiB JPEG, memory during a 50 MiB upload, downloads',
  how:
    `Compiled server.js on 127.0.0.1 with API_KEY set (every request carries it), RATE_LIMIT=0, LOG_LEVEL=info (its default); NODE_EXTRA_CA_CERTS ${caBundle === undefined ? 'was not set' : 'unset for every process started'}. ` +
    `The file is a ${JPEG_SIZE.width}×${JPEG_SIZE.height} JPEG of noise (${num(jpeg.length, 0)} bytes) made by Chromium (canvas.toDataURL('image/jpeg', 1.0)). ` +
    'The file server is a bare node:http process (fixtures/file-server.mjs). Client in the benchmark process; everything on the same 2 cores. ' +
    'Details per part below.',
  rows,
  notes,
  raw,
});
