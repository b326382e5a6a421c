import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonClient, mapLimit } from './lib/http.mjs';
import { startSupervisor } from './lib/supervisor-process.mjs';
import { startReceiver } from './lib/webhook-receiver.mjs';
import { openLoop } from './lib/open-loop.mjs';
delete process.env.NODE_EXTRA_CA_CERTS;
const API_KEY = 'bench-events-key-0123456789abcdef'; const AUTH = { 'x-api-key': API_KEY };
const dir = mkdtempSync(join(tmpdir(), 'wsm-tl-'));
const receiver = await startReceiver();
const ids = Array.from({ length: 10 }, (_, i) => `events-${i}`);
const supervisor = await startSupervisor({ dataDir: join(dir, 'data'), env: { API_KEY }, profileDir: process.env.TL_PROFILE });
const setup = jsonClient(supervisor.base, { maxSockets: 8, headers: AUTH });
await mapLimit(ids, 4, (sessionId) => setup.call('POST', '/sessions', { sessionId, engine: 'simulated', webhooks: [{ url: `${receiver.url}/${sessionId}` }] }));
for (const sessionId of ids) for (let t = 0; (await setup.request('POST', `/sessions/${sessionId}/simulate/scan`)).status !== 200; t++) await new Promise((r) => setTimeout(r, 10));
const client = jsonClient(supervisor.base, { maxSockets: 64, headers: AUTH });
const sentAt = new Map(); const answeredAt = new Map();
for (const [label, seconds] of [['warm', 3], ['run', Number(process.argv[2] ?? 15)]]) {
  sentAt.clear(); answeredAt.clear();
  const load = openLoop({ rate: 1000, durationMs: seconds * 1000, send: (i, at) => { const token = `${label}-${i}`; sentAt.set(token, at); return client.request('POST', `/sessions/${ids[i % 10]}/simulate/inbound`, { from: '15550002222@c.us', text: token }).then(() => answeredAt.set(token, performance.now())); } });
  await load.done; await load.finish();
  await receiver.waitFor([...sentAt.keys()], 30000);
}
const start = Math.min(...sentAt.values());
const buckets = new Map();
for (const [token, at] of sentAt) {
  const b = Math.floor((at - start) / 250);
  const lat = receiver.arrivals.get(token) - at; const ans = answeredAt.get(token) - at;
  const e = buckets.get(b) ?? { n: 0, max: 0, sum: 0, ansMax: 0 }; e.n++; e.max = Math.max(e.max, lat); e.sum += lat; e.ansMax = Math.max(e.ansMax, ans); buckets.set(b, e);
}
const all = [...sentAt].map(([t, at]) => receiver.arrivals.get(t) - at).sort((a, b) => a - b);
console.log('p50', all[Math.floor(all.length * 0.5)].toFixed(1), 'p99', all[Math.floor(all.length * 0.99)].toFixed(1), 'max', all.at(-1).toFixed(1));
console.log([...buckets].map(([b, e]) => `${(b / 4).toFixed(2)}s max ${e.max.toFixed(0)} mean ${(e.sum / e.n).toFixed(0)} ans ${e.ansMax.toFixed(0)}`).filter((l, i, a) => true).join('\n'));
client.close(); setup.close();
await supervisor.stop(); await receiver.close();
