/**
 * `npm run clock -- [status | advance <duration>] [--data-dir DIR]`: reads or moves the clock of the
 * `npm start` running on the data folder (its endpoints.json names the clock endpoint). Durations: `30d`,
 * `12h`, `90m`, `45s`, milliseconds. Durable timers that fall due (the access reminder, the expiry) fire at once.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from './clock-endpoint';
import { readRunningEndpoints } from './endpoints-file';

const usage = 'usage: npm run clock -- [status | advance <duration, e.g. 30d>] [--data-dir DIR]';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { 'data-dir': { type: 'string', default: path.resolve(__dirname, '..', '..', '.data') } },
    allowPositionals: true,
  });
  const [command = 'status', amount] = positionals;
  const clock = readRunningEndpoints(path.resolve(values['data-dir']))?.clock;
  if (clock === undefined) throw new Error(`No npm start is running on ${values['data-dir']}.\n${usage}`);
  let response: Response;
  if (command === 'status') {
    response = await fetch(clock);
  } else if (command === 'advance' && amount !== undefined && parseDuration(amount) !== undefined) {
    response = await fetch(clock, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance: amount }),
    });
  } else {
    throw new Error(usage);
  }
  const state = (await response.json()) as { now: string; offsetDays: number };
  if (!response.ok) throw new Error(JSON.stringify(state));
  console.log(`local clock: ${state.now} (${state.offsetDays} days ahead of real time)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
