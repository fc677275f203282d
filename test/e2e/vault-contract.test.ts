/**
 * The contract end to end: Chromium page → WebSocket → mmry serve → engine →
 * a real vault on disk, with long-operation events coming back to the page.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startServe } from './harness.ts';
import type { Served } from './harness.ts';

type Outcome = { ok: boolean; value?: unknown; error?: { kind: string; message: string } };

describe('vault calls over mmry serve, from the page', () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  const root = mkdtempSync(join(tmpdir(), 'mmry-e2e-vault-'));
  const source = join(root, 'my-project');

  beforeAll(async () => {
    mkdirSync(join(source, 'src'), { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(join(source, 'src', `file-${i}.txt`), `line ${i}\n`.repeat(2000));
    served = await startServe(['--vault', join(root, 'vault')]);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(served.url);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await page.evaluate(() => {
      const w = globalThis as unknown as { mmryClient: { on(e: string, l: (p: unknown) => void): void }; seen: { event: string; payload: unknown }[] };
      w.seen = [];
      for (const e of ['op.progress', 'op.finished', 'vault.locked']) w.mmryClient.on(e, (payload) => w.seen.push({ event: e, payload }));
    });
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  const call = (name: string, args: unknown): Promise<Outcome> =>
    page.evaluate(([n, a]) => (globalThis as unknown as { mmryClient: { callRaw(n: string, a: unknown): Promise<Outcome> } }).mmryClient.callRaw(n as string, a), [name, args] as const);
  const seen = (): Promise<{ event: string; payload: Record<string, unknown> }[]> => page.evaluate(() => (globalThis as unknown as { seen: { event: string; payload: Record<string, unknown> }[] }).seen);

  it('creates a vault, backs up with progress events, locks, and unlocks only with the right password', async () => {
    expect(await call('vault.status', {})).toMatchObject({ ok: true, value: { exists: false, unlocked: false } });
    expect(await call('projects.list', {})).toMatchObject({ ok: false, error: { kind: 'vault-locked' } });
    expect(await call('vault.create', { password: 'short' })).toMatchObject({ ok: false, error: { kind: 'invalid-argument' } });
    expect(await call('vault.create', { password: 'correct horse battery' })).toMatchObject({ ok: true });

    expect(await call('backup.start', { sourcePath: 'relative/path' })).toMatchObject({ ok: false, error: { kind: 'invalid-argument' } });
    const started = await call('backup.start', { sourcePath: source });
    expect(started.ok).toBe(true);
    const opId = (started.value as { opId: string }).opId;
    await page.waitForFunction((id) => (globalThis as unknown as { seen: { event: string; payload: { opId?: string } }[] }).seen.some((s) => s.event === 'op.finished' && s.payload.opId === id), opId);
    const finished = (await seen()).find((s) => s.event === 'op.finished')!;
    expect(finished.payload).toMatchObject({ opId, kind: 'backup', outcome: 'done', summary: { project: 'my-project', files: 50 } });

    expect(await call('projects.list', {})).toMatchObject({ ok: true, value: [{ name: 'my-project', sourcePath: source, snapshotCount: 1 }] });
    expect(await call('vault.lock', {})).toMatchObject({ ok: true });
    await page.waitForFunction(() => (globalThis as unknown as { seen: { event: string }[] }).seen.some((s) => s.event === 'vault.locked'));
    expect(await call('vault.unlock', { password: 'wrong password' })).toEqual({ ok: false, error: { kind: 'wrong-password', message: 'The vault password is wrong.' } });
    expect(await call('vault.unlock', { password: 'correct horse battery' })).toMatchObject({ ok: true });
    expect(await call('snapshots.list', { project: 'my-project' })).toMatchObject({ ok: true, value: [{ project: 'my-project', files: 50 }] });
  });
});
