#!/usr/bin/env node
// Part of `pnpm start` and `pnpm test`: the webjs engine and its end-to-end tests need a Chromium on the
// machine (ensure-debian-package.mjs installs Debian's `chromium` where it may).
import { ensureDebianPackage, isExecutable } from './ensure-debian-package.mjs';

const candidates = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
].filter(Boolean);

ensureDebianPackage({
  label: 'chromium',
  pkg: 'chromium',
  locate: () => candidates.find(isExecutable),
  hint: 'No Chromium found. Install one (Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROMIUM_PATH.',
  seconds: 80,
});
