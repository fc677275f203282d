/**
 * The desktop UI end to end, as a person would use it: the built renderer in
 * Chromium, through `mmry serve`, against a real vault on disk. Every step
 * waits on what the page shows, never on time. Screenshots of each main
 * screen in light and dark go to test-results/ui-*.png, and axe-core scans
 * each screen for serious or critical accessibility problems.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { makeUnwritable } from '../../src-main/ipc/testing/unwritable.ts';
import { captureScreen, closeApp, openApp, resultsDir } from './harness.ts';
import type { AxeFinding, OpenApp } from './harness.ts';

const PASSWORD = 'correct horse battery staple';
const README = '# My project\n\nKept safe by MMRY Vault.\n';
/** The notes' modification times are shuffled, so sorting by date differs from sorting by name or size. */
const NOTE_MTIME_BASE = Date.UTC(2025, 0, 1) / 1000;
const noteMtime = (i: number) => NOTE_MTIME_BASE + ((7 * i + 5) % 40) * 60;
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('the desktop UI over mmry serve, in Chromium', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmry-e2e-ui-'));
  const source = join(root, 'my-project');
  let app: OpenApp | undefined;
  let page: Page;
  const axeFindings: AxeFinding[] = [];

  const capture = (name: string) => captureScreen(page, name, axeFindings);
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const finishedOps = (text: string) => page.getByRole('region', { name: 'Operations' }).getByRole('status').filter({ hasText: text });

  beforeAll(async () => {
    mkdirSync(join(source, 'src'), { recursive: true });
    mkdirSync(join(source, 'docs', 'notes'), { recursive: true });
    writeFileSync(join(source, 'README.md'), README);
    writeFileSync(join(source, 'src', 'main.ts'), "import { helper } from './util.ts';\n\nexport function main(): number {\n  return helper(1);\n}\n");
    writeFileSync(join(source, 'src', 'util.ts'), 'export function helper(n: number): number {\n  return n + 1;\n}\n');
    writeFileSync(join(source, 'logo.png'), PNG);
    writeFileSync(join(source, 'data.bin'), randomBytes(200_000));
    for (let i = 0; i < 40; i++) {
      const note = join(source, 'docs', 'notes', `note-${i}.txt`);
      writeFileSync(note, `Note ${i}\n`.repeat(50));
      utimesSync(note, noteMtime(i), noteMtime(i));
    }
    ({ page } = app = await openApp(['--vault', join(root, 'vault')], {}, { viewport: { width: 1280, height: 820 }, permissions: ['clipboard-read', 'clipboard-write'] }));
  });
  afterAll(async () => {
    await closeApp(app);
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the vault on first run, with a strength meter and the lost-password warning', async () => {
    await heading('Create your vault').waitFor();
    const pw = page.getByLabel('Vault password');
    await pw.fill('password1');
    expect(await page.getByRole('meter', { name: 'Password strength' }).getAttribute('aria-valuetext')).toBe('Very weak');
    await pw.fill(PASSWORD);
    await page.getByLabel('Confirm password').fill('something else');
    await page.getByText('The two passwords differ.').waitFor();
    await page.getByLabel('Confirm password').fill(PASSWORD);
    expect(await page.getByRole('meter', { name: 'Password strength' }).getAttribute('aria-valuetext')).toBe('Strong');
    expect(await page.getByRole('button', { name: 'Create vault' }).isDisabled()).toBe(true);
    await page.getByText('There is no way to recover a lost password.').waitFor();
    await page.getByLabel('I understand that a lost password means lost data.').check();
    await capture('first-run');
    await page.getByRole('button', { name: 'Create vault' }).click();
    await heading('Projects').waitFor();
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
  });

  it('adds a folder by path, shows the backup and its result, and lists the project', async () => {
    await page.getByLabel('Folder to keep safe').fill('not/absolute');
    await page.getByRole('button', { name: 'Add and back up' }).click();
    await page.getByRole('alert').filter({ hasText: 'full path' }).waitFor();
    // A folder that is not there is answered at once, in one sentence that says what to do.
    const missing = join(root, 'no-such-folder');
    await page.getByLabel('Folder to keep safe').fill(missing);
    await page.getByRole('button', { name: 'Add and back up' }).click();
    await page.getByRole('alert').filter({ hasText: `There is no folder at ${missing}. Check the path for typos, or connect the disk it is on.` }).waitFor();
    await capture('add-error');
    await page.getByLabel('Folder to keep safe').fill(source);
    await page.getByRole('button', { name: 'Add and back up' }).click();
    await finishedOps('Snapshot saved: 45 files').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'my-project' });
    await row.getByText('1 snapshot').waitFor();
    await row.getByText(source).waitFor();
    await capture('projects');
  });

  it('takes a drop on the window and, in a browser that cannot tell its path, asks for the path instead', async () => {
    // Ctrl+O (the menu's Add Folder… in the desktop app) goes to the path field here.
    await page.getByRole('button', { name: 'Search' }).click();
    await page.keyboard.press('Control+O');
    await heading('Projects').waitFor();
    // (The page's own code, as strings: this suite is compiled without the DOM's types.)
    await expect.poll(() => page.evaluate("document.activeElement?.id === [...document.querySelectorAll('label')].find((l) => l.textContent === 'Folder to keep safe')?.htmlFor")).toBe(true);
    // A synthetic drop of a file, as Chromium delivers a real one: a DataTransfer carrying a File.
    await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.items.add(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
      const target = document.querySelector('.content');
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
    })()`);
    const report = page.getByRole('region', { name: 'Dropped items' });
    await report.getByRole('alert').filter({ hasText: 'This browser cannot tell where dropped items are on your computer. Type the folder’s full path in the field above instead' }).waitFor();
    // The page is still the app: the drop did not open the file in the tab.
    expect(new URL(page.url()).pathname).toBe('/');
    await capture('drop-in-browser');
    await report.getByRole('button', { name: 'Dismiss what the drop did' }).click();
    await report.waitFor({ state: 'detached' });
  });

  it('snapshots again after changes; the timeline shows both', async () => {
    writeFileSync(join(source, 'src', 'main.ts'), "import { helper } from './util.ts';\n\nexport function main(): number {\n  return helper(41);\n}\n");
    writeFileSync(join(source, 'src', 'new.ts'), 'export const added = true;\n');
    unlinkSync(join(source, 'data.bin'));
    await page.getByRole('button', { name: 'Back up now: my-project' }).click();
    await page.getByRole('row').filter({ hasText: 'my-project' }).getByText('2 snapshots').waitFor();
    await expect(finishedOps('Snapshot saved').count()).resolves.toBe(2);
    await page.getByRole('button', { name: 'my-project', exact: true }).click();
    await heading('my-project').waitFor();
    await expect(page.getByRole('navigation', { name: 'Snapshots' }).getByRole('listitem').count()).resolves.toBe(2);
    await page.getByRole('navigation', { name: 'Snapshots' }).getByText('1 file changed, 1 new').waitFor();
  });

  it('browses the newest snapshot with the keyboard, with breadcrumbs and previews', async () => {
    const list = page.getByRole('listbox', { name: 'Contents of my-project' });
    await list.getByRole('option', { name: /src/ }).waitFor();
    await list.focus();
    // Folders first, by name: docs, src.
    await list.getByRole('option', { name: /docs/, selected: true }).waitFor();
    await page.keyboard.press('ArrowDown');
    await list.getByRole('option', { name: /src/, selected: true }).waitFor();
    await page.keyboard.press('Enter');
    const inSrc = page.getByRole('listbox', { name: 'Contents of src' });
    await inSrc.getByRole('option', { name: /main\.ts/ }).waitFor();
    await page.getByRole('navigation', { name: 'Folder path' }).getByText('src', { exact: true }).waitFor();
    await inSrc.focus();
    await inSrc.getByRole('option', { name: /main\.ts/, selected: true }).waitFor();
    await page.keyboard.press('Enter');
    const preview = page.getByRole('region', { name: 'Preview of main.ts' });
    await preview.locator('.hljs-keyword').first().waitFor();
    expect(await preview.textContent()).toContain('return helper(41);');
    await capture('browse-preview');
    await page.keyboard.press('Backspace');
    await list.getByRole('option', { name: /src/, selected: true }).waitFor();
    // Sort by size, then open an image and a binary file.
    await page.getByRole('button', { name: 'Sort by Size' }).click();
    await list.getByRole('option', { name: /logo\.png/ }).click();
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Preview of logo.png' }).getByRole('img', { name: 'logo.png' }).waitFor();
  });

  it('sorts a folder by name, size and date, both ways', async () => {
    const top = page.getByRole('listbox', { name: 'Contents of my-project' });
    await top.getByRole('option', { name: /docs/ }).dblclick();
    await page.getByRole('listbox', { name: 'Contents of docs' }).getByRole('option', { name: /notes/ }).dblclick();
    const notes = page.getByRole('listbox', { name: 'Contents of notes' });
    await notes.getByRole('option').first().waitFor();
    // The first row after each sort, reached with Home from the keyboard (the list is virtualized: only rows near the view exist).
    const sortBy = async (column: string, first: string) => {
      await page.getByRole('button', { name: `Sort by ${column}` }).click();
      expect(await page.getByRole('button', { name: `Sort by ${column}` }).getAttribute('aria-pressed')).toBe('true');
      await notes.focus();
      await page.keyboard.press('Home');
      await notes.getByRole('option', { name: new RegExp(`^${first.replace('.', '\\.')}`), selected: true }).waitFor();
    };
    // Names in natural order (note-2 before note-10), then reversed.
    await sortBy('Name', 'note-0.txt');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await notes.getByRole('option', { name: /^note-2\.txt/, selected: true }).waitFor();
    // Only the rows near the view exist (the list is virtual); End scrolls the last one in.
    expect(await notes.getByRole('option', { name: /^note-39\.txt/ }).count()).toBe(0);
    await page.keyboard.press('End');
    await notes.getByRole('option', { name: /^note-39\.txt/, selected: true }).waitFor();
    expect(await notes.getByRole('option').count()).toBeLessThan(40);
    await sortBy('Name', 'note-39.txt');
    // Largest first (note-10…39 hold 400 bytes, note-0…9 350), ties by name; then smallest first.
    await sortBy('Size', 'note-10.txt');
    await sortBy('Size', 'note-0.txt');
    // Newest first, then oldest first, by the shuffled modification times.
    const newest = Array.from({ length: 40 }, (_, i) => i).sort((a, b) => noteMtime(b) - noteMtime(a))[0]!;
    const oldest = Array.from({ length: 40 }, (_, i) => i).sort((a, b) => noteMtime(a) - noteMtime(b))[0]!;
    await sortBy('Modified', `note-${newest}.txt`);
    await capture('browse-sorted');
    await sortBy('Modified', `note-${oldest}.txt`);
    await sortBy('Name', 'note-0.txt');
    // The breadcrumbs lead back to the snapshot's root.
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('button', { name: 'my-project' }).click();
    await top.getByRole('option', { name: /docs/ }).waitFor();
  });

  it('shows what changed between the snapshots, with a text diff', async () => {
    await page.getByRole('tab', { name: 'Changes' }).click();
    await page.getByText('1 added, 1 removed, 1 changed').waitFor();
    await page.getByRole('button', { name: 'src/main.ts' }).click();
    const diff = page.getByRole('region', { name: 'Changes in src/main.ts' });
    await diff.locator('ins', { hasText: 'return helper(41);' }).waitFor();
    await diff.locator('del', { hasText: 'return helper(1);' }).waitFor();
    await capture('diff');
  });

  it('finds files in every snapshot as you type and opens a result in place', async () => {
    await page.getByRole('button', { name: 'Search' }).click();
    const box = page.getByRole('searchbox', { name: 'Search every snapshot by name or path' });
    await box.pressSequentially('util');
    const results = page.getByRole('list', { name: 'Search results' });
    await results.getByText('my-project/src/util.ts').waitFor();
    await results.getByText(/in 2 snapshots/).first().waitFor();
    await box.fill('data.bin');
    await results.getByText('in 1 snapshot', { exact: false }).waitFor();
    await box.fill('note-3');
    await page.getByRole('status').filter({ hasText: /^\d+ match/ }).waitFor();
    await capture('search');
    await box.fill('util.ts');
    await results.getByRole('button', { name: /util\.ts/ }).click();
    await page.getByRole('listbox', { name: 'Contents of src' }).getByRole('option', { name: /util\.ts/, selected: true }).waitFor();
    // The selected file's actions menu leads to a restore of just that file.
    await page.getByRole('button', { name: 'Actions for util.ts' }).click();
    await page.getByRole('menuitem', { name: 'Restore…' }).click();
    await page.getByRole('dialog').getByRole('heading', { name: 'Restore util.ts' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  it('restores the snapshot to a new folder, byte for byte, then again keeping both', async () => {
    const target = join(root, 'restored');
    const restoreTo = async (conflict: string) => {
      await page.getByRole('button', { name: 'Restore snapshot…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Restore into folder').fill(target);
      await dialog.getByRole('radio', { name: new RegExp(conflict) }).check();
      return dialog;
    };
    const dialog = await restoreTo('Skip');
    expect(await dialog.getByRole('radio', { name: /Another folder/ }).isChecked()).toBe(true);
    await capture('restore-dialog');
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await finishedOps('Restored: 45 files').waitFor();
    const expected = filesUnder(source).map((f) => relative(source, f)).sort();
    expect(filesUnder(target).map((f) => relative(target, f)).sort()).toEqual(expected);
    for (const rel of expected) expect(readFileSync(join(target, rel)).equals(readFileSync(join(source, rel))), rel).toBe(true);
    // A browser cannot open the folder in the file manager: the panel shows where it went, with a copy button.
    const ops = page.getByRole('region', { name: 'Operations' });
    expect(await ops.getByLabel('Restored into').first().inputValue()).toBe(target);
    await ops.getByRole('button', { name: `Copy path: ${target}` }).first().click();
    await ops.getByRole('status').filter({ hasText: 'Path copied.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(target);
    expect(await ops.getByRole('button', { name: 'Show in file manager' }).count()).toBe(0);

    writeFileSync(join(target, 'README.md'), 'changed after restore\n');
    await (await restoreTo('Keep both')).getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => finishedOps('Restored').count()).toBe(2);
    expect(readFileSync(join(target, 'README.md'), 'utf8')).toBe('changed after restore\n');
    expect(readdirSync(target).some((n) => n.startsWith('README (restored'))).toBe(true);
  });

  it("restores to the project's own folder: skipping what is there, then overwriting it", async () => {
    const restoreHome = async (conflict: string) => {
      await page.getByRole('button', { name: 'Restore snapshot…' }).click();
      const dialog = page.getByRole('dialog');
      const home = dialog.getByRole('radio', { name: /Original folder/ });
      // The original location is the default, and says which folder it is.
      expect(await home.isChecked()).toBe(true);
      await dialog.getByRole('group', { name: 'Restore to' }).getByText(source, { exact: true }).waitFor();
      await dialog.getByRole('radio', { name: new RegExp(conflict) }).check();
      return dialog;
    };
    const restored = () => finishedOps('Restored').count();
    const before = await restored();
    writeFileSync(join(source, 'README.md'), 'edited after the snapshot\n');
    await (await restoreHome('Skip')).getByRole('button', { name: 'Restore' }).click();
    await expect.poll(restored).toBe(before + 1);
    expect(readFileSync(join(source, 'README.md'), 'utf8')).toBe('edited after the snapshot\n');

    const dialog = await restoreHome('Overwrite');
    await dialog.getByRole('note').filter({ hasText: `Files in ${source} that differ from this snapshot are replaced` }).waitFor();
    await capture('restore-original');
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect.poll(restored).toBe(before + 2);
    expect(readFileSync(join(source, 'README.md'), 'utf8')).toBe(README);
    // Everything else in the folder is byte for byte the snapshot, as the first restore wrote it.
    for (const rel of filesUnder(source).map((f) => relative(source, f))) {
      if (rel !== 'README.md') expect(readFileSync(join(source, rel)).equals(readFileSync(join(root, 'restored', rel))), rel).toBe(true);
    }
    expect(readdirSync(source).some((n) => n.includes('(restored'))).toBe(false);
  });

  it('says in one sentence what to do when the restore folder cannot be written', async () => {
    const locked = join(root, 'locked');
    mkdirSync(locked);
    const unlock = makeUnwritable(locked);
    try {
      await page.getByRole('button', { name: 'Restore snapshot…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Restore into folder').fill(join(locked, 'restored'));
      await dialog.getByRole('button', { name: 'Restore' }).click();
      await dialog.getByRole('alert').filter({ hasText: `MMRY Vault may not write in ${locked}. Choose a folder you can write to, or change the permissions of that one.` }).waitFor();
      await capture('restore-error');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    } finally {
      unlock();
    }
  });

  it('exports the snapshot as a zip', async () => {
    const zip = join(root, 'export.zip');
    await page.getByRole('button', { name: 'Export zip…' }).click();
    await page.getByRole('dialog').getByLabel('Zip file to write').fill(zip);
    await page.getByRole('dialog').getByRole('button', { name: 'Export' }).click();
    await finishedOps('Exported: 45 files').waitFor();
    const files = unzipSync(readFileSync(zip));
    expect(Buffer.from(files['src/main.ts']!).equals(readFileSync(join(source, 'src', 'main.ts')))).toBe(true);
    expect(statSync(zip).size).toBeGreaterThan(100);
  });

  it('shows statistics and the activity log', async () => {
    await page.getByRole('button', { name: 'Statistics' }).click();
    await page.getByText('Saved by dedup').waitFor();
    await page.getByRole('img', { name: /Original: .* Stored: / }).waitFor();
    await page.getByText('Parity for self-healing').waitFor();
    // Two snapshots of 45 files each, counted whole, against what the vault stores.
    await page.getByRole('img', { name: /^Growth over time\. After 2 snapshots, .* the vault stores / }).waitFor();
    await page.getByRole('img', { name: /^Codec mix\. .*zstd: \d+% of the data/ }).waitFor();
    const learned = page.getByRole('table', { name: 'Compression per file type' });
    await learned.getByRole('row').filter({ hasText: /^\.txt/ }).getByText('zstd', { exact: true }).waitFor();
    await learned.getByRole('row').filter({ hasText: /^\.bin/ }).getByText('stored as is ×1').waitFor();
    await page.getByText('Growth as a table').click();
    await expect(page.getByRole('table', { name: 'Growth after each snapshot' }).getByRole('row').count()).resolves.toBe(3);
    await capture('statistics');
    // The shortcuts of the desktop app's menu work in the browser too.
    await page.keyboard.press('Control+4');
    await heading('Health').waitFor();
    await page.keyboard.press('Control+2');
    await heading('Statistics').waitFor();
    await page.getByRole('button', { name: 'Activity' }).click();
    const log = page.getByRole('table', { name: 'Activity log' });
    await log.getByRole('row').filter({ hasText: 'restore' }).first().waitFor();
    await expect(log.getByRole('row').filter({ hasText: 'backup' }).count()).resolves.toBe(2);
    await log.getByRole('row').filter({ hasText: 'export' }).waitFor();
    await capture('activity');
  });

  it('locks, refuses a wrong password with a clear message, and unlocks with the right one', async () => {
    await page.getByRole('button', { name: 'Lock' }).click();
    await heading('Unlock your vault').waitFor();
    await capture('unlock');
    await page.getByLabel('Vault password').fill('not the password');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alert').filter({ hasText: 'The vault password is wrong.' }).waitFor();
    await capture('unlock-wrong');
    await page.getByLabel('Vault password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await heading('Projects').waitFor();
    await page.getByRole('button', { name: 'Activity' }).click();
    await page.getByRole('table', { name: 'Activity log' }).getByText('1 unlock attempt with a wrong password.').waitFor();
  });

  it('follows a lock from elsewhere (the vault.locked event) back to the unlock screen', async () => {
    await page.evaluate(() => (globalThis as unknown as { mmryClient: { call(n: string, a: unknown): Promise<unknown> } }).mmryClient.call('vault.lock', {}));
    await heading('Unlock your vault').waitFor();
  });

  it('has no serious or critical accessibility violations on any screen', () => {
    const bad = axeFindings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
    writeFileSync(join(resultsDir, 'ui-axe.json'), JSON.stringify(axeFindings, null, 2));
    expect(bad).toEqual([]);
  });
});
