/**
 * The live dashboard in a real (headless) Chromium: the page is opened before a sale, a
 * sale of a few hundred distinct users runs against a small stock, and the numbers on the
 * page must move to what the sale really did: admitted = stored = stock, SOLD_OUT = the
 * refused requests, ALREADY_ISSUED = the repeats, NOT_STARTED for a coupon not yet open,
 * consumer lag back to 0. A screenshot of the finished sale goes to test-output/dashboard.png
 * (docs/dashboard.png is a copy of one, committed by hand).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { issue, postJson, request, startTestService, type JsonResponse, type TestService } from '../helpers/service.js';
import { launchChromium } from './browser.js';

const STOCK = 120;
const USERS = 400;
const WAVE = 40;
const WAVE_PAUSE_MS = 250;
const REPEATS = 15;
const EARLY_BIRDS = 25;

type Card = Record<string, number | string | null>;

async function newCoupon(svc: TestService, name: string, totalQuantity: number, startsAt?: string): Promise<number> {
  const body = { name, discountType: 'PERCENT', discountValue: 10, totalQuantity, ...(startsAt === undefined ? {} : { startsAt }) };
  const response = await postJson(`${svc.url}/api/coupons`, body, { authorization: `Bearer ${svc.adminToken}` });
  if (response.status !== 201) throw new Error(`coupon creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body['couponId'] as number;
}

/** What a person reads on one coupon's card: every `data-field`, numbers parsed. */
async function readCard(page: Page, couponId: number): Promise<Card | null> {
  const fields = (await page.evaluate(`(() => {
    const card = document.querySelector('[data-coupon="${couponId}"]');
    if (card === null) return null;
    const out = {};
    for (const el of card.querySelectorAll('[data-field]')) out[el.dataset.field] = el.textContent;
    return out;
  })()`)) as Record<string, string> | null;
  if (fields === null) return null;
  return Object.fromEntries(Object.entries(fields).map(([key, text]) => [key, /^[\d,.]+$/.test(text) ? Number(text.replaceAll(',', '')) : text]));
}

async function readHeader(page: Page, field: string): Promise<string> {
  return (await page.locator(`header [data-field="${field}"]`).textContent()) ?? '';
}

/** Waits until the card shows `expected` (a subset of its fields); returns the last reading. */
async function waitForCard(page: Page, couponId: number, expected: Card, timeoutMs: number): Promise<Card | null> {
  const deadline = Date.now() + timeoutMs;
  let card = await readCard(page, couponId);
  while (Date.now() < deadline) {
    if (card !== null && Object.entries(expected).every(([key, value]) => card![key] === value)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
    card = await readCard(page, couponId);
  }
  return card;
}

function pick(card: Card | null, keys: string[]): Card | null {
  return card === null ? null : Object.fromEntries(keys.map((key) => [key, card[key] ?? null]));
}

const svc = await startTestService({ ROLE: 'all' });
t.teardown(() => svc.stop());
const browser = await launchChromium();
t.teardown(() => browser.close());

t.test('GET /dashboard is one self-contained page', async (t) => {
  const response = await fetch(`${svc.url}/dashboard`);
  const html = await response.text();
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type') ?? '', /^text\/html/);
  t.notMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'nothing loaded from elsewhere');
});

