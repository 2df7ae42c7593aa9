/**
 * A person in a real browser (Debian's headless Chromium via playwright-core): opens the outbox, filters it,
 * opens a mail, sees its HTML and text, and follows its link to a tiny local site. Markup in the mail and a
 * hostile subject never run script.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mail, sendAndWait, startStandIn, type StandInFixture } from './acs-test-support';

let fixture: StandInFixture;
let site: http.Server;
let siteOrigin: string;
let browser: Browser;
/** Paths the local site was asked for, in order. */
const visits: string[] = [];

const hostileSubject = 'Decision requested <img src=x onerror=alert(1)>';

beforeAll(async () => {
  site = http.createServer((request, response) => {
    visits.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>Review</title><h1>Landed on the review page</h1>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

  [fixture, browser] = await Promise.all([
    startStandIn(),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true }),
  ]);
  const client = fixture.client();
  await sendAndWait(
    client,
    mail({
      content: { subject: 'Older mail', plainText: 'Nothing to click.' },
      recipients: { to: [{ address: 'someone@example.org' }] },
    }),
  );
  const link = `${siteOrigin}/api/review-links/token-1?dau=DAU-1&amp;from=mail`;
  await sendAndWait(
    client,
    mail({
      content: {
        subject: hostileSubject,
        plainText: `Review and decide: ${siteOrigin}/api/review-links/token-1?dau=DAU-1&from=mail`,
        html:
          `<p>A request waits for your decision.</p><p><a href="${link}">Review and decide</a></p>` +
          `<img src="x" onerror="fetch('${siteOrigin}/pwned-onerror')">` +
          `<script>fetch('${siteOrigin}/pwned-script')</script>`,
      },
      recipients: { to: [{ address: 'member@example.org', displayName: 'Committee <b>Member</b>' }] },
    }),
  );
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await fixture?.standIn.close();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
});

describe('the outbox in a browser', () => {
  it('lists, filters and opens a mail whose link leads to the site, with no script running', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });

    await page.goto(fixture.standIn.outboxUrl);
    const subjects = page.locator('tbody tr td:nth-child(4)');
    await expect.poll(() => subjects.allTextContents()).toEqual([hostileSubject, 'Older mail']);
    await expect
      .poll(() => page.locator('tbody tr').first().textContent())
      .toContain('Committee <b>Member</b> <member@example.org>');

    await page.getByLabel('recipient').fill('member@example.org');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/outbox\?to=member%40example\.org$/);
    await expect.poll(() => subjects.allTextContents()).toEqual([hostileSubject]);

    await page.getByRole('link', { name: hostileSubject }).click();
    await page.waitForURL(/\/outbox\/[0-9a-f-]+$/);
    expect(await page.locator('h1').textContent()).toBe(hostileSubject);
    expect(await page.locator('pre.text-part').textContent()).toContain(
      `Review and decide: ${siteOrigin}/api/review-links/token-1?dau=DAU-1&from=mail`,
    );
    const mailFrame = page.frameLocator('iframe[title="HTML part"]');
    await expect
      .poll(() => mailFrame.locator('p').first().textContent())
      .toBe('A request waits for your decision.');

    await mailFrame.getByRole('link', { name: 'Review and decide' }).click();
    await page.waitForURL(`${siteOrigin}/api/review-links/token-1?dau=DAU-1&from=mail`);
    expect(await page.locator('h1').textContent()).toBe('Landed on the review page');
    expect(visits).toContain('/api/review-links/token-1?dau=DAU-1&from=mail');

    // Neither the mail's markup nor the hostile subject ran anything.
    expect(visits.filter((visit) => visit.startsWith('/pwned'))).toEqual([]);
    expect(dialogs).toEqual([]);
    await context.close();
  }, 20_000);
});
