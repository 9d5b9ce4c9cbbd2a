/**
 * The dashboard in a real headless browser (Debian's chromium through playwright-core) against the real gateway
 * (issue: quarantine review and dashboard): sign in with an admin token, watch a live event arrive, approve a held
 * call and see the waiting client get its result, and check that a payload full of markup renders as text. Also the
 * security edges a browser test is the right place for: CSRF, lockout, headers. Screenshots of every page are taken
 * on every run; `npm run screenshots` writes them to docs/dashboard/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, fixtureStdio } from '../helpers/backends.js';
import { type ConnectedClient, connectClient } from '../helpers/client.js';
import { type StartedGateway, startGateway } from '../helpers/start-gateway.js';

const TOKEN = 'dashboard-e2e-token-0123456789abcdef';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots are taken on every run; `npm run screenshots` keeps them in docs/dashboard (otherwise a temp dir). */
const SHOTS = process.env.PORTCULLIS_SCREENSHOTS ? resolve(REPO_ROOT, process.env.PORTCULLIS_SCREENSHOTS) : mkdtempSync(join(tmpdir(), 'portcullis-shots-'));
const XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';

let started: StartedGateway;
let conn: ConnectedClient;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;

async function signIn(target: Page, token = TOKEN): Promise<void> {
  await target.goto(`${base}/dashboard/login`);
  await target.fill('#token', token);
  await Promise.all([target.waitForLoadState('load'), target.click('button[type=submit]')]);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  mkdirSync(SHOTS, { recursive: true });
  started = await startGateway({
    backends: { content: fixtureStdio('content-server.mjs') },
    yaml: `
admin: { host: 127.0.0.1, port: 0, tokens: { ops: "${TOKEN}" } }
approval: { require: ["content/add"] }
quarantine: { hold_s: 30 }
`,
  });
  base = new URL(started.gateway.adminUrl as string).origin;
  conn = await connectClient(started.url, { headers: { 'x-portcullis-agent': 'analyst' } });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await conn?.close();
  await started?.stop();
  if (!process.env.PORTCULLIS_SCREENSHOTS) rmSync(SHOTS, { recursive: true, force: true });
});

describe('signing in', () => {
  it('a wrong token is refused with a message; the right one opens the overview', async () => {
    await signIn(page, 'not-the-token');
    expect(await page.textContent('.error')).toContain('not valid');
    await shot('login');
    await conn.client.callTool({ name: 'content__echo', arguments: { text: 'warm-up call' } });
    await signIn(page);
    expect(page.url()).toBe(`${base}/dashboard/overview`);
    expect(await page.textContent('h1')).toContain('Overview');
    expect(await page.locator('.card').count()).toBeGreaterThanOrEqual(7);
    await shot('overview');
  });

  it('the session cookie is HttpOnly and SameSite=Strict, and pages forbid inline script', async () => {
    const [cookie] = await context.cookies(`${base}/dashboard/overview`);
    expect(cookie).toMatchObject({ name: 'portcullis_session', httpOnly: true, sameSite: 'Strict', path: '/dashboard' });
    const response = await page.request.get(`${base}/dashboard/overview`);
    expect(response.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers()['x-frame-options']).toBe('DENY');
  });
});

describe('live events', () => {
  it('a call made while the page is open appears in the table', async () => {
    await page.goto(`${base}/dashboard/events`);
    await page.waitForFunction(() => document.getElementById('live-status')?.textContent === 'connected');
    await conn.client.callTool({ name: 'content__echo', arguments: { text: 'hello dashboard' } });
    const row = page.locator('#live-events tbody tr', { hasText: 'content/echo' }).first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('allow');
    await shot('events');
  });
});

