import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { PACKAGE_TIMEOUT_MS, ROOT, packageStack, type PackagedStack } from '../fixtures/stack';

/**
 * Packages the stack exactly as a deploy would (offline: `serverless package`) and checks the bundles:
 * one zip per function, for the runtime and architecture the stack declares. The template itself
 * (roles, buckets, logging, cfn-lint) is checked by template.test.ts.
 */
let stack: PackagedStack;

beforeAll(() => {
  stack = packageStack();
}, PACKAGE_TIMEOUT_MS);
afterAll(() => stack?.remove());

describe('packaged stack', () => {
  it('bundles each function on its own, for nodejs22.x on arm64', () => {
    const functions = Object.entries(stack.template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const declared = Object.keys(YAML.parse(fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')).functions);
    expect(functions.length).toBe(declared.length);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fs.existsSync(path.join(stack.dir, fn.Properties.Code.S3Key.split('/').pop()))).toBe(true);
    }
  });
});
