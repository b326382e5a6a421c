#!/usr/bin/env node
/**
 * Cluster mode: supervisors as nodes sharing one PostgreSQL server (a throwaway one, PostgreSQL's durability
 * defaults), simulated sessions, LEASE_MS=5000 so that failovers are short. Five parts, each on a database of
 * its own, each with its nodes gone before the next starts:
 *   failover  3 nodes, every session on one of them, kill -9 of it → each session `ready` on a survivor
 *   rolling   3 nodes, sessions spread, each node SIGTERMed and started again in turn → downtime per session
 *   forward   GET /sessions/:id for sessions of node A, asked of A and of B (which forwards), alternating rounds
 *   events    inbound → webhook, closed loop: one supervisor on SQLite, one node on PostgreSQL, two nodes
 *   restore   200 linked sessions, SIGTERM, start again → all ready: one node on PostgreSQL, one supervisor on SQLite
 * Every process (nodes, their workers, the database server) is killed and every directory removed on exit.
 * Usage: node bench/benchmarks/cluster.mjs [part ...]   (after `pnpm build`; all parts by default)
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { atExit } from '../lib/cleanup.mjs';
import { AUTH, nodesAlive, startNode } from '../lib/cluster-node.mjs';
import { delay } from '../lib/delay.mjs';
import { ms, num } from '../lib/format.mjs';
import { loadGets } from '../lib/get-load.mjs';
import { mapLimit } from '../lib/http.mjs';
import { closedLoop, cpuText, inboundRuns } from '../lib/inbound-load.mjs';
import { startPostgres } from '../lib/postgres-server.mjs';
import { describeProfile, stackShares, summarizeProfile } from '../lib/profile.mjs';
import { emit, progress, row } from '../lib/result.mjs';
import { median, summarize } from '../lib/stats.mjs';
import { startReceiver } from '../lib/webhook-receiver.mjs';

const PARTS = ['failover', 'rolling', 'forward', 'events', 'restore'];
const LEASE_MS = 5000;
const GRACE_MS = LEASE_MS * 0.2;
const RENEW_MS = LEASE_MS / 5;
const FAILOVER_SESSIONS = 30;
const ROLLING_SESSIONS = 12;
const FORWARD_SESSIONS = 20;
const FORWARD_CONNECTIONS = 32;
const FORWARD_SECONDS = 4;
const FORWARD_WARMUP_SECONDS = 2;
const FORWARD_ROUNDS = 3;
const EVENT_SESSIONS = 10;
const EVENT_MESSAGES = 1500;
const EVENT_WARMUP = 500;
const EVENT_IN_FLIGHT = 64;
const RESTORE_SESSIONS = 200;
const FROM = '15550002222@c.us';
/** What a forwarding node's time is spent on, by the code on the stack (profile.mjs stackShares). */
const FORWARD_CONCERNS = {
  'proxying (@fastify/reply-from, undici)': /@fastify\/reply-from|\/undici\//,
  'locating the owner (SELECT on session_leases: pg)': /session-locator|\/pg\/|\/pg-protocol\/|\/pg-pool\//,
  'API key check': /supervisor\/dist\/plugins\/auth/,
  'Fastify': /\/fastify\//,
};
const log = progress('cluster');

const only = process.argv.slice(2);
const unknown = only.filter((part) => !PARTS.includes(part));
if (unknown.length > 0) throw new Error(`unknown part(s) ${unknown.join(', ')}; known: ${PARTS.join(', ')}`);
const selected = only.length > 0 ? PARTS.filter((part) => only.includes(part)) : PARTS;

// Measured without the CA bundle this machine loads into every Node process (tens of ms per start).
const caBundle = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS;
const dir = mkdtempSync(join(tmpdir(), 'wsm-bench-cluster-'));
// BENCH_KEEP_LOGS=1 keeps the nodes' data dirs and logs for a look after the run.
atExit(() => (process.env.BENCH_KEEP_LOGS ? process.stderr.write(`[cluster] logs kept in ${dir}\n`) : rmSync(dir, { recursive: true, force: true })));
const postgres = await startPostgres();

