import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * `npm run models`: copies the AWS service models the local cloud validates Chime requests against
 * (local/services/model-validation.ts) from the botocore installed for `python3`, byte for byte, with
 * botocore's LICENSE and NOTICE, and rewrites local/models/README.md and source.json for that release.
 * Only this script needs botocore; the local cloud and the tests that drive it read the copies.
 */
export const MODELS_DIR = path.resolve(__dirname, '../local/models');

/** The vendored models: file in local/models, botocore data path. */
export const VENDORED = [
  { file: 'chime-sdk-meetings-2021-07-15.json', data: 'chime-sdk-meetings/2021-07-15/service-2.json.gz' },
  { file: 'chime-sdk-media-pipelines-2021-07-15.json', data: 'chime-sdk-media-pipelines/2021-07-15/service-2.json.gz' },
] as const;

/**
 * The catalogue of operation and error names (local/models/operations.json): for every service the local
 * cloud serves, each operation of AWS's model with the error codes the model lists for it, as they go on
 * the wire (a shape's `error.code`, e.g. IAM's `NoSuchEntity`, else its name). `--inject` and the fault
 * checks read it (local/core/aws-names.ts); the whole models of these services are too big to vendor.
 * Keys are the local cloud's service names (local/services/*.ts `name`).
 */
export const CATALOGUED = [
  { service: 'meetings', title: 'Chime SDK Meetings', data: 'chime-sdk-meetings/2021-07-15/service-2.json.gz' },
  { service: 'media-pipelines', title: 'Chime SDK Media Pipelines', data: 'chime-sdk-media-pipelines/2021-07-15/service-2.json.gz' },
  { service: 'iam', title: 'IAM', data: 'iam/2010-05-08/service-2.json.gz' },
  { service: 'sts', title: 'STS', data: 'sts/2011-06-15/service-2.json.gz' },
  { service: 's3', title: 'S3', data: 's3/2006-03-01/service-2.json.gz' },
  { service: 'dynamodb', title: 'DynamoDB', data: 'dynamodb/2012-08-10/service-2.json.gz' },
  { service: 'states', title: 'Step Functions', data: 'stepfunctions/2016-11-23/service-2.json.gz' },
  { service: 'secretsmanager', title: 'Secrets Manager', data: 'secretsmanager/2017-10-17/service-2.json.gz' },
  { service: 'events', title: 'EventBridge', data: 'events/2015-10-07/service-2.json.gz' },
] as const;

export const CATALOGUE_FILE = 'operations.json';

export interface Catalogue {
  botocore: string;
  services: Record<string, { title: string; model: string; operations: Record<string, string[]> }>;
}

interface ServiceModel {
  operations: Record<string, { errors?: Array<{ shape: string }> }>;
  shapes: Record<string, { error?: { code?: string } }>;
}

/** The catalogue as the installed botocore's models give it. */
export function buildCatalogue(botocore: Botocore): Catalogue {
  const services: Catalogue['services'] = {};
  for (const c of CATALOGUED) {
    const model = JSON.parse(botocoreModel(botocore, c.data)) as ServiceModel;
    const operations: Record<string, string[]> = {};
    for (const [name, op] of Object.entries(model.operations).sort(([a], [b]) => a.localeCompare(b))) {
      operations[name] = (op.errors ?? []).map((e) => model.shapes[e.shape]?.error?.code ?? e.shape);
    }
    services[c.service] = { title: c.title, model: `botocore/data/${c.data}`, operations };
  }
  return { botocore: botocore.version, services };
}

export interface Botocore {
  version: string;
  /** The botocore package directory (its data/ holds the models). */
  dir: string;
  license?: string;
  notice?: string;
}

const PROBE = `
import importlib.metadata as md, json, os, botocore
dist = md.distribution('botocore')
def find(name):
    for f in dist.files or []:
        if f.name == name:
            p = str(dist.locate_file(f))
            if os.path.isfile(p):
                return p
    return None
print(json.dumps({'version': botocore.__version__, 'dir': os.path.dirname(botocore.__file__), 'license': find('LICENSE.txt'), 'notice': find('NOTICE')}))
`;

