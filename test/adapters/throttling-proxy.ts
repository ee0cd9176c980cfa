import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of moto that answers the first `throttleCount` requests with a
 * throttling error, as AWS does under load, then forwards everything. Moto never throttles, and the
 * SDK's retry of throttling is what the adapters rely on.
 */
export class ThrottlingProxy {
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly counts: { throttled: number; forwarded: number },
  ) {}

  /** Requests answered with a throttling error. */
  get throttled(): number {
    return this.counts.throttled;
  }

  /** Requests passed on to the server. */
  get forwarded(): number {
    return this.counts.forwarded;
  }

  static async start(target: string, throttleCount: number, style: 'json' | 'xml'): Promise<ThrottlingProxy> {
    const upstream = new URL(target);
    const counts = { throttled: 0, forwarded: 0 };
    const server = createServer((req, res) => {
      if (counts.throttled < throttleCount) {
        counts.throttled++;
        req.resume();
        if (style === 'json') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException' });
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        } else {
          res.writeHead(503, { 'content-type': 'application/xml' });
          res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
        }
        return;
      }
      counts.forwarded++;
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new ThrottlingProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}