/** The nodes a part started; all destroyed (workers included) when it ends, however it ends. */
function scope() {
  const started = [];
  return {
    async node(options) {
      const node = await startNode({ dir, leaseMs: LEASE_MS, ...options });
      started.push(node);
      return node;
    },
    adopt(node) {
      started.push(node);
      return node;
    },
    async close() {
      await Promise.all(started.map((node) => node.destroy()));
    },
  };
}

/** Polls GET /sessions of `node` every 100 ms until every id in `ids` passes `check`; resolves with their views. */
async function allSessions(node, ids, check, timeoutMs, label) {
  const deadline = performance.now() + timeoutMs;
  const wanted = new Set(ids);
  for (;;) {
    const views = (await node.client.call('GET', '/sessions')).filter((view) => wanted.has(view.sessionId));
    const passing = views.filter(check);
    if (passing.length === wanted.size) return views;
    if (performance.now() > deadline) throw new Error(`${label}: ${passing.length} of ${wanted.size} after ${timeoutMs} ms`);
    await delay(100);
  }
}

let setUpRetries = 0;
/**
 * A set-up call, retried while the answer says "not now" (409 not showing a QR yet, 429 no live node, 503 moving):
 * a node that missed its lease renewals while starting many sessions on a loaded machine fences itself, and takes
 * its sessions back within a few rounds. Counted, and the fences are counted from the nodes' logs.
 */
async function setUp(node, method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const answer = await node.client.request(method, path, body);
    if (answer.status < 300) return answer.body;
    if (![409, 429, 503].includes(answer.status) || attempt >= 240) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    setUpRetries++;
    await delay(250);
  }
}

/** How many times the nodes of this run have fenced themselves so far (their logs, in `dir`). */
function fencesSoFar() {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .reduce((sum, name) => sum + readFileSync(join(dir, name), 'utf8').split('no lease renewal in time: killing every worker').length - 1, 0);
}

/** Starts simulated sessions through `node` (placed where the cluster puts them), scans each, waits until all are ready. */
async function linkSessions(node, ids, concurrency = 4) {
  await mapLimit(ids, concurrency, (sessionId) => setUp(node, 'POST', '/start-session', { sessionId, engine: 'simulated' }));
  await allSessions(node, ids, (view) => view.status === 'qr' || view.status === 'ready', 120_000, 'sessions showing a QR');
  await mapLimit(ids, concurrency, (sessionId) => setUp(node, 'POST', `/sessions/${sessionId}/simulate/scan`));
  return allSessions(node, ids, (view) => view.status === 'ready', 120_000, 'sessions ready');
}

const databaseName = (url) => new URL(url).pathname.slice(1);
const countBy = (views, key) => {
  const counts = new Map();
  for (const view of views) counts.set(view[key], (counts.get(view[key]) ?? 0) + 1);
  return [...counts].sort().map(([value, count]) => `${value} ${count}`).join(', ');
};
const range = (values) => summarize(values);
const spread = (summary) => `${ms(summary.min)} / ${ms(summary.median)} / ${ms(summary.max)}`;

/** 1. kill -9 of the node running every session; each session's new `readyAt` on a survivor, from the kill. */
async function failover() {
  const nodes = scope();
  try {
    const databaseUrl = postgres.createDatabase();
    const ids = Array.from({ length: FAILOVER_SESSIONS }, (_, index) => `failover-${index}`);
    const victim = await nodes.node({ nodeId: 'f1', databaseUrl });
    log(`failover: ${ids.length} sessions on f1, then f2 and f3 join`);
    await linkSessions(victim, ids);
    const survivor = await nodes.node({ nodeId: 'f2', databaseUrl });
    await nodes.node({ nodeId: 'f3', databaseUrl });
    await nodesAlive(survivor.client, 3);
    const before = await allSessions(survivor, ids, (view) => view.node === 'f1', 10_000, 'sessions on f1');
    // Let a renewal round pass with all three up, so the kill lands at a random point of f1's renewal period.
    await delay(RENEW_MS * 1.5);
    log('failover: kill -9 of f1');
    const killedAtWall = Date.now();
    const killedAt = performance.now();
    await victim.kill();
    let workersGoneMs;
    const watchWorkers = (async () => {
      while (victim.workers().length > 0) await delay(100);
      workersGoneMs = performance.now() - killedAt;
    })();
    const after = await allSessions(
      survivor,
      ids,
      (view) => view.status === 'ready' && view.node !== null && view.node !== 'f1' && Date.parse(view.readyAt) >= killedAtWall,
      90_000,
      'sessions ready on a survivor',
    );
    const seenAllMs = performance.now() - killedAt;
    await watchWorkers;
    const readyAfter = after.map((view) => Date.parse(view.readyAt) - killedAtWall);
    return { sessions: ids.length, before: countBy(before, 'node'), after: countBy(after, 'node'), readyAfter: range(readyAfter), seenAllMs, workersGoneMs };
  } finally {
    await nodes.close();
  }
}