t.test('the page follows a live sale to its final numbers', async (t) => {
  const sale = await newCoupon(svc, 'Flash sale 10% off', STOCK);
  const upcoming = await newCoupon(svc, 'Tomorrow: 20% off', 50, new Date(Date.now() + 86_400_000).toISOString());
  const page = await browser.newPage({ viewport: { width: 980, height: 470 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${svc.url}/dashboard?coupon=${sale},${upcoming}`);

  const before = await waitForCard(page, sale, { stock: STOCK, admitted: 0, stored: 0, SOLD_OUT: 0, remaining: STOCK }, 15000);
  t.same(pick(before, ['stock', 'admitted', 'stored', 'SOLD_OUT', 'remaining']), { stock: STOCK, admitted: 0, stored: 0, SOLD_OUT: 0, remaining: STOCK }, 'before the sale');
  t.equal(await page.locator('#status').textContent(), 'live');

  // The sale: waves of distinct users, spread over a few seconds so requests/s is visible.
  const answers: JsonResponse[] = [];
  for (let start = 0; start < USERS; start += WAVE) {
    const wave = Array.from({ length: Math.min(WAVE, USERS - start) }, (_, i) => issue(svc, sale, `dash-user-${start + i}`));
    answers.push(...(await Promise.all(wave)));
    await new Promise((resolve) => setTimeout(resolve, WAVE_PAUSE_MS));
  }
  const winners = answers.map((answer, i) => ({ answer, user: `dash-user-${i}` })).filter(({ answer }) => answer.status === 202);
  const repeats = await Promise.all(winners.slice(0, REPEATS).map(({ user }) => issue(svc, sale, user)));
  const early = await Promise.all(Array.from({ length: EARLY_BIRDS }, (_, i) => issue(svc, upcoming, `dash-early-${i}`)));
  const soldOut = answers.filter((answer) => (answer.body['error'] as { code?: string } | undefined)?.code === 'SOLD_OUT').length;
  t.equal(winners.length, STOCK, 'the service admitted exactly the stock');
  t.equal(soldOut, USERS - STOCK, 'everyone else was told SOLD_OUT');
  t.ok(repeats.every((answer) => answer.status === 409), 'repeats refused');
  t.ok(early.every((answer) => answer.status === 403), 'early birds refused');

  const expected = { stock: STOCK, admitted: STOCK, stored: STOCK, remaining: 0, SOLD_OUT: soldOut, ALREADY_ISSUED: REPEATS, NOT_STARTED: 0, EXPIRED: 0, dbRejected: 0, state: 'sold out' };
  const after = await waitForCard(page, sale, expected, 30000);
  t.same(pick(after, Object.keys(expected)), expected, 'after the sale the page shows what happened');
  t.ok(Number(after?.['peak']) > 0, `requests/s peaked above 0 (peak ${after?.['peak']})`);
  const other = await waitForCard(page, upcoming, { NOT_STARTED: EARLY_BIRDS, admitted: 0, state: 'not started' }, 10000);
  t.same(pick(other, ['NOT_STARTED', 'admitted', 'state']), { NOT_STARTED: EARLY_BIRDS, admitted: 0, state: 'not started' }, 'the coupon not yet open');

  // The request topic is drained once every admitted row is stored.
  const deadline = Date.now() + 20000;
  while ((await readHeader(page, 'lag')) !== '0' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(await readHeader(page, 'lag'), '0', 'consumer lag back to 0');
  t.same(pageErrors, [], 'no script errors on the page');

  // What the API says agrees with the page.
  const api = await request(`${svc.url}/api/coupons/${sale}`);
  t.equal(api.body['issued'], STOCK);

  // Kept out of the tree so a test run never modifies tracked files.
  mkdirSync(join(PACKAGE_ROOT, 'test-output'), { recursive: true });
  await page.screenshot({ path: join(PACKAGE_ROOT, 'test-output', 'dashboard.png') });
  await page.close();
});

t.test('without a pin the page lists the recent coupons', async (t) => {
  const page = await browser.newPage();
  await page.goto(`${svc.url}/dashboard`);
  await page.locator('section.card').first().waitFor({ timeout: 15000 });
  t.ok((await page.locator('section.card').count()) >= 1, 'at least one coupon card');
  t.not(await readHeader(page, 'total-rps'), '–', 'the header shows requests/s');
  await page.close();
});

t.test('a viewer that sends an oversized message is disconnected', async (t) => {
  const page = await browser.newPage();
  await page.goto(`${svc.url}/dashboard`);
  const closed = (await page.evaluate(`new Promise((resolve) => {
    const ws = new WebSocket(location.origin.replace('http', 'ws') + '/dashboard/live');
    ws.onopen = () => ws.send('x'.repeat(64 * 1024));
    ws.onclose = (event) => resolve(event.code);
    setTimeout(() => resolve('still open'), 10000);
  })`)) as number | string;
  t.not(closed, 'still open', `closed with code ${closed}`);
  // The service is unharmed: the page's own connection still gets snapshots.
  t.equal(await page.locator('#status').textContent(), 'live');
  await page.close();
});
