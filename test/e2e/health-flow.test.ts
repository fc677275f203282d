/**
 * Health, snapshot notes and file history end to end: the built renderer in
 * Chromium, through `mmry serve`, on a vault the real `mmry` CLI made and
 * backed up twice. Notes and tags on a snapshot, every version of a file
 * (compare, preview, restore one), a quick verify, a pack file damaged from
 * the test, the damage found and tied to its project, a repair that puts the
 * pack back byte for byte, and the activity log. Every step waits on what the
 * page shows, never on time; screenshots in light and dark go to
 * test-results/ui-*.png and axe-core scans each screen.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { captureScreen, closeApp, openUnlocked, repoRoot, resultsDir } from './harness.ts';
import type { AxeFinding, OpenApp } from './harness.ts';

const PASSWORD = 'health flow password';
const CHAPTER_1 = '# Chapter one\n\nIt was a dark and stormy night.\n';
const CHAPTER_2 = '# Chapter one\n\nIt was a bright and quiet morning.\n\nThe end.\n';

function mmry(args: string[]): void {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/mmry.js'), ...args], { env: { ...process.env, MMRY_PASSWORD: PASSWORD }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mmry ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
}

describe('health, notes and file history in the desktop UI, in Chromium', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmry-e2e-health-'));
  const source = join(root, 'essay');
  const vault = join(root, 'vault');
  let app: OpenApp | undefined;
  let page: Page;
  let packPath: string;
  let packBefore: Buffer;
  const axeFindings: AxeFinding[] = [];


  const capture = (name: string) => captureScreen(page, name, axeFindings);
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const ops = () => page.getByRole('region', { name: 'Operations' });
  const section = (name: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name, exact: true });

  beforeAll(async () => {
    mkdirSync(join(source, 'notes'), { recursive: true });
    writeFileSync(join(source, 'chapter.md'), CHAPTER_1);
    writeFileSync(join(source, 'notes', 'todo.txt'), 'check the dates\n');
    writeFileSync(join(source, 'figure.bin'), randomBytes(300_000));
    mmry(['init', vault]);
    mmry(['backup', vault, source]);
    writeFileSync(join(source, 'chapter.md'), CHAPTER_2);
    mmry(['backup', vault, source]);
    // Its own settings and data folder, so nothing here depends on (or changes) the machine's;
    // no scheduled verify, so every check below is one this test starts.
    ({ page } = app = await openUnlocked(vault, PASSWORD, join(root, 'config'), { width: 1280, height: 860 }));
  });
  afterAll(async () => {
    await closeApp(app);
    rmSync(root, { recursive: true, force: true });
  });

  it('shows a project never verified, then gives its newest snapshot a note and tags', async () => {
    const row = page.getByRole('row').filter({ hasText: 'essay' });
    await row.getByText('Not verified yet').waitFor();
    await page.getByRole('button', { name: 'essay', exact: true }).click();
    await heading('essay').waitFor();
    await page.getByRole('button', { name: 'Note and tags…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Note and tags' });
    await dialog.getByLabel('Tags').fill('draft, a,b,c,d,e,f,g,h,i,j,k,l');
    await dialog.getByText('At most 12 tags; there are 13.').waitFor();
    expect(await dialog.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Note').fill('Sent to the editor');
    await dialog.getByLabel('Tags').fill('draft, v1 , draft');
    await capture('snapshot-labels');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const timeline = page.getByRole('navigation', { name: 'Snapshots' });
    await timeline.getByText('Sent to the editor').waitFor();
    await timeline.getByText('Tags: draft, v1').waitFor();
    // The tag filter shows only the tagged snapshot.
    await timeline.getByRole('combobox').selectOption({ label: 'tagged “draft”' });
    await expect.poll(() => timeline.getByRole('listitem').count()).toBe(1);
    await timeline.getByRole('combobox').selectOption({ label: 'every snapshot' });
    await expect.poll(() => timeline.getByRole('listitem').count()).toBe(2);
    await capture('timeline-tags');
  });

  it('lists every version of a file, compares two, previews one and restores the older one', async () => {
    const list = page.getByRole('listbox', { name: 'Contents of essay' });
    await list.getByRole('option', { name: /chapter\.md/ }).click();
    await page.getByRole('button', { name: 'Actions for chapter.md' }).click();
    await page.getByRole('menuitem', { name: 'History' }).click();
    const history = page.getByRole('region', { name: 'History of chapter.md' });
    await history.getByText('2 versions in 2 snapshots.').waitFor();
    await history.getByRole('button', { name: 'Compare with previous: version 2 with version 1' }).click();
    const diff = history.getByRole('region', { name: 'Changes in chapter.md' });
    await diff.locator('ins', { hasText: 'It was a bright and quiet morning.' }).waitFor();
    await diff.locator('del', { hasText: 'It was a dark and stormy night.' }).waitFor();
    await capture('file-history');
    await history.getByRole('button', { name: 'Preview version 1' }).click();
    const preview = history.getByRole('region', { name: 'Preview of chapter.md' });
    await preview.getByText('It was a dark and stormy night.').waitFor();

    const target = join(root, 'restored-v1');
    await history.getByRole('button', { name: 'Restore version 1' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Restore chapter.md (version 1)' }).waitFor();
    await dialog.getByLabel('Restore into folder').fill(target);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await ops().getByRole('status').filter({ hasText: 'Restored: 1 file' }).waitFor();
    expect(readFileSync(join(target, 'chapter.md'), 'utf8')).toBe(CHAPTER_1);
    await history.getByRole('button', { name: 'Close the history' }).click();
    await history.waitFor({ state: 'detached' });
  });

  it('verifies the vault and badges the project healthy', async () => {
    await section('Health').click();
    await heading('Health').waitFor();
    await page.getByRole('heading', { name: 'Never verified' }).waitFor();
    await page.getByRole('button', { name: 'Quick verify', exact: true }).click();
    await ops().getByRole('status').filter({ hasText: 'The vault is healthy.' }).waitFor();
    const summary = page.getByRole('region', { name: 'Last check' });
    await summary.getByRole('heading', { name: 'The vault is healthy.' }).waitFor();
    await summary.getByText(/Last verified just now by a quick verify/).waitFor();
    await page.getByRole('table', { name: 'Health by project' }).getByRole('row').filter({ hasText: 'essay' }).getByText('Healthy').waitFor();
    // The scheduled verify is a preference of this computer.
    const schedule = page.getByRole('region', { name: 'Scheduled verify' });
    await schedule.getByText(/No verify runs on its own/).waitFor();
    await schedule.getByLabel('Verify automatically').selectOption({ label: 'Every 7 days' });
    await schedule.getByText(/The next verify is due in 7 days\./).waitFor();
    expect(JSON.parse(readFileSync(join(root, 'config', 'MMRY Vault', 'settings.json'), 'utf8')).preferences.verifyEveryDays).toBe(7);
    await capture('health');
  });

  it('finds a damaged pack, names the project and files it touches, and repairs it byte for byte', async () => {
    const packs = readdirSync(join(vault, 'packs')).filter((n) => n.endsWith('.pack'));
    packPath = join(vault, 'packs', packs.sort((a, b) => statSync(join(vault, 'packs', b)).size - statSync(join(vault, 'packs', a)).size)[0]!);
    packBefore = readFileSync(packPath);
    const damaged = Buffer.from(packBefore);
    const at = Math.floor(damaged.length / 2);
    damaged[at] = damaged[at]! ^ 0xff;
    writeFileSync(packPath, damaged);

    await page.getByRole('button', { name: 'Quick verify', exact: true }).click();
    const summary = page.getByRole('region', { name: 'Last check' });
    await summary.getByRole('heading', { name: '1 problem found; all can be repaired. Run Repair to put them back.' }).waitFor();
    const damage = page.getByRole('table', { name: 'Damage found' });
    await damage.getByRole('row').filter({ hasText: /packs\/[0-9a-f]{32}\.pack/ }).getByText('repairable', { exact: true }).waitFor();
    const essay = page.getByRole('table', { name: 'Health by project' }).getByRole('row').filter({ hasText: 'essay' });
    await essay.getByText('Damage found, repairable').waitFor();
    await essay.getByText(/in 2 snapshots need damaged data; repair can rebuild it\./).waitFor();
    await capture('health-damage');

    await page.getByRole('button', { name: 'Repair', exact: true }).click();
    await ops().getByRole('status').filter({ hasText: /^Repaired: repaired 1 pack file\(s\).*The vault is healthy\.$/ }).waitFor();
    await summary.getByRole('heading', { name: 'The vault is healthy.' }).waitFor();
    const did = page.getByRole('region', { name: 'What the repair did' });
    await did.getByText(/^Repaired 1 pack file\(s\)/).waitFor();
    await did.getByText(/put back as they were\./).waitFor();
    expect(readFileSync(packPath).equals(packBefore)).toBe(true);
    const checks = page.getByRole('table', { name: 'Recent checks' });
    await expect.poll(() => checks.getByRole('row').count()).toBe(4); // header + verify, verify, repair
    await capture('health-repaired');

    await section('Projects').click();
    await page.getByRole('row').filter({ hasText: 'essay' }).getByText('Healthy').waitFor();
    await section('Activity').click();
    const log = page.getByRole('table', { name: 'Activity log' });
    await log.getByRole('row').filter({ hasText: 'Quick verify: 1 problem found, all repairable.' }).waitFor();
    await log.getByRole('row').filter({ hasText: /Repair: repaired 1 pack file/ }).waitFor();
  });

  it('has no serious or critical accessibility violations on these screens', () => {
    const bad = axeFindings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
    writeFileSync(join(resultsDir, 'ui-health-axe.json'), JSON.stringify(axeFindings, null, 2));
    expect(bad).toEqual([]);
  });
});