/** 2. Each of 3 nodes SIGTERMed and started again in turn; every 100 ms, which sessions are not ready. */
async function rolling() {
  const nodes = scope();
  try {
    const databaseUrl = postgres.createDatabase();
    const ids = Array.from({ length: ROLLING_SESSIONS }, (_, index) => `rolling-${index}`);
    const members = [];
    for (const nodeId of ['r1', 'r2', 'r3']) members.push(await nodes.node({ nodeId, databaseUrl }));
    await nodesAlive(members[0].client, 3);
    log(`rolling: ${ids.length} sessions spread over r1, r2, r3`);
    const placed = await linkSessions(members[0], ids);
    const down = new Map(ids.map((sessionId) => [sessionId, 0]));
    let samples = 0;
    let polling = true;
    const poller = (async () => {
      let last = performance.now();
      while (polling) {
        await delay(100);
        const now = performance.now();
        // Asked of a node that is up: the first that answers.
        for (const node of members) {
          const views = await node.client.call('GET', '/sessions').catch(() => undefined);
          if (views === undefined) continue;
          for (const view of views) if (view.status !== 'ready' && down.has(view.sessionId)) down.set(view.sessionId, down.get(view.sessionId) + (now - last));
          samples++;
          break;
        }
        last = now;
      }
    })();
    await delay(1000);
    const steps = [];
    for (let index = 0; index < members.length; index++) {
      const node = members[index];
      const held = (await members[(index + 1) % 3].client.call('GET', '/sessions')).filter((view) => view.node === node.nodeId).length;
      log(`rolling: SIGTERM ${node.nodeId} (${held} sessions)`);
      const began = performance.now();
      const sigtermMs = await node.stop();
      const back = nodes.adopt(await node.restart());
      members[index] = back;
      const startMs = performance.now() - began - sigtermMs;
      await allSessions(back, ids, (view) => view.status === 'ready' && view.node !== null, 60_000, 'sessions ready again');
      steps.push({ nodeId: node.nodeId, held, sigtermMs, startMs, allReadyMs: performance.now() - began });
    }
    await delay(1000);
    polling = false;
    await poller;
    const downtimes = [...down.values()];
    return { sessions: ids.length, placed: countBy(placed, 'node'), steps, downtime: range(downtimes), samples, zeroDowntime: downtimes.filter((value) => value === 0).length };
  } finally {
    await nodes.close();
  }
}

