/**
 * The local host's clock endpoint, `/runtime/local/clock` (never part of the function app: a host extension
 * like the Durable engine's API, on `npm start` only): `GET` answers the clock's time and offset; `POST` with
 * `{"advance": "30d"}` (or milliseconds) moves it forward. `npm run clock` calls it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AdjustableClock } from './clock';
import type { HostExtension } from './host/extension';

export const clockPath = '/runtime/local/clock';

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** `30d`, `12h`, `90m`, `1.5d` or plain milliseconds, as milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (match === null) return undefined;
  const ms = Number(match[1]) * units[match[2] ?? 'ms']!;
  return Number.isFinite(ms) && ms <= 100 * 365 * units.d! ? Math.round(ms) : undefined;
}

const advanceSchema = z.strictObject({
  advance: z.union([z.number().int().min(0), z.string()]).transform((value, context) => {
    const ms = typeof value === 'number' ? value : parseDuration(value);
    if (ms === undefined)
      context.addIssue({ code: 'custom', message: 'is not a duration like 30d, 12h or 5000' });
    return ms ?? 0;
  }),
});

export function clockEndpoint(clock: AdjustableClock): HostExtension {
  const answer = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const state = () => ({
    now: new Date(clock.now()).toISOString(),
    realNow: new Date().toISOString(),
    offsetMs: clock.offset,
    offsetDays: Math.round((clock.offset / units.d!) * 1000) / 1000,
  });
  return {
    name: 'local clock',
    triggerTypes: [],
    httpPathPrefixes: [clockPath],
    handleHttp(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
      if (request.method === 'GET') answer(response, 200, state());
      else if (request.method === 'POST') {
        let parsed;
        try {
          parsed = advanceSchema.safeParse(JSON.parse(body.toString('utf8') || '{}'));
        } catch {
          parsed = undefined;
        }
        if (parsed?.success !== true) answer(response, 400, { error: 'expected {"advance": "30d"}' });
        else {
          clock.advance(parsed.data.advance);
          answer(response, 200, state());
        }
      } else answer(response, 405, { error: 'GET or POST' });
      return Promise.resolve();
    },
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}
