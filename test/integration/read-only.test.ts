/**
 * A vault this process may not write (a write-protected drive): its
 * snapshots are listed, restored and verified through a private copy of its catalog,
 * nothing in it changes, the copy is gone afterwards, and anything that
 * would change the vault is refused with one clear line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restore, Vault } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { expectOneErrorLine, expectSameTree, newVaultWithData, readTree, runCli, useScratch } from './helpers.ts';

const scratch = useScratch('read-only');
const catalogCopies = async () => (await readdir(tmpdir())).filter((n) => n.startsWith('mmry-catalog-copy-'));

/** Runs `fn` while `dir` cannot be written: a read-only bind mount as root (root ignores modes), else mode 0o555. */
async function readOnly<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('mount', ['--bind', '-o', 'ro', dir, dir]);
  else await chmod(dir, 0o555);
  try {
    return await fn();
  } finally {
    if (asRoot) execFileSync('umount', [dir]);
    else await chmod(dir, 0o755);
  }
}

describe('a vault on a read-only disk', () => {
  it('lists, restores and verifies its snapshots, leaves no copy of its catalog behind, and refuses a backup', async () => {
    const { vaultDir, src, snapshotId } = await newVaultWithData(scratch);
    const before = await readTree(vaultDir);
    const copiesBefore = await catalogCopies();

    await readOnly(vaultDir, async () => {
      const vault = await Vault.open(vaultDir, PASSWORD, FAST_OPTIONS);
      try {
        expect(vault.catalog.listSnapshots().map((s) => s.id)).toEqual([snapshotId]);
        const target = join(await scratch('out'), 'out');
        const r = await restore(vault, vault.resolveSnapshot('latest'), target);
        expect(r.problems).toEqual([]);
        expectSameTree(await readTree(target), await readTree(src));
        // A note would land in the private copy and be gone at close: refused, with the reason.
        expect(() => vault.catalog.setSnapshotLabels(snapshotId, 'kept?', ['tag'])).toThrow(expect.objectContaining({ kind: 'permission-denied', message: expect.stringMatching(/cannot be written .* notes and tags cannot be changed/) }));
      } finally {
        await vault.close();
      }
      const listed = await runCli(['snapshots', vaultDir, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect((JSON.parse(listed.stdout) as { id: string }[]).map((s) => s.id)).toEqual([snapshotId]);
      const verified = await runCli(['verify', vaultDir, '--read-data', '--json']);
      expect(verified.code, verified.stderr).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ healthy: true, readData: true });
      const refused = await runCli(['backup', vaultDir, src]);
      expect(refused.code).not.toBe(0);
      if (process.getuid?.() === 0) expectOneErrorLine(refused, /is on a read-only disk: its snapshots can be listed and restored, but nothing can change it/);
      else expectOneErrorLine(refused, /Permission denied/);
    });

    expect((await catalogCopies()).filter((n) => !copiesBefore.includes(n))).toEqual([]);
    expectSameTree(await readTree(vaultDir), before);
  });

  it('removes the catalog copy a dead process left behind, and keeps a live one', async () => {
    const { vaultDir } = await newVaultWithData(scratch);
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const left = join(tmpdir(), `mmry-catalog-copy-${deadPid}-test01`);
    const live = join(tmpdir(), `mmry-catalog-copy-${process.pid}-test02`);
    for (const dir of [left, live]) {
      await mkdir(dir);
      await writeFile(join(dir, 'catalog.db'), 'encrypted leftovers');
    }
    try {
      await readOnly(vaultDir, async () => {
        const vault = await Vault.open(vaultDir, PASSWORD, FAST_OPTIONS);
        await vault.close();
      });
      expect(existsSync(left)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      await rm(left, { recursive: true, force: true });
      await rm(live, { recursive: true, force: true });
    }
  });
});
