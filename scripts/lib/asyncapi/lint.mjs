// Lints an AsyncAPI document with AsyncAPI's own parser: the document against the AsyncAPI
// schema of its version, every referenced message payload schema resolved (local files) and
// validated, and the parser's Spectral rules. Fails on any error or warning; prints the rest.
//
//   node scripts/lib/asyncapi/lint.mjs schemas/asyncapi.yaml   (run by scripts/lib/asyncapi.sh)

import { Parser, fromFile } from '@asyncapi/parser';

const SEVERITY = ['error', 'warning', 'info', 'hint'];

const file = process.argv[2];
if (!file) {
  console.error('usage: lint.mjs <asyncapi document>');
  process.exit(2);
}

const { document, diagnostics } = await fromFile(new Parser(), file).parse();
let failed = !document;
for (const d of diagnostics) {
  const severity = SEVERITY[d.severity] ?? String(d.severity);
  const where = (d.path ?? []).join('.') || '(document)';
  console.log(`asyncapi: ${severity} ${d.code} at ${where}: ${d.message}`);
  if (d.severity <= 1) failed = true;
}
if (failed) {
  console.error(`asyncapi: ${file} does not lint`);
  process.exit(1);
}
const channels = document.channels().length;
const messages = document.allMessages().length;
console.log(
  `asyncapi: ${file} is valid AsyncAPI ${document.version()}: ${channels} channels, ${messages} messages, every payload schema resolved`,
);
