/**
 * The cold-start floor of this design, under issue #11's rule that
 * @aws-sdk/client-secrets-manager stays: the AK/SK read with it (as our handler and the SDK jobs
 * do), then the two requests every observation needs and nothing else: the ShowConnectorTask GET
 * signed with lib/huawei/signer.ts and, after its answer, the consistent GetItem of the task's
 * stored status signed with lib/aws/sigv4.ts, both over node:http. Bundled like our functions and
 * required by first-invocation.ts.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { request } from 'node:http';
import { signSigV4 } from '../../lib/aws/sigv4';
import { signRequest } from '../../lib/huawei/signer';
import type { FloorJobInput, SdkJobOutput } from './protocol';

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number | undefined; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<
            string,
            unknown
          >;
          resolve({ status: res.statusCode, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function run(input: FloorJobInput): Promise<SdkJobOutput> {
  const secret = await new SecretsManagerClient({}).send(
    new GetSecretValueCommand({ SecretId: input.secretId }),
  );
  const { ak, sk } = JSON.parse(secret.SecretString ?? '{}') as { ak: string; sk: string };

  const upstream = new URL(
    `/v2/${input.projectId}/instances/${input.instanceId}/connector/tasks/${input.taskId}`,
    input.endpoint,
  );
  const upstreamHeaders = signRequest(
    {
      method: 'GET',
      path: upstream.pathname,
      headers: {
        host: upstream.host,
        'content-type': 'application/json',
        'x-project-id': input.projectId,
      },
    },
    { accessKeyId: ak, secretAccessKey: sk },
    new Date(),
  );
  const task = await send(upstream, 'GET', upstreamHeaders);

  const dynamoDb = new URL('/', input.dynamoDbEndpoint);
  const body = JSON.stringify({
    TableName: input.tableName,
    Key: { pk: { S: input.statusKey } },
    ConsistentRead: true,
    ProjectionExpression: 'pk, #status, #version, taskName, observedAt, lookedAt',
    ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
  });
  const itemHeaders = signSigV4(
    {
      method: 'POST',
      path: '/',
      headers: {
        host: dynamoDb.host,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
      },
      body,
    },
    {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
    { region: process.env.AWS_REGION ?? '', service: 'dynamodb' },
    new Date(),
  );
  itemHeaders['content-length'] = String(Buffer.byteLength(body));
  const stored = await send(dynamoDb, 'POST', itemHeaders, body);
  if (stored.status !== 200 || stored.json.Item === undefined) {
    throw new Error(`GetItem: HTTP ${stored.status}`);
  }
  return {
    httpStatusCode: task.status,
    id: typeof task.json.id === 'string' ? task.json.id : undefined,
    status: typeof task.json.status === 'string' ? task.json.status : undefined,
  };
}
