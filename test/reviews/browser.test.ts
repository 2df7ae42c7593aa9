/**
 * A committee member in a real browser (Debian's headless Chromium via playwright-core): opens the outbox,
 * opens their invitation, clicks its decision link, approves on the decision page, and the requester's
 * request shows the DAU approved. The page loads nothing the policy forbids (its one stylesheet is allowed
 * by hash) and runs no script.
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dauOf,
  linkFor,
  member,
  requestInReview,
  requestWhen,
  startReviewSystem,
  type ReviewSystem,
} from './support';

let system: ReviewSystem;
let browser: Browser;

beforeAll(async () => {
  [system, browser] = await Promise.all([
    startReviewSystem(),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true }),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await system?.close();
});

describe('deciding from the outbox in a browser', () => {
  it('clicks the decision link in the mail, approves on the page, and the DAU is approved', async () => {
    const id = await requestInReview(system, 'PCGP');
    const { email } = member('PCGP', 1);
    const link = await linkFor(system, id, email);
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const policyViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) policyViolations.push(message.text());
    });

    await page.goto(`${system.environment.standIns.acsEmail.outboxUrl}?to=${encodeURIComponent(email)}`);
    await page.getByRole('link', { name: /Decision requested: .*Pediatric Cancer Genome Project/ }).click();
    await page.waitForURL(/\/outbox\/[0-9a-f-]+$/);
    const mail = page.frameLocator('iframe[title="HTML part"]');
    await mail.getByRole('link', { name: 'Review and decide' }).click();
    await page.waitForURL(link);

    expect(await page.locator('h1').textContent()).toBe('Osteosarcoma relapse study');
    await page.getByLabel('Approve access to Pediatric Cancer Genome Project').check();
    await page.getByLabel('Remark (optional)').fill('Looks complete.');
    await page.getByRole('button', { name: 'Record my decision' }).click();
    await page.waitForURL(link);
    expect(await page.locator('h1').textContent()).toBe('Decision recorded');
    // The stylesheet applied: the policy allowed it by its hash.
    expect(
      await page
        .locator('body')
        .evaluate((body) => body.ownerDocument.defaultView!.getComputedStyle(body).fontFamily),
    ).toContain('Arial');
    expect(policyViolations).toEqual([]);

    const approved = await requestWhen(
      system,
      id,
      (request) => dauOf(request, 'PCGP').review?.['status'] === 'approved',
    );
    expect(dauOf(approved, 'PCGP').review).toMatchObject({ approvals: 1 });
    await context.close();
  }, 60_000);
});
