/**
 * The sign-in page that /docs and /dashboard send a browser to: one field for the API key, posted as JSON to
 * POST /auth/login, then back to the page named by `?next=` (the dashboard, a deep link in it, or /docs: nothing
 * else, so the page cannot be made to send a signed-in browser elsewhere), by default /docs. Plain HTML, nothing
 * from a CDN; its one script and one style are allowed by hash in its CSP.
 */
import { createHash } from 'node:crypto';

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#222}
input,button{font:inherit;padding:.4rem .6rem}input{width:100%;box-sizing:border-box;margin:.3rem 0 .8rem}
#status{min-height:1.5em;color:#a00}`;

const SCRIPT = `const form = document.getElementById('sign-in');
const next = new URLSearchParams(location.search).get('next') ?? '';
const target = /^\\/(dashboard|docs)([/?#]|$)/.test(next) ? next : '/docs';
const status = document.getElementById('status');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  status.textContent = '';
  const response = await fetch('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiKey: form.elements.apiKey.value }),
  });
  if (response.ok) location.assign(target);
  else status.textContent = response.status === 401 ? 'That is not the API key.' : 'Sign-in failed (' + response.status + ').';
});
document.getElementById('sign-out').addEventListener('click', async () => {
  await fetch('/auth/logout', { method: 'POST' });
  status.textContent = 'Signed out.';
});`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const SIGN_IN_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sign in · WhatsApp Session Manager</title>
<style>${STYLE}</style>
</head>
<body>
<h1>WhatsApp Session Manager</h1>
<form id="sign-in">
<label for="apiKey">API key</label>
<input id="apiKey" name="apiKey" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
<button type="button" id="sign-out">Sign out</button>
</form>
<p id="status" role="status"></p>
<script>${SCRIPT}</script>
</body>
</html>
`;

export const SIGN_IN_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
