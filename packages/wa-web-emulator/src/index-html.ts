/** The page served at `/`: the emulated WhatsApp Web is all in its module script. */
/** Where the page's files, event stream and reports live, out of the way of anything WhatsApp Web serves. */
export const PAGE_PREFIX = '/__emulator/page';

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>WhatsApp</title>
<style>body { font: 14px/1.5 monospace; margin: 2em; } pre { white-space: pre-wrap; word-break: break-all; }</style>
</head>
<body>
<pre id="emulator-status">WhatsApp Web emulator: loading…</pre>
<script type="module" src="${PAGE_PREFIX}/main.js"></script>
</body>
</html>
`;
