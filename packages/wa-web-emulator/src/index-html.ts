/** The page served at `/`: the emulated WhatsApp Web is all in its module script. */
/** Where the page's files, event stream and reports live, out of the way of anything WhatsApp Web serves. */
export const PAGE_PREFIX = '/__emulator/page';

/**
 * The index page of WhatsApp Web `version`. The version is written into the page, as each real WhatsApp Web
 * build's index names its own bundles: a copy saved by whatsapp-web.js's web version cache keeps running the
 * version it was saved as, whatever the emulator serves at `/` by then. Its URLs are relative to the host, so
 * a saved copy works against any emulator.
 */
export const indexHtml = (version: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="wa-web-emulator-version" content="${version}">
<title>WhatsApp</title>
<style>body { font: 14px/1.5 monospace; margin: 2em; } pre { white-space: pre-wrap; word-break: break-all; }</style>
</head>
<body>
<pre id="emulator-status">WhatsApp Web emulator: loading…</pre>
<script type="module" src="${PAGE_PREFIX}/main.js"></script>
</body>
</html>
`;
