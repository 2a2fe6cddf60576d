import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BEGIN, END, diagramBlock, replaceBlock } from './diagram';
import { SIZES_BEGIN, SIZES_END, buildBundles, sizesTable } from './bundles';
import { EVENTS_SCHEMA_FILE, eventSchemaText } from './event-schema';
import { INPUT_SCHEMA_FILE, inputSchemaText } from './input-schema';
import { BEHAVIOURS_BEGIN, BEHAVIOURS_END, RELIABILITY_BEGIN, RELIABILITY_END, behavioursTable, reliabilityTable } from '../local/matrix';

/** `npm run docs`: regenerates the README's lifecycle diagram, bundle-size, reliability and behaviour tables, and the input JSON Schema. */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const readme = path.join(root, 'README.md');
  let text = fs.readFileSync(readme, 'utf8');
  text = replaceBlock(text, BEGIN, END, diagramBlock(root));
  const bundles = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
  try {
    text = replaceBlock(text, SIZES_BEGIN, SIZES_END, sizesTable(await buildBundles(root, bundles)));
  } finally {
    fs.rmSync(bundles, { recursive: true, force: true });
  }
  text = replaceBlock(text, RELIABILITY_BEGIN, RELIABILITY_END, reliabilityTable());
  text = replaceBlock(text, BEHAVIOURS_BEGIN, BEHAVIOURS_END, behavioursTable());
  fs.writeFileSync(readme, text);
  fs.writeFileSync(path.join(root, INPUT_SCHEMA_FILE), inputSchemaText());
  fs.writeFileSync(path.join(root, EVENTS_SCHEMA_FILE), eventSchemaText());
  process.stdout.write(`README.md: diagram, bundle sizes, reliability and behaviours tables updated; ${INPUT_SCHEMA_FILE} and ${EVENTS_SCHEMA_FILE} regenerated\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
