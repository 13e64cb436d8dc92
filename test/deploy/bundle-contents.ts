import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A string each package's code carries and nothing else bundled does (string literals survive
 * minification): finding it in a zip's JavaScript means the package was bundled into it.
 */
export const PACKAGE_MARKERS: Readonly<Record<string, string>> = {
  'aws-xray-sdk-core': 'AWS_XRAY_CONTEXT_MISSING',
  '@aws-lambda-powertools/tracer': 'POWERTOOLS_TRACER_CAPTURE_RESPONSE',
  // The EventBridge API's XML namespace, in the client's configuration.
  '@aws-sdk/client-eventbridge': 'http://events.amazonaws.com/doc/2015-10-07',
  // Our lean client speaks DynamoDB too, but never names the API's XML namespace.
  '@aws-sdk/client-dynamodb': 'http://dynamodb.amazonaws.com/doc/2012-08-10',
  // The SDK's default credential chain, replaced in the bundles by an environment-only provider.
  '@aws-sdk/credential-provider-node': 'defaultProvider::fromSSO',
};

/** The JavaScript of every file in a zip, concatenated. */
function javaScriptIn(zip: string): string {
  const result = spawnSync('unzip', ['-p', zip, '*.js'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error || result.status !== 0) {
    throw new Error(`unzip -p ${zip} failed: ${result.error?.message ?? result.stderr}`);
  }
  return result.stdout;
}

/** Which of PACKAGE_MARKERS' packages a zip's JavaScript carries, sorted. */
export function markedPackagesIn(zip: string): string[] {
  const code = javaScriptIn(zip);
  return Object.entries(PACKAGE_MARKERS)
    .filter(([, marker]) => code.includes(marker))
    .map(([name]) => name)
    .sort();
}

/**
 * Packaging a layer makes the framework ask CloudFormation whether the stack already holds the
 * same layer (DescribeStacks). This answers as CloudFormation does for a stack never deployed, so
 * that packaging stays offline; point AWS_ENDPOINT_URL_CLOUDFORMATION at `url`.
 */
export async function startStacklessCloudFormation(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(400, { 'content-type': 'text/xml' });
      response.end(
        '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error>' +
          '<Type>Sender</Type><Code>ValidationError</Code>' +
          '<Message>Stack with id huawei-dms-connector-status-ci does not exist</Message>' +
          '</Error><RequestId>deploy-test</RequestId></ErrorResponse>',
      );
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
