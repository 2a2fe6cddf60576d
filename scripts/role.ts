import '../local/quiet';
import { parseArgs } from 'node:util';
import { IAMClient } from '@aws-sdk/client-iam';
import { ROLE_NAME, SERVICE_NAME, deleteRole, ensureRole, getRole, setDescription } from '../functions/lib/service-linked-role';

/**
 * Administers the media pipelines service-linked role (seed: "Using roles with Amazon Chime SDK media
 * pipelines"): status | ensure | set-description TEXT | delete. It talks to whatever endpoint the AWS SDK
 * is configured for (AWS_PROFILE/AWS_REGION, or AWS_ENDPOINT_URL for the local cloud).
 */
const USAGE = `usage: npm run role -- <command> [--json]
  status                 show the role (or that it does not exist)
  ensure                 create the role when missing
  set-description TEXT   change the role's description (its name cannot change)
  delete [--poll-ms N] [--max-polls N]
                         delete the role and wait for the deletion task; on FAILED print why and what still uses it`;

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, 'poll-ms': { type: 'string', default: '1000' }, 'max-polls': { type: 'string', default: '60' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  const print = (human: string, data: unknown) => out(values.json ? JSON.stringify(data) : human);
  if (values.help || !command) {
    out(USAGE);
    return command || values.help ? 0 : 2;
  }
  const iam = new IAMClient({});
  try {
    switch (command) {
      case 'status': {
        const role = await getRole(iam);
        if (!role) {
          print(`${ROLE_NAME} does not exist. Create it with: npm run role -- ensure`, { exists: false, roleName: ROLE_NAME });
          return 1;
        }
        print(`${role.RoleName}\n  arn:         ${role.Arn}\n  path:        ${role.Path}\n  created:     ${role.CreateDate?.toISOString()}\n  description: ${role.Description ?? '(none)'}\n  trusted:     ${SERVICE_NAME}`, { exists: true, role });
        return 0;
      }
      case 'ensure': {
        const ensured = await ensureRole(iam);
        print(`${ensured.fresh ? 'Created' : 'Already present:'} ${ensured.roleArn}`, ensured);
        return 0;
      }
      case 'set-description': {
        const text = rest.join(' ');
        if (!text) {
          out('set-description needs the new description: npm run role -- set-description "Lets Chime SDK media pipelines join our meetings"');
          return 2;
        }
        const role = await setDescription(iam, text);
        print(`Description of ${ROLE_NAME} is now: ${role?.Description ?? text}`, { role });
        return 0;
      }
      case 'delete': {
        const pollMs = Number(values['poll-ms']);
        const maxPolls = Number(values['max-polls']);
        if (!(pollMs >= 0) || !(maxPolls >= 1)) {
          out('--poll-ms must be >= 0 and --max-polls >= 1');
          return 2;
        }
        const outcome = await deleteRole(iam, { pollMs, maxPolls });
        const usage = (outcome.roleUsage ?? []).map((u) => `\n  ${u.region}: ${u.resources.join(', ')}`).join('');
        const human =
          outcome.status === 'SUCCEEDED'
            ? `Deleted ${ROLE_NAME} (task ${outcome.deletionTaskId}).`
            : outcome.status === 'FAILED'
              ? `Deletion FAILED: ${outcome.reason ?? 'no reason given'}${usage ? `\nStill in use by:${usage}` : ''}\nStop those media pipelines, then try again.`
              : `Deletion still ${outcome.status} after ${maxPolls} polls (task ${outcome.deletionTaskId}); check again with the AWS CLI: aws iam get-service-linked-role-deletion-status --deletion-task-id ${outcome.deletionTaskId}`;
        print(human, outcome);
        return outcome.status === 'SUCCEEDED' ? 0 : 1;
      }
      default:
        out(`unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    const e = err as Error;
    out(`${command} failed: ${e.name}: ${e.message}`);
    return 1;
  } finally {
    iam.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
