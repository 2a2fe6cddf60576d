import fs from 'node:fs';
import path from 'node:path';
import { CATALOGUE_FILE, CATALOGUED, MODELS_DIR, VENDORED, botocoreModel, buildCatalogue, findBotocore, type Catalogue } from '../../../scripts/models';

/**
 * The AWS service models the local cloud validates Chime requests against (local/models) are botocore's,
 * unmodified: compared with the botocore installed for python3 when it is the release they were copied
 * from (source.json). Nothing but this test and `npm run models` needs botocore.
 */
const source = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, 'source.json'), 'utf8')) as { botocore: string; models: Record<string, string> };
const botocore = findBotocore();
const skip =
  'missing' in botocore
    ? `botocore is not installed for python3 (${botocore.missing})`
    : botocore.version !== source.botocore
      ? `python3 has botocore ${botocore.version}, the models were copied from ${source.botocore} (npm run models copies the installed release)`
      : undefined;

describe('vendored AWS service models (local/models)', () => {
  it('records where each model comes from', () => {
    expect(source.models).toEqual(Object.fromEntries(VENDORED.map((m) => [m.file, `botocore/data/${m.data}`])));
    const readme = fs.readFileSync(path.join(MODELS_DIR, 'README.md'), 'utf8');
    expect(readme).toContain(`botocore ${source.botocore}`);
    // Apache-2.0 section 4: the licence and botocore's NOTICE travel with the copies.
    expect(fs.readFileSync(path.join(MODELS_DIR, 'LICENSE'), 'utf8')).toContain('Apache License');
    expect(fs.readFileSync(path.join(MODELS_DIR, 'NOTICE'), 'utf8')).toMatch(/^Botocore\nCopyright .* Amazon\.com, Inc\. or its affiliates/);
  });

  if (skip) {
    it.skip(`are byte for byte the installed botocore's: skipped, ${skip}`, () => undefined);
  } else {
    it.each(VENDORED.map((m) => [m.file, m.data]))('%s is byte for byte the installed botocore\'s %s', (file, data) => {
      if ('missing' in botocore) throw new Error('unreachable');
      const vendored = fs.readFileSync(path.join(MODELS_DIR, file), 'utf8');
      const shipped = botocoreModel(botocore, data);
      expect(JSON.parse(vendored)).toEqual(JSON.parse(shipped));
      expect(vendored === shipped).toBe(true);
    });

    it(`${CATALOGUE_FILE} lists exactly the operations and errors of the installed botocore's models`, () => {
      if ('missing' in botocore) throw new Error('unreachable');
      const vendored = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, CATALOGUE_FILE), 'utf8')) as Catalogue;
      expect(vendored).toEqual(buildCatalogue(botocore));
      expect(Object.keys(vendored.services)).toEqual(CATALOGUED.map((c) => c.service));
    });
  }
});
