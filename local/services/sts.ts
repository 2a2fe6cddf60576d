import type { CloudContext } from '../core/context';
import { queryError, queryParams, queryResponse } from '../core/query-protocol';
import type { LocalRequest, LocalResponse, Service, ServiceError } from '../core/service';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * STS GetCallerIdentity: the first call of the AWS CLI's `sts get-caller-identity`, the CDK and the
 * Serverless Framework. The local cloud checks no credentials, so every caller is the local account's
 * root user: Arn `arn:aws:iam::<account>:root` and UserId the account ID, as AWS answers root
 * credentials (STS API reference, GetCallerIdentity; IAM user guide, "aws:userid" for the root user).
 */
export class StsService implements Service {
  readonly name = 'sts';
  readonly signingNames = ['sts'] as const;

  constructor(private readonly ctx: CloudContext) {}

  operation(req: LocalRequest): string | undefined {
    return queryParams(req).get('Action') === 'GetCallerIdentity' ? 'GetCallerIdentity' : undefined;
  }

  async handle(operation: string): Promise<LocalResponse> {
    const { account } = this.ctx;
    return queryResponse(NAMESPACE, operation, { Arn: `arn:aws:iam::${account}:root`, UserId: account, Account: account });
  }

  errorResponse(err: ServiceError): LocalResponse {
    return queryError(NAMESPACE, err);
  }
}