/** 3. GET /sessions/:id of sessions run by A, asked of A and of B (forwarding); then a profiled forwarding node. */
async function forward() {
  const nodes = scope();
  try {
    const databaseUrl = postgres.createDatabase();
    const ids = Array.from({ length: FORWARD_SESSIONS }, (_, index) => `forward-${index}`);
    const owner = await nodes.node({ nodeId: 'a', databaseUrl });
    log(`forward: ${ids.length} sessions on a, then b joins`);
    await linkSessions(owner, ids);
    const forwarder = await nodes.node({ nodeId: 'b', databaseUrl });
    await nodesAlive(forwarder.client, 2);
    const template = await forwarder.client.call('GET', `/sessions/${ids[0]}`);
    if (template.node !== 'a') throw new Error(`${ids[0]} runs on ${template.node}, not a`);
    const paths = ids.map((sessionId) => `/sessions/${sessionId}`);
    const processes = { a: owner.pid, b: forwarder.pid };
    const load = (node, seconds) => loadGets({ base: node.base, paths, connections: FORWARD_CONNECTIONS, seconds, headers: AUTH, processes });
    const sides = { owner, forwarder };
    log(`forward: warm-up ${FORWARD_WARMUP_SECONDS} s each, then ${FORWARD_ROUNDS} alternating rounds of ${FORWARD_SECONDS} s, ${FORWARD_CONNECTIONS} connections`);
    for (const node of Object.values(sides)) await load(node, FORWARD_WARMUP_SECONDS);
    const runs = { owner: [], forwarder: [] };
    for (let round = 0; round < FORWARD_ROUNDS; round++) {
      for (const side of round % 2 === 0 ? ['owner', 'forwarder'] : ['forwarder', 'owner']) runs[side].push(await load(sides[side], FORWARD_SECONDS));
    }
    // Where a forwarding node spends its time: a third node, profiled, under the same load (not measured above).
    const profileDir = join(dir, 'forward-profile');
    mkdirSync(profileDir);
    const profiled = await nodes.node({ nodeId: 'c', databaseUrl, profileDir });
    await load(profiled, FORWARD_WARMUP_SECONDS);
    const profiledRun = await load(profiled, FORWARD_SECONDS);
    await profiled.stop();
    const [file] = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
    const profile = file === undefined ? undefined : summarizeProfile(join(profileDir, file), 12, profiledRun.window);
    const concerns = file === undefined ? undefined : stackShares(join(profileDir, file), FORWARD_CONCERNS, profiledRun.window);
    return { sessions: ids.length, bytes: Buffer.byteLength(JSON.stringify(template)), runs, profile, concerns, profiledRps: profiledRun.rps };
  } finally {
    await nodes.close();
  }
}

/** 4. Inbound → webhook, closed loop, on SQLite, on one PostgreSQL node, and on two (each message sent to its session's node). */
async function events() {
  const nodes = scope();
  const receiver = await startReceiver();
  try {
    const env = { WEBHOOK_URL: receiver.url };
    const sideOf = async (label, members, extra = {}) => {
      const ids = Array.from({ length: EVENT_SESSIONS }, (_, index) => `events-${label}-${index}`);
      await linkSessions(members[0], ids);
      const targets = [];
      const workers = [];
      // Each node knows the pids of the workers it runs (null for the others').
      for (const node of members) {
        for (const view of await allSessions(node, ids, () => true, 1000, 'sessions')) {
          if (view.pid === null) continue;
          targets.push({ base: node.base, sessionId: view.sessionId });
          workers.push(view.pid);
        }
      }
      if (targets.length !== ids.length) throw new Error(`${label}: ${targets.length} of ${ids.length} sessions found running`);
      return {
        placed: members.map((node) => `${node.nodeId} ${targets.filter((target) => target.base === node.base).length}`).join(', '),
        targets,
        headers: AUTH,
        processes: { supervisors: members.map((node) => node.pid), workers, ...extra },
      };
    };
    log(`events: ${EVENT_SESSIONS} linked sessions on each side (SQLite; PostgreSQL, 1 node; PostgreSQL, 2 nodes)`);
    const sqlite = await sideOf('sqlite', [await nodes.node({ nodeId: 'sqlite', env })]);
    const oneUrl = postgres.createDatabase();
    const one = await sideOf('pg1', [await nodes.node({ nodeId: 'p1', databaseUrl: oneUrl, env })], { postgres: postgres.cpuMs });
    const twoUrl = postgres.createDatabase();
    const pair = [await nodes.node({ nodeId: 'q1', databaseUrl: twoUrl, env }), await nodes.node({ nodeId: 'q2', databaseUrl: twoUrl, env })];
    await nodesAlive(pair[0].client, 2);
    const two = await sideOf('pg2', pair, { postgres: postgres.cpuMs });
    const sides = { sqlite, one, two };
    const databases = { one: databaseName(oneUrl), two: databaseName(twoUrl) };
    const commits = () => Object.fromEntries(Object.entries(databases).map(([side, name]) => [side, Number(postgres.query(`SELECT xact_commit FROM pg_stat_database WHERE datname = '${name}'`))]));
    const commitsBefore = commits();
    const { measure } = inboundRuns({ receiver, from: FROM, inFlight: EVENT_IN_FLIGHT, drainTimeoutMs: 60_000 });
    log(`events: warm-up ${EVENT_WARMUP} messages per side, then ${EVENT_MESSAGES} per run, ${EVENT_IN_FLIGHT} in flight, order A B C C B A`);
    for (const side of Object.values(sides)) await measure(side, closedLoop(EVENT_WARMUP, EVENT_IN_FLIGHT));
    const runs = { sqlite: [], one: [], two: [] };
    for (const side of ['sqlite', 'one', 'two', 'two', 'one', 'sqlite']) {
      runs[side].push(await measure(sides[side], closedLoop(EVENT_MESSAGES, EVENT_IN_FLIGHT)));
      log(`  ${side}: ${num(runs[side].at(-1).deliveredPerSecond, 0)} delivered/s`);
    }
    // How the PostgreSQL sides wrote: transactions committed per message (all of them: appends, claims, finishes,
    // reads, the nodes' rounds), and message.received events per appending transaction.
    const commitsAfter = commits();
    const messages = EVENT_WARMUP + 2 * EVENT_MESSAGES;
    const perMessage = Object.fromEntries(Object.keys(databases).map((side) => [side, (commitsAfter[side] - commitsBefore[side]) / messages]));
    const perAppend = Object.fromEntries(
      Object.entries(databases).map(([side, name]) => {
        const [events, transactions] = postgres.query("SELECT count(*) || ' ' || count(DISTINCT xact) FROM events WHERE type = 'message.received'", name).split(' ').map(Number);
        return [side, events / transactions];
      }),
    );
    return { placed: { sqlite: sqlite.placed, one: one.placed, two: two.placed }, runs, duplicates: receiver.duplicates, perMessage, perAppend };
  } finally {
    await nodes.close();
    await receiver.close();
  }
}

