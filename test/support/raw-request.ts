import http from 'node:http';
import https from 'node:https';

export interface RawRequestInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  readonly body?: string | Buffer;
  /** PEM of the CA an HTTPS server's certificate chains to (the local CA of the stand-ins). */
  readonly ca?: string;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/**
 * A request to `baseUrl`'s server with the request target sent exactly as given (fetch would normalise `..`,
 * `//` and the like, and cannot send what a client never would: stale signatures, repeated headers).
 */
export function rawRequest(baseUrl: string, target: string, init: RawRequestInit = {}): Promise<RawResponse> {
  const { protocol, hostname, port } = new URL(baseUrl);
  const send = protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const request = send(
      { hostname, port, path: target, method: init.method ?? 'GET', headers: init.headers, ca: init.ca },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });
}
