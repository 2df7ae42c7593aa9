/** The operation id of a notification's mail: one per mail, the same on every retry, accepted by ACS. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationOperationId } from '../../shared/notifications/domain/operation-id';
import { notificationSchema, type NotificationInput } from '../../shared/notifications/model';
import { mail, sendAndWait, startStandIn, type StandInFixture } from './acs-test-support';

const base = {
  event: 'committee_reminder',
  requestId: 'REQ-1',
  projectName: 'Project',
  recipients: [{ address: 'Member@Example.org' }, { address: 'chair@example.org' }],
  dau: { id: 'DAU-1', name: 'Cohort' },
  reviewToken: 'token-0123456789abcdef',
  occurrence: 'reminder-1',
} satisfies NotificationInput;

const idOf = (input: NotificationInput) => notificationOperationId(notificationSchema.parse(input));

let fixture: StandInFixture;
beforeAll(async () => {
  fixture = await startStandIn();
});
afterAll(async () => fixture?.standIn.close());

describe('notification operation id', () => {
  it('is the same for the same mail, whatever the order or case of its recipients', () => {
    expect(idOf(base)).toBe(idOf({ ...base }));
    expect(
      idOf({ ...base, recipients: [{ address: 'chair@example.org' }, { address: 'member@example.org' }] }),
    ).toBe(idOf(base));
  });

  it('differs for another occurrence, event, DAU, request or recipient', () => {
    const ids = [
      idOf(base),
      idOf({ ...base, occurrence: 'reminder-2' }),
      idOf({ ...base, event: 'committee_invitation' }),
      idOf({ ...base, dau: { id: 'DAU-2', name: 'Cohort' } }),
      idOf({ ...base, requestId: 'REQ-2' }),
      idOf({ ...base, recipients: [{ address: 'chair@example.org' }] }),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is a GUID the service accepts, and sending it twice delivers one mail', async () => {
    const operationId = idOf(base);
    expect(operationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const message = mail({ recipients: { to: [{ address: 'member@example.org' }] } });
    expect((await sendAndWait(fixture.client(), message, operationId)).status).toBe('Succeeded');
    expect((await sendAndWait(fixture.client(), message, operationId)).status).toBe('Succeeded');
    expect(fixture.standIn.outbox.list({ to: 'member@example.org' }).map((m) => m.id)).toEqual([operationId]);
  });
});
