import fs from 'node:fs';
import path from 'node:path';
import { stackRegions } from '../../functions/lib/regions.json';
import { BEGIN, END, diagramBlock } from '../../scripts/diagram';

const root = path.resolve(__dirname, '../..');

describe('README', () => {
  it('carries the lifecycle diagram generated from the current ASL (run `npm run docs` after changing it)', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const current = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
    expect(current).toBe(diagramBlock(root));
  });

  it('documents the two commands that set everything up', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toBeTruthy();
    expect(pkg.scripts.test).toContain('tsc --noEmit');
    expect(fs.readFileSync(path.join(root, '.ci/run'), 'utf8')).toMatch(/npm ci[\s\S]*npm test/);
  });

  it('has a deploy checklist: regions, quotas, bucket policies and event delivery, each with an AWS CLI command to check it', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Deploy checklist'), readme.indexOf('\n## ', readme.indexOf('### Deploy checklist')));
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| must be true'));
    for (const topic of [/region/i, /quota|active media pipelines/i, /bucket.*policy/i, /events?\b.*event bus/i]) expect(rows.some((r) => topic.test(r))).toBe(true);
    for (const row of rows) expect({ row, check: /`aws [a-z0-9-]+ [a-z-]+/.test(row.split(' | ')[1] ?? '') }).toEqual({ row, check: true });
    // The regions it names are the ones the region guard lets through.
    const where = readme.slice(readme.indexOf('**Where it runs.**'), readme.indexOf('**AWS GovCloud (US)**'));
    expect(stackRegions.filter((r) => !where.includes(r))).toEqual([]);
  });
});
