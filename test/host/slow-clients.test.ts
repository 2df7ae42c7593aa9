/**
 * Clients that stall: the local host drops a request whose headers or body do not arrive in time (a few
 * seconds for headers, tens for bodies by default; shorter here), and says so in one log line.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type FixtureHost } from './fixtures';

let fixture: FixtureHost;

beforeAll(async () => {
  fixture = await startFixture('http-routes', { headersTimeoutMs: 500, requestTimeoutMs: 1_500 });
});
afterAll(async () => fixture?.host.close());

/** Sends `text` and resolves with what the server sent back and how long until it closed the connection. */
function stall(text: string): Promise<{ reply: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(fixture.host.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(port), hostname, () => socket.write(text));
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ reply, closedAfterMs: Date.now() - started }));
    // A host that never drops the client fails the test instead of hanging it.
    setTimeout(() => socket.destroy(new Error('the host kept a stalled connection open')), 10_000).unref();
  });
}

describe('slow clients on the local host', () => {
  it('drops a client whose headers stall, within the headers timeout', async () => {
    const { reply, closedAfterMs } = await stall('GET /api/items/1 HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(4_000);
  });

  it('drops a client whose body stalls, within the request timeout, logging one line without a stack', async () => {
    const { reply, closedAfterMs } = await stall(
      'POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly part',
    );
    expect(reply === '' || /^HTTP\/1\.1 408/.test(reply)).toBe(true);
    expect(closedAfterMs).toBeLessThan(6_000);
    await expect
      .poll(() => fixture.logs.filter((line) => line.includes('dropped before its whole body arrived')))
      .toHaveLength(1);
    const dropped = fixture.logs.find((line) => line.includes('dropped before its whole body arrived'))!;
    expect(dropped).toMatch(/^.*POST \/api\/items dropped/);
    expect(dropped).not.toMatch(/\n\s+at /);
  });

  it('keeps answering others meanwhile', async () => {
    const stalled = stall('POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n1');
    const response = await fixture.fetch('/api/items/7');
    expect(response.status).toBe(200);
    await stalled;
  });
});
