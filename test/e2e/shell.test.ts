import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, screenshot, startServe } from './harness.ts';
import type { Served } from './harness.ts';

describe('app shell over mmry serve, in Chromium', () => {
  let served: Served;
  let browser: Browser;

  beforeAll(async () => {
    served = await startServe();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`renders the shell and completes a contract round trip (${scheme})`, async () => {
      const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1100, height: 700 } });
      const page = await context.newPage();
      await page.goto(served.url);
      await expect(page.getByRole('heading', { name: 'MMRY Vault' }).isVisible()).resolves.toBe(true);
      await page.getByRole('status').filter({ hasText: 'Connected · serve' }).waitFor();
      const path = await screenshot(page, `shell-${scheme}`);
      expect(statSync(path).size).toBeGreaterThan(1000);
      await context.close();
    });
  }

  it('answers a malformed call with a typed error, from the page', async () => {
    const page = await browser.newPage();
    await page.goto(served.url);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    const outcome = await page.evaluate(() => {
      const client = (globalThis as unknown as { mmryClient: { callRaw(n: string, a: unknown): Promise<unknown> } }).mmryClient;
      return Promise.all([client.callRaw('op.cancel', { opId: 12 }), client.callRaw('no.such.call', {}), client.callRaw('app.info', {})]);
    });
    expect(outcome[0]).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    expect(outcome[1]).toMatchObject({ ok: false, error: { kind: 'unknown-call' } });
    expect(outcome[2]).toMatchObject({ ok: true, value: { name: 'MMRY Vault', transport: 'serve' } });
    await page.close();
  });

  it('refuses a page load without the token', async () => {
    const page = await browser.newPage();
    const res = await page.goto(served.origin + '/');
    expect(res?.status()).toBe(403);
    expect(await page.textContent('body')).toContain('token');
    await screenshot(page, 'refused-without-token');
    await page.close();
  });

  it('refuses a WebSocket opened from a foreign origin page', async () => {
    const page = await browser.newPage();
    await page.goto('data:text/html,<title>elsewhere</title>');
    const opened = await page.evaluate(
      (wsUrl) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(wsUrl);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      `${served.origin.replace('http', 'ws')}/ws?token=${served.token}`,
    );
    expect(opened).toBe('refused');
    await page.close();
  });

  it('wrote the screenshots', () => {
    expect(existsSync('test-results/shell-light.png')).toBe(true);
  });
});
