// The image's HEALTHCHECK: healthy while GET /health answers 200 within 4 s, on the address the supervisor
// listens on (loopback when it listens on every address).
const host = process.env.HOST === undefined || process.env.HOST === '0.0.0.0' || process.env.HOST === '::' ? '127.0.0.1' : process.env.HOST;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${process.env.PORT ?? '3000'}/health`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
