/**
 * The comparison job: the same first request made with Huawei's official Node SDK
 * (@huaweicloud/huaweicloud-sdk-kafka), reading the AK/SK from Secrets Manager first, as our
 * handler does. Required by first-invocation.ts, either from node_modules or bundled.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { KafkaClient, ShowConnectorTaskRequest } from '@huaweicloud/huaweicloud-sdk-kafka';
import type { SdkJobInput, SdkJobOutput } from './protocol';

export async function run(input: SdkJobInput): Promise<SdkJobOutput> {
  const secret = await new SecretsManagerClient({}).send(
    new GetSecretValueCommand({ SecretId: input.secretId }),
  );
  const { ak, sk } = JSON.parse(secret.SecretString ?? '{}') as { ak: string; sk: string };
  const client = KafkaClient.newBuilder()
    .withCredential(new BasicCredentials().withAk(ak).withSk(sk).withProjectId(input.projectId))
    .withEndpoint(input.endpoint)
    .build();
  const response = await client.showConnectorTask(
    new ShowConnectorTaskRequest().withInstanceId(input.instanceId).withTaskId(input.taskId),
  );
  return { httpStatusCode: response.httpStatusCode, id: response.id, status: response.status };
}
