import { dynamodb } from './dynamodb';
import { iam } from './iam';
import { mediaPipelines } from './media-pipelines';
import { meetings } from './meetings';
import { s3 } from './s3';
import { secretsManager } from './secrets-manager';
import { sfn } from './sfn';

/**
 * The registry: every AWS SDK client the functions use, each created once per Lambda container in its
 * own file (a function imports only the files it needs, so its bundle holds only those clients). The
 * local cloud configures these and no others: a client made anywhere else reaches it at an address it
 * refuses, loudly (local/lambda.ts).
 */
export const sdkClients = { dynamodb, iam, mediaPipelines, meetings, s3, secretsManager, sfn };
