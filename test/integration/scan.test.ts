/**
 * What a backup leaves out: gitignore-style excludes work end to end (engine
 * and CLI), and a named pipe, an unreadable file and an unreadable folder
 * become warnings while the snapshot of everything else still completes.
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, restore, Vault } from '../../src-main/engine/vault/index.ts';
import type { BackupSummary } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { contentOf, prose, readTree, runCli, useScratch } from './helpers.ts';

const scratch = useScratch('scan');
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

const EXCLUDES = ['*.log', '!important.log', 'node_modules/', '/build/', 'docs/**/*.tmp', 'cache/', 'tmp/'];

/** Paths in the source, and whether the excludes above keep them (as `git ls-files` agrees). */
const LAYOUT: [string, boolean][] = [
  ['keep.txt', true],
  ['debug.log', false],
  ['important.log', true],
  ['node_modules/pkg/index.js', false],
  ['src/app.ts', true],
  ['src/node_modules/dep.js', false],
  ['build/out.bin', false],
  ['src/build/kept.ts', true],
  ['docs/a/b/c.tmp', false],
  ['docs/a/readme.md', true],
  ['docs/top.tmp', false], // "**/" also matches no folder at all
  ['cache', true], // a file: "cache/" only matches folders
  ['tmp/scratch.txt', false],
  ['sub/tmp/deep.txt', false],
];

async function writeLayout(src: string): Promise<void> {
  for (const [i, [path]] of LAYOUT.entries()) {
    await mkdir(dirname(join(src, path)), { recursive: true });
    await writeFile(join(src, path), prose(i, 500 + i));
  }
}

/** The files (not folders) a restore brought back. */
async function restoredFiles(vault: Vault, snapshotId: string): Promise<string[]> {
  const target = join(await scratch('out'), 'out');
  const r = await restore(vault, vault.resolveSnapshot(snapshotId), target);
  expect(r.problems).toEqual([]);
  return [...(await readTree(target))].filter(([, e]) => e.type === 'file').map(([k]) => k).sort();
}

async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const d of await readdir(dir, { withFileTypes: true })) {
    if (d.isDirectory()) await chownTree(join(dir, d.name), uid);
    else await chown(join(dir, d.name), uid, uid);
  }
}

describe('excludes', () => {
  it('leave out exactly what the gitignore-style patterns match, through the engine and the CLI', async () => {
    const src = join(await scratch('src'), 'project');
    await writeLayout(src);
    const kept = LAYOUT.filter(([, keep]) => keep).map(([p]) => p).sort();
    const vaultDir = join(await scratch('vault'), 'v');
    const vault = await Vault.create(vaultDir, PASSWORD, FAST_OPTIONS);
    try {
      const s = await backup(vault, src, { exclude: EXCLUDES });
      expect(s.warnings).toEqual([]);
      expect(await restoredFiles(vault, s.snapshotId)).toEqual(kept);
      expect(s.files).toBe(kept.length);
    } finally {
      await vault.close();
    }

    const cli = await runCli(['backup', vaultDir, src, '--project', 'via cli', '--json', ...EXCLUDES.flatMap((p) => ['--exclude', p])]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const summary = JSON.parse(cli.stdout) as BackupSummary;
    const again = await Vault.open(vaultDir, PASSWORD, FAST_OPTIONS);
    try {
      expect(await restoredFiles(again, summary.snapshotId)).toEqual(kept);
      expect(summary.files).toBe(kept.length);
    } finally {
      await again.close();
    }
  });
});

describe('entries that cannot be backed up', () => {
  it('a FIFO, an unreadable file and an unreadable folder become warnings; the snapshot completes', async () => {
    const base = await scratch('special');
    await chmod(base, 0o755);
    const src = join(base, 'src');
    await mkdir(join(src, 'locked'), { recursive: true });
    await mkdir(join(src, 'open'));
    await writeFile(join(src, 'fine.txt'), 'readable\n');
    await writeFile(join(src, 'open', 'also-fine.txt'), 'readable too\n');
    await writeFile(join(src, 'secret.txt'), 'nobody may read this\n');
    await writeFile(join(src, 'locked', 'hidden.txt'), 'in a folder nobody may list\n');
    execFileSync('mkfifo', [join(src, 'pipe')]);
    await chmod(join(src, 'secret.txt'), 0o000);
    await chmod(join(src, 'locked'), 0o000);

    const vaultDir = join(base, 'vault');
    const vault = await Vault.create(vaultDir, PASSWORD, FAST_OPTIONS);
    await vault.close();
    // Root reads everything, so as root the backup runs as "nobody", for whom the modes above hold.
    if (asRoot) await chownTree(vaultDir, NOBODY);
    const res = await runCli(['backup', vaultDir, src], asRoot ? { uid: NOBODY, gid: NOBODY, env: { HOME: base } } : {});
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Snapshot [0-9a-f]{12} of 'src': 2 files, 1 folders/);
    const warnings = res.stderr.split('\n').filter((l) => l.length > 0);
    expect(warnings).toHaveLength(3);
    expect(warnings.find((w) => w.startsWith('warning: pipe: '))).toMatch(/named pipe/);
    expect(warnings.find((w) => w.startsWith('warning: secret.txt: '))).toMatch(/permission denied/i);
    expect(warnings.find((w) => w.startsWith('warning: locked: '))).toMatch(/could not be listed/);

    const again = await Vault.open(vaultDir, PASSWORD, FAST_OPTIONS);
    try {
      const [snap] = again.catalog.listSnapshots();
      expect(snap!.warnings).toHaveLength(3);
      const target = join(await scratch('special-out'), 'out');
      expect((await restore(again, snap!, target)).problems).toEqual([]);
      expect(contentOf(await readTree(target))).toEqual({
        'fine.txt': expect.stringMatching(/^file:/),
        open: 'dir',
        'open/also-fine.txt': expect.stringMatching(/^file:/),
      });
    } finally {
      await again.close();
    }
  });
});
