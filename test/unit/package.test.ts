import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Packages the stack exactly as a deploy would (offline: `serverless package`), then checks the
 * CloudFormation template: cfn-lint clean where cfn-lint is installed, one zip per function, the state
 * machine wired to this stack's functions only.
 */
const root = path.resolve(__dirname, '../..');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-package-'));
let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

beforeAll(() => {
  execFileSync(path.join(root, 'node_modules/.bin/serverless'), ['package', '--stage', 'ci', '--package', out], {
    cwd: root,
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDPACKAGE', AWS_SECRET_ACCESS_KEY: 'package', SLS_TELEMETRY_DISABLED: '1' },
    stdio: 'pipe',
  });
  template = JSON.parse(fs.readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 120_000);
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const cfnLint = spawnSync('cfn-lint', ['--version']).status === 0;

describe('packaged stack', () => {
  (cfnLint ? it : it.skip)('passes cfn-lint with no errors', () => {
    const run = spawnSync('cfn-lint', [path.join(out, 'cloudformation-template-update-stack.json')], { cwd: root, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('bundles each function on its own, for nodejs22.x on arm64', () => {
    const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBe(10);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fs.existsSync(path.join(out, fn.Properties.Code.S3Key.split('/').pop()))).toBe(true);
    }
  });

  it('lets the state machine invoke only this stack\'s functions', () => {
    const role = Object.values(template.Resources).find((r) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('states'));
    const statements = role!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const invoke = statements.filter((s: any) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invoke.length).toBeGreaterThan(0);
    for (const s of invoke) for (const r of [s.Resource].flat()) expect(JSON.stringify(r)).toMatch(/LambdaFunction/);
  });
});