/** The botocore `python3` imports, or why there is none. */
export function findBotocore(): Botocore | { missing: string } {
  const run = spawnSync('python3', ['-c', PROBE], { encoding: 'utf8' });
  if (run.error) return { missing: `python3 could not be run (${run.error.message})` };
  if (run.status !== 0) return { missing: `python3 cannot import botocore (${run.stderr.trim().split('\n').pop() ?? `exit ${run.status}`})` };
  const found = JSON.parse(run.stdout) as { version: string; dir: string; license: string | null; notice: string | null };
  return { version: found.version, dir: found.dir, license: found.license ?? undefined, notice: found.notice ?? undefined };
}

/** A model's text exactly as botocore ships it (decompressed). */
export function botocoreModel(botocore: Botocore, data: string): string {
  return zlib.gunzipSync(fs.readFileSync(path.join(botocore.dir, 'data', data))).toString('utf8');
}

function readme(version: string): string {
  const rows = VENDORED.map((m) => `| \`${m.file}\` | \`botocore/data/${m.data}\` |`).join('\n');
  return `# AWS service models (vendored)

Generated by \`npm run models\`; do not edit.

The local cloud validates Chime SDK Meetings and Media Pipelines requests against these models
(\`local/services/model-validation.ts\`): every length, pattern, enum, range and required member it
enforces comes from them. They are AWS's published models as botocore ${version} ships them,
decompressed and otherwise byte for byte:

| file | copied from |
| --- | --- |
${rows}

\`${CATALOGUE_FILE}\` is derived, not copied: for each service the local cloud serves
(${CATALOGUED.map((c) => c.title).join(', ')}), every operation's name and the error codes its model
lists, as they go on the wire. Fault injection (\`--inject\`) checks names against it.

botocore (https://github.com/boto/botocore) is Copyright Amazon.com, Inc. or its affiliates and is
licensed under the Apache License, Version 2.0: see \`LICENSE\` and \`NOTICE\` in this directory, copied
from the same botocore release. The models are not modified.

To move to another botocore release: install it for \`python3\` (\`pip install botocore==X\`), run
\`npm run models\`, review the diff and run the tests (\`test/unit/local/models.test.ts\` checks that these
files are the installed botocore's, when that is the release recorded in \`source.json\`).
`;
}

function main(): number {
  const botocore = findBotocore();
  if ('missing' in botocore) {
    process.stderr.write(`npm run models needs botocore: ${botocore.missing}.\nInstall it for python3 (pip install botocore) and run again; nothing was changed.\n`);
    return 1;
  }
  if (!botocore.license || !botocore.notice) {
    process.stderr.write(`botocore ${botocore.version} at ${botocore.dir} has no LICENSE.txt or NOTICE in its package metadata; install it with pip (pip install botocore==${botocore.version}). Nothing was changed.\n`);
    return 1;
  }
  const texts = VENDORED.map((m) => ({ ...m, text: botocoreModel(botocore, m.data) }));
  for (const m of texts) JSON.parse(m.text); // refuse to vendor anything that is not JSON
  fs.mkdirSync(MODELS_DIR, { recursive: true });
  for (const m of texts) fs.writeFileSync(path.join(MODELS_DIR, m.file), m.text);
  fs.writeFileSync(path.join(MODELS_DIR, CATALOGUE_FILE), `${JSON.stringify(buildCatalogue(botocore), null, 1)}\n`);
  fs.copyFileSync(botocore.license, path.join(MODELS_DIR, 'LICENSE'));
  fs.copyFileSync(botocore.notice, path.join(MODELS_DIR, 'NOTICE'));
  const source = { botocore: botocore.version, models: Object.fromEntries(VENDORED.map((m) => [m.file, `botocore/data/${m.data}`])) };
  fs.writeFileSync(path.join(MODELS_DIR, 'source.json'), `${JSON.stringify(source, null, 2)}\n`);
  fs.writeFileSync(path.join(MODELS_DIR, 'README.md'), readme(botocore.version));
  process.stdout.write(`local/models: ${VENDORED.map((m) => m.file).join(', ')} and ${CATALOGUE_FILE} copied from botocore ${botocore.version} (${botocore.dir})\n`);
  return 0;
}

if (require.main === module) process.exit(main());
