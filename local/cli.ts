import './quiet';
import { parseArgs } from 'node:util';
import { CLOUD_HELP, checkEventFlags, faultsFromFlags } from './cli-options';
import { logActivity } from './cloud-log';
import { LocalCloud } from './cloud';
import { parseBehaviourFlags } from './core/behaviours';

/**
 * `npm run cloud -- --port N`: the local cloud as a long-running server for the AWS CLI, SDK clients and
 * curl, with its read-only web console at `/` (local/console). It provisions the stack (table, buckets,
 * state machine, rules) and prints `ready <endpoint>`.
 */
function parseOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4566' },
      'data-dir': { type: 'string' },
      scale: { type: 'string', default: '1' },
      'lambda-threads': { type: 'string', default: '0' },
      behaviour: { type: 'string', multiple: true, default: [] },
      inject: { type: 'string', multiple: true, default: [] },
      'drop-event': { type: 'string', multiple: true, default: [] },
      'duplicate-event': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const port = Number(values.port);
  const scale = Number(values.scale);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535; got "${values.port}"`);
  if (!(scale >= 1)) throw new Error(`--scale must be >= 1 (simulated ms per real ms); got "${values.scale}"`);
  const lambdaThreads = Number(values['lambda-threads']);
  if (!(Number.isInteger(lambdaThreads) && lambdaThreads >= 0)) throw new Error(`--lambda-threads must be a whole number >= 0 (worker threads for the Lambda handlers; 0 runs them in the cloud's thread); got "${values['lambda-threads']}"`);
  const behaviour = parseBehaviourFlags(values.behaviour);
  const faults = faultsFromFlags(values.inject);
  checkEventFlags('--drop-event', values['drop-event']);
  checkEventFlags('--duplicate-event', values['duplicate-event']);
  return { port, scale, lambdaThreads, behaviour, faults, dataDir: values['data-dir'], dropEvents: values['drop-event'], duplicateEvents: values['duplicate-event'] };
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions();
  } catch (err) {
    // A bad option, as for npm start: exit 2, naming it.
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  if (!options) {
    process.stdout.write(`${CLOUD_HELP}\n`);
    return;
  }
  const { port, scale, lambdaThreads, behaviour, dataDir } = options;
  // Executions live in this process only, so the recordings table does too: a restart starts both empty,
  // and the API never joins a new execution to an old recording's item (S3 objects and IAM roles stay).
  const cloud = await LocalCloud.start({ port, scale, dataDir, lambdaThreads, behaviour, schedules: true });
  for (const fault of options.faults) cloud.router.faults.add(fault);
  for (const t of options.dropEvents) cloud.bus.addFault({ eventType: t, action: 'drop' });
  for (const t of options.duplicateEvents) cloud.bus.addFault({ eventType: t, action: 'duplicate', times: 3 });
  logActivity(cloud, (line) => process.stdout.write(`${line}\n`));
  const deployment = await cloud.deploy();
  process.stdout.write(`state machine ${deployment.stateMachineArn}\nbuckets ${deployment.captureBucket}\napi ${deployment.apiUrl}/recordings\nconsole ${cloud.consoleUrl}\n`);
  process.stdout.write(`state: executions and the recordings table start empty and last until this process ends; S3 objects and IAM roles are kept under ${cloud.ctx.dataDir}\n`);
  process.stdout.write(`ready ${cloud.endpoint}\n`);
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${why}: shutting down\n`);
    cloud.close().then(() => process.exit(0), () => process.exit(1));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  // npm runs the script through sh, and a signal to npm (kill $! on a backgrounded npm run cloud) ends
  // npm and the shell but not this process, which is then re-parented: its starter is gone, so it stops.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && stop(`the process that started it (${parent}) ended`), 500).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`local cloud failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