describe('quarantine review', () => {
  it('approving a held call in the browser releases it: the waiting client gets the real result', async () => {
    const call = conn.client.callTool({ name: 'content__add', arguments: { a: 20, b: 22 } }, undefined, { timeout: 60_000 });
    await page.goto(`${base}/dashboard/quarantine?status=pending`);
    const link = page.locator('#quarantine-items a').first();
    await link.waitFor({ timeout: 10_000 }).catch(async () => {
      await page.reload();
      await link.waitFor({ timeout: 5_000 });
    });
    await shot('quarantine');
    await link.click();
    await page.fill('form[action$="/approve"] input[name=reason]', 'checked the numbers');
    await shot('quarantine-item');
    await Promise.all([page.waitForLoadState('load'), page.click('#approve-button')]);
    expect(await page.textContent('.notice')).toContain('approved');
    const result = await call;
    expect((result.content as { text: string }[])[0]?.text).toBe('42');
  });

  it('a held payload full of markup renders as text and runs nothing', async () => {
    const call = conn.client.callTool({ name: 'content__add', arguments: { a: XSS, b: 1 } }, undefined, { timeout: 60_000 }).catch((e: unknown) => e);
    await page.goto(`${base}/dashboard/quarantine?status=pending`);
    let href: string | null = null;
    for (let i = 0; i < 50 && !href; i++) {
      href = await page.locator('#quarantine-items a').first().getAttribute('href').catch(() => null);
      if (!href) await page.waitForTimeout(200).then(() => page.reload());
    }
    await page.goto(`${base}${href}`);
    expect(await page.locator('#payload').textContent()).toContain(XSS);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#payload script, #payload img').count()).toBe(0);
    await Promise.all([page.waitForLoadState('load'), page.click('#reject-button')]);
    expect(await call).toMatchObject({ code: -32086, data: { status: 'rejected' } });
  });

  it('a form without the session’s CSRF token is refused', async () => {
    const pending = await (await page.request.get(`${base}/dashboard/quarantine`)).text();
    const id = /q_[0-9a-f]{24}/.exec(pending)?.[0] ?? 'q_000000000000000000000000';
    const forged = await page.request.post(`${base}/dashboard/quarantine/${id}/approve`, { form: { reason: 'forged' } });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('CSRF');
  });
});

describe('the other pages', () => {
  it.each(['agents', 'rules', 'guards', 'audit'])('%s renders for a signed-in operator', async (name) => {
    const response = await page.goto(`${base}/dashboard/${name}`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent('h1')).toBeTruthy();
    await shot(name);
  });

  it('the audit export is JSONL and CSV, the CSV safe to open in a spreadsheet', async () => {
    await conn.client.callTool({ name: 'content__echo', arguments: { text: '=cmd|calc' } });
    const jsonl = await page.request.get(`${base}/dashboard/audit/export.jsonl?tool=echo`);
    const rows = (await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l) as { tool: string });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.tool === 'echo')).toBe(true);
    const csv = await page.request.get(`${base}/dashboard/audit/export.csv`);
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect((await csv.text()).split('\r\n')[0]).toBe('id,time,kind,agent,verified,source,backend,tool,method,decision,reason,detail,error_code,forwarded,latency_ms');
  });

  it('signed out, pages send the browser to the sign-in page', async () => {
    const fresh = await browser.newContext();
    try {
      const other = await fresh.newPage();
      await other.goto(`${base}/dashboard/quarantine`);
      expect(other.url()).toBe(`${base}/dashboard/login`);
    } finally {
      await fresh.close();
    }
  });
});

describe('agents', () => {
  it('an agent seen in traffic can be suspended from the page: its next call is refused, until unsuspended', async () => {
    await page.goto(`${base}/dashboard/agents`);
    const row = page.locator('#agents tbody tr', { hasText: 'analyst' });
    await row.locator('input[name=reason]').fill('looks compromised');
    await Promise.all([page.waitForLoadState('load'), row.locator('button').click()]);
    expect(await page.locator('#agents tbody tr', { hasText: 'analyst' }).textContent()).toContain('suspended: looks compromised');
    await expect(conn.client.callTool({ name: 'content__echo', arguments: { text: 'while suspended' } })).rejects.toMatchObject({ code: -32082 });
    await Promise.all([page.waitForLoadState('load'), page.locator('#agents tbody tr', { hasText: 'analyst' }).locator('button').click()]);
    const result = await conn.client.callTool({ name: 'content__echo', arguments: { text: 'back again' } });
    expect((result.content as { text: string }[])[0]?.text).toBe('back again');
  });
});

describe('lockout', () => {
  it('five bad sign-ins lock the address out, even for the right token', async () => {
    const fresh = await browser.newContext();
    try {
      const other = await fresh.newPage();
      for (let i = 0; i < 5; i++) await signIn(other, `wrong-${i}`);
      const locked = await other.request.post(`${base}/dashboard/login`, { form: { token: TOKEN } });
      expect(locked.status()).toBe(429);
    } finally {
      await fresh.close();
    }
  });
});