/** 5. 200 linked sessions, SIGTERM, start again → time from the spawn to the last `readyAt`; PostgreSQL node and SQLite. */
async function restore() {
  const nodes = scope();
  try {
    const env = { MAX_SESSIONS: String(RESTORE_SESSIONS * 2) };
    const ids = (label) => Array.from({ length: RESTORE_SESSIONS }, (_, index) => `restore-${label}-${index}`);
    const results = {};
    for (const label of ['sqlite', 'postgres']) {
      const node = await nodes.node(label === 'sqlite' ? { nodeId: 'sqlite', env } : { nodeId: 'x1', databaseUrl: postgres.createDatabase(), env });
      const sessionIds = ids(label);
      log(`restore: ${label}: ${RESTORE_SESSIONS} linked sessions, SIGTERM, then the same supervisor again`);
      await linkSessions(node, sessionIds);
      const sigtermMs = await node.stop();
      const spawnedAtWall = Date.now();
      const again = nodes.adopt(await node.restart());
      const servingMs = Date.now() - spawnedAtWall;
      const views = await allSessions(again, sessionIds, (view) => view.status === 'ready' && Date.parse(view.readyAt) >= spawnedAtWall, 240_000, `${label} restore`);
      const readyAfter = views.map((view) => Date.parse(view.readyAt) - spawnedAtWall);
      results[label] = { sigtermMs, servingMs, readyAfter: range(readyAfter) };
      await again.destroy();
    }
    return results;
  } finally {
    await nodes.close();
  }
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');
const measured = {};
const loads = {};
const failures = {};
const started = performance.now();
for (const part of selected) {
  const before = load();
  const began = performance.now();
  const fencesBefore = fencesSoFar();
  const retriesBefore = setUpRetries;
  try {
    measured[part] = await { failover, rolling, forward, events, restore }[part]();
  } catch (error) {
    failures[part] = error.message;
    log(`${part} failed: ${error.stack}`);
  }
  loads[part] = {
    before,
    after: load(),
    seconds: Math.round((performance.now() - began) / 1000),
    fences: fencesSoFar() - fencesBefore,
    retries: setUpRetries - retriesBefore,
  };
  log(`${part}: ${loads[part].seconds} s, load average ${loads[part].before} → ${loads[part].after}`);
}
postgres.stop();

const rows = [];
const notes = [];
const floorMs = LEASE_MS + GRACE_MS;
const { failover: fo, rolling: ro, forward: fw, events: ev, restore: re } = measured;
if (fo) {
  rows.push(
    row(`failover: kill -9 → ready elsewhere, per session (min / median / max of ${fo.sessions})`, {
      figure: spread(fo.readyAfter),
      reference: `${ms(floorMs)} (LEASE_MS + grace after the last renewal)`,
      ratio: fo.readyAfter.max / floorMs,
    }),
  );
  notes.push(
    `Failover: LEASE_MS=${LEASE_MS}, so leases renew every ${RENEW_MS} ms, f1's workers fence themselves ${0.6 * LEASE_MS} ms after its last renewal and a survivor may take a session ` +
      `${ms(floorMs)} (LEASE_MS + grace ${GRACE_MS} ms) after it: ${ms(floorMs - RENEW_MS)}–${ms(floorMs)} after the kill, depending on where in the renewal period it fell. ` +
      'Each survivor claims its share 4 sessions at a time (cluster-node.ts), a batch right after the other, each session started as it is claimed: ' +
      'the spread above the floor. ' +
      `Before: ${fo.before}; after: ${fo.after}. All seen ready by polling ${ms(fo.seenAllMs)} after the kill; f1's orphaned workers were all gone ${ms(fo.workersGoneMs)} after it.`,
  );
}
if (ro) {
  rows.push(row(`rolling restart: downtime per session (min / median / max of ${ro.sessions})`, { figure: spread(ro.downtime), reference: '—' }));
  rows.push(
    row('rolling restart: SIGTERM → exit, per node', {
      figure: ro.steps.map((step) => `${step.nodeId} ${ms(step.sigtermMs)} (${step.held} sessions)`).join('; '),
      reference: '—',
    }),
  );
  notes.push(
    `Rolling restart: ${ro.sessions} sessions placed ${ro.placed}; each node in turn SIGTERMed (it hands its sessions over: stops each cleanly, saves its pairing, releases its lease) ` +
      'and started again as the same node (NODE_ID, DATA_DIR, PORT), the next once every session was ready again. ' +
      `Per node: ${ro.steps.map((step) => `${step.nodeId}: SIGTERM ${ms(step.sigtermMs)}, start to serving ${ms(step.startMs)}, all ready ${ms(step.allReadyMs)} after the SIGTERM`).join('; ')}. ` +
      `Downtime sampled every 100 ms (${ro.samples} samples; resolution ~100 ms); ${ro.zeroDowntime} sessions were never seen down.`,
  );
}
if (fw) {
  const pick = (side, get) => median(fw.runs[side].map(get));
  const rps = { figure: pick('forwarder', (run) => run.rps), reference: pick('owner', (run) => run.rps) };
  const p50 = { figure: pick('forwarder', (run) => run.p50), reference: pick('owner', (run) => run.p50) };
  const p99 = { figure: pick('forwarder', (run) => run.p99), reference: pick('owner', (run) => run.p99) };
  const cpuPerRequest = (side) => pick(side, (run) => run.cpu.a.usPerRequest + run.cpu.b.usPerRequest);
  rows.push(row('forwarding: GET /sessions/:id requests/s via B (reference: A, the owner)', { figure: num(rps.figure, 0), reference: num(rps.reference, 0), ratio: rps.figure / rps.reference }));
  rows.push(row('forwarding: latency p50', { figure: ms(p50.figure), reference: ms(p50.reference), ratio: p50.figure / p50.reference }));
  rows.push(row('forwarding: latency p99', { figure: ms(p99.figure), reference: ms(p99.reference), ratio: p99.figure / p99.reference }));
  rows.push(
    row('forwarding: CPU per request, both nodes', {
      figure: `${num(cpuPerRequest('forwarder'), 0)} µs`,
      reference: `${num(cpuPerRequest('owner'), 0)} µs`,
      ratio: cpuPerRequest('forwarder') / cpuPerRequest('owner'),
    }),
  );
  const share = (side, node) => `${Math.round(pick(side, (run) => run.cpu[node].share) * 100)}%`;
  notes.push(
    `Forwarding: ${fw.sessions} linked sessions run by A; autocannon (this process) with ${FORWARD_CONNECTIONS} connections, x-api-key, paths cycling through them, ` +
      `${FORWARD_ROUNDS} alternating rounds of ${FORWARD_SECONDS} s per side after a ${FORWARD_WARMUP_SECONDS} s warm-up each (dropped), medians over rounds; ${fw.bytes}-byte answers. ` +
      `CPU busy (of one core) asked of A: A ${share('owner', 'a')}; asked of B: B ${share('forwarder', 'b')}, A ${share('forwarder', 'a')} ` +
      '(neither near 100%: through B a request waits on two more round trips, B→PostgreSQL to locate the owner and B→A, each a process to wake on the shared cores). ' +
      `Per request via B: B ${num(pick('forwarder', (run) => run.cpu.b.usPerRequest), 0)} µs, A ${num(pick('forwarder', (run) => run.cpu.a.usPerRequest), 0)} µs.`,
  );
  if (fw.profile) {
    notes.push(
      `Where a forwarding node spends its time: a third node C under the same load for ${FORWARD_SECONDS} s with --cpu-prof (${num(fw.profiledRps, 0)} req/s, not in the figures): ${describeProfile(fw.profile, 8)}. ` +
        `Share of its busy time with each on the stack (overlapping): ${Object.entries(fw.concerns).map(([label, share]) => `${label} ${Math.round(share * 100)}%`).join(', ')}.`,
    );
  }
}
if (ev) {
  const best = (side, key) => Math.max(...ev.runs[side].map((run) => run[key]));
  const bestRun = (side) => ev.runs[side].reduce((top, run) => (run.deliveredPerSecond > top.deliveredPerSecond ? run : top));
  const worstP99 = (side) => Math.max(...ev.runs[side].map((run) => run.latency.p99));
  for (const [side, label] of [['one', 'PostgreSQL, 1 node'], ['two', 'PostgreSQL, 2 nodes']]) {
    rows.push(
      row(`events: delivered/s, ${label} (reference: SQLite)`, {
        figure: num(best(side, 'deliveredPerSecond'), 0),
        reference: num(best('sqlite', 'deliveredPerSecond'), 0),
        ratio: best(side, 'deliveredPerSecond') / best('sqlite', 'deliveredPerSecond'),
      }),
    );
    rows.push(
      row(`events: inbound accepted/s, ${label}`, {
        figure: num(best(side, 'acceptedPerSecond'), 0),
        reference: num(best('sqlite', 'acceptedPerSecond'), 0),
        ratio: best(side, 'acceptedPerSecond') / best('sqlite', 'acceptedPerSecond'),
      }),
    );
    rows.push(row(`events: inbound → webhook p99, ${label}`, { figure: ms(worstP99(side)), reference: ms(worstP99('sqlite')), ratio: worstP99(side) / worstP99('sqlite') }));
  }
  const lost = Object.values(ev.runs).flat().reduce((sum, run) => sum + run.sent - run.rejected - run.delivered, 0);
  const refused = Object.values(ev.runs).flat().reduce((sum, run) => sum + run.rejected, 0);
  notes.push(
    `Events: the closed loop of events.mjs (${num(EVENT_MESSAGES, 0)} messages per run, ${EVENT_IN_FLIGHT} POST simulate/inbound in flight over ${EVENT_SESSIONS} linked sessions per side, ` +
      `webhook settings at their defaults, receiver in this process) against three sides kept up together: one supervisor on SQLite (synchronous=NORMAL, its default), ` +
      `one cluster node on PostgreSQL, two cluster nodes on PostgreSQL (sessions placed ${ev.placed.two}; each message sent to its session's node, so nothing is forwarded). ` +
      `Two runs per side in the order SQLite, 1 node, 2 nodes, 2 nodes, 1 node, SQLite after a ${num(EVENT_WARMUP, 0)}-message warm-up each (dropped); best run shown, p99 the worse run's. ` +
      `Delivered/s, each run: ${Object.entries(ev.runs).map(([side, list]) => `${side} ${list.map((run) => num(run.deliveredPerSecond, 0)).join(', ')}`).join('; ')}. ` +
      `${lost} accepted messages not delivered within 60 s, ${refused} inbound requests refused, ${ev.duplicates} duplicate deliveries.`,
  );
  notes.push(
    `Events, CPU during each side's best run (share of one core, 2 in all): SQLite ${cpuText(bestRun('sqlite'))}; PostgreSQL 1 node ${cpuText(bestRun('one'))}; ` +
      `2 nodes ${cpuText(bestRun('two'))} ("postgres" is the whole database server).`,
  );
  notes.push(
    `Events, how PostgreSQL was written: ${num(ev.perMessage.one, 1)} (1 node) and ${num(ev.perMessage.two, 1)} (2 nodes) committed transactions per inbound message over the runs, ` +
      `and ${num(ev.perAppend.one, 2)} and ${num(ev.perAppend.two, 2)} message.received events per appending transaction. ` +
      'An append is BEGIN, INSERT events, INSERT deliveries, COMMIT; a node writes one append at a time, and the next takes every event recorded meanwhile ' +
      '(events/event-recorder.ts: a group commit), so under load many events share one transaction.',
  );
}
if (re) {
  for (const [label, key] of [['PostgreSQL node', 'postgres']]) {
    if (re[key] === undefined || re.sqlite === undefined) continue;
    rows.push(
      row(`restore: restart → all ${RESTORE_SESSIONS} ready, ${label} (reference: SQLite)`, {
        figure: ms(re[key].readyAfter.max),
        reference: ms(re.sqlite.readyAfter.max),
        ratio: re[key].readyAfter.max / re.sqlite.readyAfter.max,
      }),
    );
    rows.push(
      row(`restore: SIGTERM → exit with ${RESTORE_SESSIONS} sessions, ${label}`, {
        figure: ms(re[key].sigtermMs),
        reference: ms(re.sqlite.sigtermMs),
        ratio: re[key].sigtermMs / re.sqlite.sigtermMs,
      }),
    );
  }
  notes.push(
    `Restore: ${RESTORE_SESSIONS} linked simulated sessions on a SQLite supervisor and on a one-node cluster (MAX_SESSIONS=${RESTORE_SESSIONS * 2}, LAUNCH_CONCURRENCY at its default), ` +
      'one after the other: set up, SIGTERMed, started again; time from the spawn to the latest `readyAt` (GET /sessions polled every 100 ms). ' +
      `First ready / median / last: SQLite ${spread(re.sqlite.readyAfter)}; PostgreSQL ${spread(re.postgres.readyAfter)}; first answer after the spawn: SQLite ${ms(re.sqlite.servingMs)}, PostgreSQL ${ms(re.postgres.servingMs)}. ` +
      'A cluster node does not restore in bulk: it claims the sessions nobody runs 4 at a time (cluster-node.ts), a batch right after the other, ' +
      'each started as it is claimed; SIGTERM hands them over 4 at a time.',
  );
}
for (const [part, message] of Object.entries(failures)) notes.push(`${part}: did not finish: ${message}`);
notes.push(
  `Load average (1, 5, 15 min) before → after each part: ${Object.entries(loads).map(([part, load]) => `${part} ${load.before} → ${load.after} (${load.seconds} s)`).join('; ')}.`,
);
const fenced = Object.entries(loads).filter(([, load]) => load.fences > 0 || load.retries > 0);
notes.push(
  fenced.length === 0
    ? 'No node missed its lease renewals (no fence in any log) and no set-up call had to be retried.'
    : `Nodes that missed their lease renewals and fenced themselves (killed their workers), from their logs, and set-up calls retried meanwhile: ` +
        `${fenced.map(([part, load]) => `${part} ${load.fences} fences, ${load.retries} retries`).join('; ')}.`,
);

emit({
  name: 'cluster',
  title: 'Cluster: failover, rolling restart, forwarding, events and restore on PostgreSQL',
  how:
    `Compiled server.js processes on 127.0.0.1 sharing one throwaway PostgreSQL ${postgres.version} server (initdb, PostgreSQL's durability defaults: fsync and synchronous_commit on), ` +
    `a database per part; each node with NODE_ID, PORT (NODE_URL http://127.0.0.1:PORT), LEASE_MS=${LEASE_MS}, API_KEY set (every request carries it), RATE_LIMIT=0, LOG_LEVEL=info (its default), ` +
    `simulated engine; NODE_EXTRA_CA_CERTS ${caBundle === undefined ? 'was not set' : 'unset for every process started'}. The parts run one after another, each with its own nodes; ` +
    'figures from one run, the load generator in the benchmark process on the same 2 cores. Details per part below.',
  rows,
  notes,
  raw: { measured, failures, loads, totalSeconds: (performance.now() - started) / 1000 },
});
if (Object.keys(failures).length > 0) process.exitCode = 1;
