import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for DynamoDB that answers only GetItem, with a response body recorded from moto,
 * after a fixed delay; anything else is a 400, so an unexpected write would fail the benchmark
 * instead of being absorbed.
 *
 * Why: the warm benchmark sends ~1,600 handler requests per second (32 in flight, 20 ms upstream),
 * each with a GetItem; moto answers GetItem one at a time in Python at a few hundred per second,
 * so it, not the handler, would set the pace. The benchmark measures moto's rate in the same run
 * and reports it next to the result.
 */
export class DynamoDbReplay {
  readonly url: string;
  #served = 0;

  private constructor(private readonly server: Server) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(getItemBody: string, delayMs: number): Promise<DynamoDbReplay> {
    const server = createServer({ keepAliveTimeout: 65_000 });
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const replay = new DynamoDbReplay(server);
    server.on('request', (req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.headers['x-amz-target'] !== 'DynamoDB_20120810.GetItem') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#ValidationException',
              message: `the benchmark's DynamoDB stand-in answers GetItem only`,
            }),
          );
          return;
        }
        setTimeout(() => {
          replay.#served += 1;
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(getItemBody);
        }, delayMs);
      });
    });
    return replay;
  }

  get served(): number {
    return this.#served;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
