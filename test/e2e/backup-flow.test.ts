/**
 * Backups as the Projects screen shows them, in Chromium through `mmry serve`
 * against a real vault: what a finished backup left out (a named pipe cannot
 * be backed up, whoever runs the test), and a long backup's live progress
 * (files, bytes, rate) and its cancel, which leaves no snapshot. The long
 * backup reads 64 GiB of sparse files: they take no disk space, and reading
 * them takes minutes, so the Cancel click always lands while it runs; every
 * step waits on what the page shows, never on time. (8 MiB files, because a
 * backup counts a file's bytes once the file is stored.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { captureScreen, closeApp, openUnlocked, repoRoot, resultsDir } from './harness.ts';
import type { AxeFinding, OpenApp } from './harness.ts';

const PASSWORD = 'backup flow password';

describe('backups on the Projects screen, in Chromium', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmry-e2e-backup-'));
  const vault = join(root, 'vault');
  const withPipe = join(root, 'inbox');
  const huge = join(root, 'disk-images');
  let app: OpenApp | undefined;
  let page: Page;
  const axeFindings: AxeFinding[] = [];


  const capture = (name: string) => captureScreen(page, name, axeFindings);
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const ops = () => page.getByRole('region', { name: 'Operations' });
  const addFolder = async (path: string) => {
    await page.getByLabel('Folder to keep safe').fill(path);
    await page.getByRole('button', { name: 'Add and back up' }).click();
  };

  beforeAll(async () => {
    mkdirSync(join(withPipe, 'sub'), { recursive: true });
    writeFileSync(join(withPipe, 'a.txt'), 'first\n');
    writeFileSync(join(withPipe, 'sub', 'b.txt'), 'second\n');
    execFileSync('mkfifo', [join(withPipe, 'queue.fifo')]);
    mkdirSync(huge);
    for (let i = 0; i < 8192; i++) {
      const fd = openSync(join(huge, `block-${i}.img`), 'w');
      ftruncateSync(fd, 8 * 2 ** 20);
      closeSync(fd);
    }
    const init = spawnSync(process.execPath, [join(repoRoot, 'bin/mmry.js'), 'init', vault], { env: { ...process.env, MMRY_PASSWORD: PASSWORD }, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`mmry init exited with ${init.status}: ${init.stderr}`);
    // Its own settings (no scheduled verify), so the only jobs are the ones this test starts.
    ({ page } = app = await openUnlocked(vault, PASSWORD, join(root, 'config'), { width: 1280, height: 820 }));
  });
  afterAll(async () => {
    await closeApp(app);
    rmSync(root, { recursive: true, force: true });
  });

  it('lists what a backup left out once it has ended', async () => {
    await addFolder(withPipe);
    const row = ops().locator('.op').filter({ hasText: `Backup of ${withPipe}` });
    await row.getByRole('status').filter({ hasText: 'Snapshot saved: 2 files' }).waitFor();
    await row.getByText('1 warning', { exact: true }).click();
    await row.getByRole('listitem').filter({ hasText: 'queue.fifo' }).getByText('Skipped: a named pipe (FIFO) cannot be backed up.').waitFor();
    await capture('backup-warnings');
    await page.getByRole('row').filter({ hasText: 'inbox' }).getByText('1 snapshot').waitFor();
    await page.getByRole('button', { name: 'inbox', exact: true }).click();
    await page.getByRole('navigation', { name: 'Snapshots' }).getByText(/2 files, .* · 1 warning/).waitFor();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Projects' }).click();
    await heading('Projects').waitFor();
  });

  it("shows a long backup's files, bytes and rate as it runs, and cancels it without a snapshot", async () => {
    await addFolder(huge);
    const row = ops().locator('.op').filter({ hasText: `Backup of ${huge}` });
    // Bytes read so far and the rate, neither zero, while the backup runs; once the count of the
    // source beside it is done, the bytes are "of about" its total (and a time left follows).
    await row
      .getByRole('status')
      .filter({ hasText: /^\d+ files? · [1-9][\d.]* (KB|MB|GB)( of about [\d.]+ (KB|MB|GB|TB))? · [1-9][\d.]* (B|KB|MB|GB)\/s/ })
      .waitFor();
    await row.getByRole('progressbar', { name: `Backup of ${huge} progress` }).waitFor();
    await capture('backup-progress');
    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.getByRole('status').filter({ hasText: 'Cancelled; nothing was changed.' }).waitFor();
    expect(await row.getByRole('progressbar').count()).toBe(0);
    // No project was added: the cancelled backup left no snapshot.
    await expect(page.getByRole('table', { name: 'Projects' }).getByRole('row').count()).resolves.toBe(2);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Activity' }).click();
    const log = page.getByRole('table', { name: 'Activity log' });
    await log.getByRole('row').filter({ hasText: 'cancelled' }).filter({ hasText: 'backup' }).waitFor();
    expect(await page.getByRole('button', { name: 'disk-images', exact: true }).count()).toBe(0);
  });

  it('has no serious or critical accessibility violations on these screens', () => {
    const bad = axeFindings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
    writeFileSync(join(resultsDir, 'ui-backup-axe.json'), JSON.stringify(axeFindings, null, 2));
    expect(bad).toEqual([]);
  });
});
