/**
 * The electronic agreement end to end, through HTTP on the local host, the real `docusign-esign` SDK against
 * the DocuSign stand-in, Connect deliveries to our webhook, and one virtual clock for the durable timers and
 * the stand-in's envelope expiry: the US persona submits, every signer signs on the stand-in's page in
 * routing order and the controlled DAUs go to review; a decline ends the request with the reason and a
 * mail; a lost webhook is covered by the status poll; an expired envelope ends the request; a withdrawal
 * voids the envelope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPersona } from '../../infra/local/personas';
import { actAsRecipient } from '../docusign-standin/signing';
import {
  envelopeOf,
  envelopesFor,
  expireAfterDays,
  pollMinutes,
  requestOnceIt,
  signAll,
  startAgreementSystem,
  submitRequest,
  timelineTypes,
  type AgreementSystem,
} from './agreement-support';

let system: AgreementSystem;
const maya = findPersona('us-requester');
const minuteMs = 60_000;

beforeAll(async () => {
  system = await startAgreementSystem();
});

afterAll(async () => {
  await system?.close();
});

const mailsTo = (address: string, subject: string) =>
  system.environment.standIns.acsEmail.outbox
    .list()
    .filter((mail) => mail.to.some((to) => to.address === address) && mail.subject.includes(subject));

const events = async (id: string) =>
  timelineTypes((await system.call('GET', `/api/requests/${id}/events`, { as: maya.id })).body);

const controlledStatuses = (request: { daus: { id: string; status: string }[] }) =>
  request.daus.map((dau) => dau.status);

describe('the electronic agreement', () => {
  it('goes out to every signatory in routing order; each signs in turn and the DAUs go to review', async () => {
    const { id } = await submitRequest(system, 'us-requester');
    const envelopeId = await envelopeOf(system, id);
    const waiting = await requestOnceIt(system, id, (request) => request.status === 'awaiting_signatures');
    expect(waiting.agreement).toMatchObject({
      route: 'electronic',
      status: 'awaiting_signatures',
      envelopeId,
      nextSigner: { email: maya.email, routingOrder: 1 },
    });
    expect(waiting.agreement.signers.map((signer: { email: string }) => signer.email)).toEqual([
      maya.email,
      'grace.hopper@example.edu',
      'alan.turing@example.edu',
      'grants@example.edu',
    ]);
    expect(waiting.nextAction).toMatchObject({ code: 'sign-agreement' });
    await expect.poll(() => mailsTo(maya.email, 'Please sign').length, { timeout: 15_000 }).toBe(1);

    // The first signature reaches the dashboard through Connect: the PI is next.
    expect(await actAsRecipient(system.environment.standIns.docuSign, system.caPem, envelopeId, 'sign')).toBe(
      '1',
    );
    await expect
      .poll(
        async () => {
          const dashboard = await system.call('GET', '/api/requests', { as: maya.id });
          const item = dashboard.body.items.find((each: { id: string }) => each.id === id);
          return item?.agreement?.nextSigner?.email;
        },
        { timeout: 15_000 },
      )
      .toBe('grace.hopper@example.edu');

    expect(await signAll(system, envelopeId)).toEqual(['2', '3', '4']);
    const signed = await requestOnceIt(system, id, (request) => request.status === 'in_review');
    expect(controlledStatuses(signed)).toEqual(['in_review', 'in_review']);
    expect(signed.agreement).toMatchObject({ status: 'signed', nextSigner: null });
    expect(
      signed.agreement.signers.every((signer: { status: string }) => signer.status === 'completed'),
    ).toBe(true);
    expect(await events(id)).toEqual(
      expect.arrayContaining(['agreement.envelope-created', 'agreement.envelope-sent', 'agreement.signed']),
    );
    expect(await envelopesFor(system, id)).toEqual(['completed']);
  });

  it('ends the request when a signatory declines, with the reason, and mails the requester', async () => {
    const { id } = await submitRequest(system, 'us-requester');
    const envelopeId = await envelopeOf(system, id);
    await actAsRecipient(
      system.environment.standIns.docuSign,
      system.caPem,
      envelopeId,
      'decline',
      'Our budget for this project is not approved yet.',
    );
    const declined = await requestOnceIt(system, id, (request) => request.status === 'signature_declined');
    expect(declined.agreement).toMatchObject({
      status: 'declined',
      declinedBy: maya.name,
      reason: 'Our budget for this project is not approved yet.',
    });
    expect(controlledStatuses(declined)).toEqual(['closed', 'closed']);
    expect(declined.nextAction).toMatchObject({ code: 'copy-request' });
    await expect.poll(() => mailsTo(maya.email, 'declined').length, { timeout: 15_000 }).toBe(1);
    expect(await events(id)).toContain('agreement.declined');
  });

  it('moves the request by the status poll when the webhook never comes, ignoring news of other envelopes', async () => {
    const { id } = await submitRequest(system, 'us-requester');
    const envelopeId = await envelopeOf(system, id);
    const connect = system.environment.standIns.docuSign.connect;
    connect.faults.drop(1_000);
    try {
      // An outcome about some other envelope (a stray, late delivery) changes nothing.
      const stray = await fetch(
        `${system.environment.host.url}/runtime/webhooks/durabletask/instances/request-${id}/raiseEvent/EnvelopeOutcome`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            envelopeId: '00000000-0000-4000-8000-000000000000',
            status: 'declined',
            reason: 'not this one',
            source: 'connect',
          }),
        },
      );
      expect(stray.status).toBe(202);
      expect(await signAll(system, envelopeId)).toEqual(['1', '2', '3', '4']);
      await connect.idle();
      expect(
        connect.attempts.filter(
          (attempt) => attempt.envelopeId === envelopeId && attempt.event === 'envelope-completed',
        ),
      ).toEqual([expect.objectContaining({ outcome: 'dropped' })]);
      expect((await system.call('GET', `/api/requests/${id}`, { as: maya.id })).body.status).toBe(
        'awaiting_signatures',
      );
      await system.clock.advance((pollMinutes + 1) * minuteMs);
      const signed = await requestOnceIt(system, id, (request) => request.status === 'in_review');
      expect(controlledStatuses(signed)).toEqual(['in_review', 'in_review']);
      // The poll brought the signers' progress too.
      expect(signed.agreement.nextSigner).toBeNull();
      expect(signed.agreement.signers.map((signer: { status: string }) => signer.status)).toEqual([
        'completed',
        'completed',
        'completed',
        'completed',
      ]);
    } finally {
      connect.faults.clear();
    }
  });

  it('ends the request when the envelope expires unsigned, with DocuSign’s reason', async () => {
    const { id } = await submitRequest(system, 'us-requester');
    await envelopeOf(system, id);
    await system.clock.advance((expireAfterDays * 24 * 60 + 1) * minuteMs);
    const voided = await requestOnceIt(system, id, (request) => request.status === 'agreement_voided');
    expect(voided.agreement).toMatchObject({
      status: 'voided',
      reason: 'Envelope has expired.',
      expired: true,
    });
    expect(controlledStatuses(voided)).toEqual(['closed', 'closed']);
    expect(await envelopesFor(system, id)).toEqual(['voided']);
    expect(await events(id)).toContain('agreement.voided');
  });

  it('voids the envelope when the requester withdraws while it waits for signatures', async () => {
    const { id } = await submitRequest(system, 'us-requester');
    const envelopeId = await envelopeOf(system, id);
    const current = await system.call('GET', `/api/requests/${id}`, { as: maya.id });
    const withdrawn = await system.call('POST', `/api/requests/${id}/withdraw`, {
      as: maya.id,
      body: { reason: 'We found the data elsewhere.' },
      headers: { 'if-match': current.etag! },
    });
    expect(withdrawn.status, JSON.stringify(withdrawn.body)).toBe(200);
    const ended = await requestOnceIt(system, id, (request) => request.agreement?.status === 'voided');
    expect(ended).toMatchObject({
      status: 'withdrawn',
      agreement: { reason: 'The request was withdrawn.' },
    });
    expect(await envelopesFor(system, id)).toEqual(['voided']);
    // Nobody can sign it any more.
    expect(
      system.environment.standIns.docuSign
        .pendingSignatures()
        .filter((each) => each.envelopeId === envelopeId),
    ).toEqual([]);
    expect(await events(id)).toContain('agreement.envelope-voided');
  });
});
