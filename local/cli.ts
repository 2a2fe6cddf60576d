import './quiet';
import { parseArgs } from 'node:util';
import { CLOUD_HELP } from './cli-options';
import { LocalCloud } from './cloud';
import { parseBehaviourFlags } from './core/behaviours';

/**
 * `npm run cloud -- --port N`: the local cloud as a long-running server for the AWS CLI, SDK clients and
 * curl. It provisions the stack (table, buckets, state machine, rules) and prints `ready <endpoint>`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4566' },
      'data-dir': { type: 'string' },
      scale: { type: 'string', default: '1' },
      'lambda-threads': { type: 'string', default: '0' },
      behaviour: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${CLOUD_HELP}\n`);
    return;
  }
  const port = Number(values.port);
  const scale = Number(values.scale);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535; got "${values.port}"`);
  if (!(scale >= 1)) throw new Error(`--scale must be >= 1 (simulated ms per real ms); got "${values.scale}"`);
  const lambdaThreads = Number(values['lambda-threads']);
  if (!(Number.isInteger(lambdaThreads) && lambdaThreads >= 0)) throw new Error(`--lambda-threads must be a whole number >= 0 (worker threads for the Lambda handlers; 0 runs them in the cloud's thread); got "${values['lambda-threads']}"`);
  const behaviour = parseBehaviourFlags(values.behaviour);
  const cloud = await LocalCloud.start({ port, scale, dataDir: values['data-dir'], persistTables: true, lambdaThreads, behaviour });
  const deployment = await cloud.deploy();
  process.stdout.write(`state machine ${deployment.stateMachineArn}\nbuckets ${deployment.captureBucket}\napi ${deployment.apiUrl}/recordings\nready ${cloud.endpoint}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down\n`);
    cloud.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`local cloud failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
