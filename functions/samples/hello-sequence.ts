import * as df from 'durable-functions';
import type { ActivityHandler, OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { z } from 'zod';
import { registerOrchestrationStarter } from './check-status';

/**
 * Sample: the "function chaining" pattern — an orchestrator calling one activity three times in sequence,
 * started over HTTP with the durable client. `POST /api/samples/hello-sequence` answers 202 with the status
 * URLs; the status URL shows the three greetings once the instance completes.
 */
export const sayHelloActivity = 'sampleSayHello';
export const helloSequenceOrchestrator = 'helloSequence';

const cityInput = z.string().min(1).max(100);

export const sayHello: ActivityHandler = (input: unknown): string => `Hello, ${cityInput.parse(input)}!`;

export const helloSequence: OrchestrationHandler = function* (context: OrchestrationContext) {
  const greetings: string[] = [];
  for (const city of ['Tokyo', 'Seattle', 'Cairo']) {
    greetings.push(yield context.df.callActivity(sayHelloActivity, city));
  }
  return greetings;
};

df.app.activity(sayHelloActivity, { handler: sayHello });
df.app.orchestration(helloSequenceOrchestrator, helloSequence);
registerOrchestrationStarter('startHelloSequence', 'samples/hello-sequence', helloSequenceOrchestrator, {
  auth: 'optional',
});
