import fs from 'node:fs';
import path from 'node:path';
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
});
