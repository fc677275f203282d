/**
 * Settings, vault location and auto-lock end to end: the built renderer in
 * Chromium through `mmry serve`, with its own data folder (settings.json and
 * the default vault) so nothing touches the real one.
 *
 * MMRY_TEST_MINUTE_MS=1000 makes an auto-lock "minute" last one second, so
 * the lock can be watched happen; every step waits on what the page shows.
 * Screenshots: test-results/ui-settings-{light,dark}.png and
 * ui-auto-locked-{light,dark}.png; axe-core scans both screens.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { AXE_SOURCE, captureScreen, closeApp, openApp } from './harness.ts';
import type { AxeFinding, OpenApp } from './harness.ts';

const PASSWORD = 'correct horse battery staple';

describe('settings, vault location and auto-lock over mmry serve, in Chromium', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmry-e2e-settings-'));
  const dataDir = join(root, 'data');
  const drive = join(root, 'usb');
  const vaultOnDrive = join(drive, 'vault');
  let app: OpenApp | undefined;
  let page: Page;
  const axeFindings: AxeFinding[] = [];

  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const settingsFile = () => JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { preferences: Record<string, unknown>; vaultPath: string | null };

  const capture = (name: string) => captureScreen(page, name, axeFindings);
  const openSettings = async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' }).click();
    await heading('Settings').waitFor();
  };
  const autoLockField = () => page.getByLabel('Lock automatically after (minutes)');

  beforeAll(async () => {
    mkdirSync(drive, { recursive: true });
    mkdirSync(join(root, 'documents'));
    writeFileSync(join(root, 'documents', 'thesis.txt'), 'not a vault');
    ({ page } = app = await openApp(['--data-dir', dataDir], { MMRY_TEST_MINUTE_MS: '1000' }, { viewport: { width: 1200, height: 900 } }));
  });
  afterAll(async () => {
    await closeApp(app);
    rmSync(root, { recursive: true, force: true });
  });

  it('offers the default vault on this computer, refuses a folder of other files, and creates the vault on a drive', async () => {
    await heading('Create your vault').waitFor();
    await page.getByText(join(dataDir, 'vault'), { exact: true }).waitFor();
    // No keychain in a browser: the option is there, unavailable, and says why.
    const remember = page.getByLabel('Remember the password on this computer');
    expect(await remember.isDisabled()).toBe(true);
    await page.getByText(/only the desktop app can use/).first().waitFor();

    await page.getByRole('button', { name: 'Keep it somewhere else, such as an external drive…' }).click();
    await page.getByLabel('Vault folder').fill(join(root, 'documents'));
    await page.getByRole('button', { name: 'Use this folder' }).click();
    await page.getByRole('alert').filter({ hasText: 'is not empty and holds no MMRY vault' }).waitFor();
    await page.getByLabel('Vault folder').fill(vaultOnDrive);
    await page.getByRole('button', { name: 'Use this folder' }).click();
    await page.getByText(vaultOnDrive, { exact: true }).waitFor();
    expect(settingsFile().vaultPath).toBe(vaultOnDrive);

    await page.getByLabel('Vault password').fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByLabel('I understand that a lost password means lost data.').check();
    await page.getByRole('button', { name: 'Create vault' }).click();
    await heading('Projects').waitFor();
    expect(existsSync(join(vaultOnDrive, 'header'))).toBe(true);
    expect(existsSync(join(dataDir, 'vault'))).toBe(false);
  });

  it('changes the auto-lock time and notifications, refuses nonsense, and keeps them after a reload', async () => {
    await openSettings();
    expect(await autoLockField().inputValue()).toBe('15');
    await page.getByText(/Not available: Remembering the password needs the system keychain/).waitFor();
    await autoLockField().fill('soon');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'whole number of minutes' }).waitFor();

    await autoLockField().fill('40');
    await page.getByLabel('Notify me when a long job ends while the window is in the background').uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    expect(settingsFile().preferences).toMatchObject({ autoLockMinutes: 40, notifications: false, lockOnSuspend: true });
    await capture('settings');

    await page.reload();
    await page.addScriptTag({ content: AXE_SOURCE });
    await heading('Projects').waitFor();
    await openSettings();
    expect(await autoLockField().inputValue()).toBe('40');
    expect(await page.getByLabel('Notify me when a long job ends while the window is in the background').isChecked()).toBe(false);
  });

  it('locks by itself once idle for the auto-lock time, and the page shows the unlock screen at once', async () => {
    await autoLockField().fill('1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    // One "minute" (a second here) with no calls from the page: main locks and tells the page.
    await heading('Unlock your vault').waitFor();
    await page.getByRole('status').filter({ hasText: 'The vault locked itself after a time without use.' }).waitFor();
    await page.getByText(vaultOnDrive, { exact: true }).waitFor();
    await capture('auto-locked');
    // Locked for real: a call that needs the vault is refused.
    const outcome = await page.evaluate(() => (globalThis as unknown as { mmryClient: { callRaw(n: string, a: unknown): Promise<unknown> } }).mmryClient.callRaw('projects.list', {}));
    expect(outcome).toMatchObject({ ok: false, error: { kind: 'vault-locked' } });
  });

  it('has no serious or critical accessibility violations on these screens', () => {
    expect(axeFindings.filter((f) => f.impact === 'serious' || f.impact === 'critical')).toEqual([]);
  });
});
