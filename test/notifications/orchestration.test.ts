/**
 * Mails from an orchestration, on the whole local system (the built app, the Durable engine on a virtual
 * clock, the ACS Email stand-in with its fault switches): a send that fails or stalls is retried under the
 * same operation id, so the requester gets exactly one mail; one that never succeeds is recorded and the
 * orchestration still completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../infra/local/clock';
import { startLocalEnvironment, type LocalEnvironment } from '../../infra/local/environment';
import { parseSettings } from '../../shared/config/settings';
import { notificationOrchestration } from '../../shared/notifications/activities';
import { notificationOperationId } from '../../shared/notifications/domain/operation-id';
import { notificationSchema, type NotificationInput } from '../../shared/notifications/model';
import { createCosmosClient } from '../../shared/platform/cosmos';
import { CosmosTimelineStore } from '../../shared/requests/adapters/cosmos-timeline-store';
import { durableDriver, type DurableDriver } from '../durable/support';

let environment: LocalEnvironment;
let durable: DurableDriver;
let timeline: CosmosTimelineStore;
const logs: string[] = [];

beforeAll(async () => {
  const clock = new VirtualClock(Date.parse('2030-01-01T00:00:00Z'));
  environment = await startLocalEnvironment({
    freePorts: true,
    clock,
    // A stalled send is abandoned after a second of real time, not a minute.
    settings: { Email__sendTimeoutSeconds: '1' },
    log: (line) => logs.push(line),
  });
  durable = durableDriver(environment.host.url, clock);
  const settings = parseSettings(environment.appSettings);
  timeline = new CosmosTimelineStore(createCosmosClient(settings).database(settings.CosmosDb__databaseName));
});

/** The notification events on the request's timeline (`requestEvents`), as the dashboard will show them. */
async function notificationEvents(requestId: string) {
  return (await timeline.read(requestId)).map(({ type, details }) => ({ type, details }));
}

afterAll(async () => {
  await environment?.close();
});

function submitted(requestId: string): NotificationInput {
  return {
    event: 'request_submitted',
    requestId,
    projectName: 'Osteosarcoma relapse',
    recipients: [{ address: `${requestId}@example.org`, displayName: 'Ada Lovelace' }],
  };
}

/** Runs the notification orchestration to its end, moving the virtual clock through the retry delays. */
async function runToEnd(notification: NotificationInput) {
  const id = await durable.start(notificationOrchestration, notification);
  return durable.waitFor(id, ['Completed', 'Failed'], { advanceMs: 60_000, timeoutMs: 60_000 });
}

function mailsTo(address: string) {
  return environment.standIns.acsEmail.outbox
    .list()
    .filter((message) => message.to.some((to) => to.address === address));
}

describe('notification orchestration', () => {
  it('sends once through the stand-in and says so', async () => {
    const notification = submitted('req-plain');
    const done = await runToEnd(notification);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { sent: true } });
    const [mail, ...others] = mailsTo('req-plain@example.org');
    expect(others).toEqual([]);
    expect(mail?.subject).toContain('Osteosarcoma relapse');
    expect(mail?.from).toBe('DoNotReply@notifications.localhost');
    expect(await notificationEvents('req-plain')).toEqual([
      {
        type: 'notification.sent',
        details: expect.objectContaining({ event: 'request_submitted', subject: mail?.subject }),
      },
    ]);
  });

  it('retries a send that fails twice and delivers exactly one mail', async () => {
    const notification = submitted('req-flaky');
    const operationId = notificationOperationId(notificationSchema.parse(notification));
    environment.standIns.acsEmail.setFault({ kind: 'fail', times: 2 });
    const done = await runToEnd(notification);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { sent: true } });
    expect(environment.standIns.acsEmail.sendAttempts(operationId)).toBe(3);
    expect(mailsTo('req-flaky@example.org')).toHaveLength(1);
    expect((await notificationEvents('req-flaky')).map(({ type }) => type)).toEqual(['notification.sent']);
  });

  it('abandons a stalled send after the timeout and the retry delivers it once', async () => {
    const notification = submitted('req-stalled');
    const operationId = notificationOperationId(notificationSchema.parse(notification));
    environment.standIns.acsEmail.setFault({ kind: 'stall', times: 1 });
    const done = await runToEnd(notification);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { sent: true } });
    expect(environment.standIns.acsEmail.sendAttempts(operationId)).toBe(2);
    expect(mailsTo('req-stalled@example.org')).toHaveLength(1);
  });

  it('after five failed attempts records the failure and completes instead of failing', async () => {
    const notification = submitted('req-down');
    const operationId = notificationOperationId(notificationSchema.parse(notification));
    environment.standIns.acsEmail.setFault({ kind: 'fail' });
    try {
      const done = await runToEnd(notification);
      expect(done).toMatchObject({
        runtimeStatus: 'Completed',
        output: { sent: false, reason: expect.stringContaining(operationId) },
      });
      // The reason is the service's message, without the activity's stack trace.
      expect((done.output as { reason: string }).reason).not.toContain('\n');
    } finally {
      environment.standIns.acsEmail.setFault(undefined);
    }
    expect(environment.standIns.acsEmail.sendAttempts(operationId)).toBe(5);
    expect(mailsTo('req-down@example.org')).toEqual([]);
    expect(await notificationEvents('req-down')).toEqual([
      {
        type: 'notification.failed',
        details: expect.objectContaining({
          operationId,
          reason: expect.stringContaining('EmailDeliveryFailed'),
        }),
      },
    ]);
  });

  it('fails an instance started with something that is not a notification, naming the field', async () => {
    const done = await runToEnd({ ...submitted('req-bad'), recipients: [] });
    expect(done.runtimeStatus).toBe('Failed');
    expect(JSON.stringify(done.output)).toContain('recipients');
  });
});
