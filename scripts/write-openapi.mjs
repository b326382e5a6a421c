#!/usr/bin/env node
// `pnpm openapi`: writes docs/openapi.json from the compiled supervisor (the script builds it first).
// apps/supervisor/test/openapi-document.test.ts fails while the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';

const { OPENAPI_DOCUMENT_PATH, renderOpenApiDocument } = await import('../apps/supervisor/dist/openapi-document.js');
const target = new URL(`../${OPENAPI_DOCUMENT_PATH}`, import.meta.url);
const document = await renderOpenApiDocument();
writeFileSync(target, document);
const { paths } = JSON.parse(document);
const operations = Object.values(paths).reduce((count, methods) => count + Object.keys(methods).length, 0);
process.stdout.write(`${OPENAPI_DOCUMENT_PATH}: ${operations} operations, ${document.length} bytes\n`);
