/**
 * Crash safety: a backup process killed with SIGKILL at a random moment
 * (seeded, so a failure can be replayed with MMRY_CRASH_SEED) leaves a vault
 * that opens, whose earlier snapshots all restore byte-identically, and in
 * which the next backup succeeds, clearing leftover partial packs and
 * adopting sealed packs the dead run never cataloged.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { planRestore, backup, restore, Vault } from '../../src-main/engine/vault/index.ts';
import { listPacks } from '../../src-main/engine/packs/index.ts';
import { FAST_OPTIONS, PASSWORD, withPackTarget } from './config.ts';
import { BlobKind, writePack } from './craft.ts';
import { contentOf, killHard, noise, outputOf, prng, prose, readTree, startFixture, useScratch, waitForLine } from './helpers.ts';

const scratch = useScratch('crash');
const SEED = Number(process.env['MMRY_CRASH_SEED'] ?? 0x5eed);
const PACK_TARGET = 512 * 1024;
const ITERATIONS = 5;

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killHard(c);
});

/**
 * Generation `g` of the source: a `stable/` part that never changes (2 MiB,
 * reused from the previous snapshot without being read) and a `gen/` part
 * rewritten every time (6.5 MiB new to the vault, incompressible and
 * compressible), so every backup seals about ten 512 KiB packs to be killed
 * between. (Sizes are kept small to fit the suite's time budget on 2 cores.)
 */
async function writeGeneration(src: string, g: number): Promise<void> {
  if (!existsSync(join(src, 'stable'))) {
    await mkdir(join(src, 'stable'), { recursive: true });
    await writeFile(join(src, 'stable', 'base.bin'), noise('stable', 1536 * 1024));
    await writeFile(join(src, 'stable', 'base.txt'), prose(99, 512 * 1024));
  }
  await rm(join(src, 'gen'), { recursive: true, force: true });
  await mkdir(join(src, 'gen', 'text'), { recursive: true });
  for (let i = 0; i < 3; i++) await writeFile(join(src, 'gen', `data${i}.bin`), noise(`gen${g}-${i}`, 1536 * 1024));
  for (let i = 0; i < 4; i++) await writeFile(join(src, 'gen', 'text', `doc${i}.txt`), prose(g * 100 + i, 512 * 1024));
  await writeFile(join(src, 'gen', 'generation.txt'), `generation ${g}\n`);
}

async function packFiles(vaultDir: string): Promise<{ partial: string[]; sealed: string[] }> {
  const names = await readdir(join(vaultDir, 'packs'));
  return { partial: names.filter((n) => n.endsWith('.partial')), sealed: names.filter((n) => n.endsWith('.pack')) };
}

/** Every pack file on disk is in the catalog. */
async function expectPacksCataloged(vault: Vault): Promise<void> {
  const onDisk = (await listPacks(vault.packsDir)).map((p) => p.packId).sort();
  expect(vault.catalog.listPacks().map((p) => p.id).sort()).toEqual(onDisk);
}

/** Every snapshot's trees load and every content blob they name is in the catalog. */
async function expectSnapshotsComplete(vault: Vault): Promise<void> {
  for (const s of vault.catalog.listSnapshots()) {
    for (const p of await planRestore(vault, s, [])) {
      for (const id of p.entry.content ?? []) expect(vault.catalog.getBlob(id)?.kind).toBe(BlobKind.chunk);
    }
  }
}

async function expectRestores(vault: Vault, snapshotId: string, expected: Record<string, string>): Promise<void> {
  const target = join(await scratch('restore'), 'out');
  const r = await restore(vault, vault.resolveSnapshot(snapshotId), target);
  expect(r.problems).toEqual([]);
  expect(contentOf(await readTree(target))).toEqual(expected);
  await rm(target, { recursive: true, force: true });
}

describe('a backup killed with SIGKILL', () => {
  it(`leaves a vault that opens, restores every snapshot and backs up again (seed ${SEED})`, async () => {
    const rnd = prng(SEED);
    const vaultDir = join(await scratch('vault'), 'v');
    const src = join(await scratch('src'), 'project');
    const expected = new Map<string, Record<string, string>>();
    const options = withPackTarget(PACK_TARGET);

    await writeGeneration(src, 0);
    let vault = await Vault.create(vaultDir, PASSWORD, options);
    expected.set((await backup(vault, src, { project: 'p' })).snapshotId, contentOf(await readTree(src)));
    await vault.close();

    // Each backup process starts (and opens the vault) while the previous step still runs,
    // and begins its backup on "go"; only the backup itself is what gets killed.
    const spawnChild = () => {
      const child = startFixture('backup-child.ts', [vaultDir, src, 'p', String(PACK_TARGET)]);
      children.push(child);
      return child;
    };
    let child = spawnChild();

    // One uninterrupted child run shows how many packs a run seals here.
    await writeGeneration(src, 1);
    const packsBefore = (await packFiles(vaultDir)).sealed.length;
    await waitForLine(child, /^ready$/);
    child.stdin!.write('go\n');
    const [, firstId] = await waitForLine(child, /^done ([0-9a-f]{64})$/, 30_000);
    expected.set(firstId!, contentOf(await readTree(src)));
    const packsPerRun = (await packFiles(vaultDir)).sealed.length - packsBefore;
    expect(packsPerRun).toBeGreaterThanOrEqual(5);

    let killedMidRun = 0;
    child = spawnChild();
    for (let g = 2; g < 2 + ITERATIONS; g++) {
      await writeGeneration(src, g);
      const now = contentOf(await readTree(src));
      const before = new Set(expected.keys());

      // The kill point: after a random number of this run's packs are sealed, plus a random moment.
      const afterPacks = Math.floor(rnd() * (packsPerRun + 1));
      const extraMs = Math.floor(rnd() * 40);
      await waitForLine(child, /^ready$/);
      const sealedAtStart = (await packFiles(vaultDir)).sealed.length;
      const running = child;
      const finished = () => outputOf(running).includes('done ');
      running.stdin!.write('go\n');
      while (!finished() && running.exitCode === null && (await packFiles(vaultDir)).sealed.length - sealedAtStart < afterPacks) await sleep(3);
      await sleep(extraMs);
      await killHard(running);
      if (!finished()) killedMidRun++;
      if (g + 1 < 2 + ITERATIONS) child = spawnChild();

      // The vault opens, and every snapshot in it, including one the dead run may have committed, is whole.
      vault = await Vault.open(vaultDir, PASSWORD, options);
      try {
        const ids = vault.catalog.listSnapshots().map((s) => s.id);
        const added = ids.filter((id) => !before.has(id));
        expect(added.length).toBeLessThanOrEqual(1);
        for (const id of added) expected.set(id, now);
        expect(ids.sort()).toEqual([...expected.keys()].sort());
        await expectSnapshotsComplete(vault);
        for (const id of added) await expectRestores(vault, id, now);

        // The next backup clears the dead run's leftovers (stale lock, partial packs) and succeeds.
        const next = await backup(vault, src, { project: 'p' });
        expected.set(next.snapshotId, now);
        expect((await packFiles(vaultDir)).partial).toEqual([]);
        expect(existsSync(join(vaultDir, 'lock'))).toBe(false);
        await expectPacksCataloged(vault);
        await expectSnapshotsComplete(vault);
      } finally {
        await vault.close();
      }
    }
    // The kill points must actually have hit running backups most of the time.
    expect(killedMidRun).toBeGreaterThanOrEqual(3);

    // After all the crashes, every snapshot ever committed restores byte-identically.
    vault = await Vault.open(vaultDir, PASSWORD, options);
    try {
      expect(vault.catalog.listSnapshots().map((s) => s.id).sort()).toEqual([...expected.keys()].sort());
      for (const [id, content] of expected) await expectRestores(vault, id, content);
    } finally {
      await vault.close();
    }
  });

  it('adopts a sealed pack the catalog never heard of, and removes partial packs', async () => {
    const vaultDir = join(await scratch('orphan-vault'), 'v');
    const src = join(await scratch('orphan-src'), 'src');
    await mkdir(src);
    await writeFile(join(src, 'seed.txt'), 'first');
    const vault = await Vault.create(vaultDir, PASSWORD, FAST_OPTIONS);
    try {
      await backup(vault, src);
      // What a run killed between sealing a pack and cataloging it leaves behind:
      // a complete pack holding the blobs of files about to be backed up.
      const files = Array.from({ length: 40 }, (_, i) => noise(`orphan-${i}`, 3000));
      const { packId } = await writePack(vault, files.map((plain) => ({ plain, kind: BlobKind.chunk })), { catalog: false });
      for (const [i, data] of files.entries()) await writeFile(join(src, `f${i}.bin`), data);
      // ...and a pack that was still being written.
      await writeFile(join(vaultDir, 'packs', 'tmp-0123456789abcdef.partial'), noise('partial', 5000));
      expect(vault.catalog.listPacks().map((p) => p.id)).not.toContain(packId);

      const s = await backup(vault, src);
      expect(s.filesNew).toBe(40);
      expect(vault.catalog.listPacks().map((p) => p.id)).toContain(packId);
      // The 120 KB of content were already in the adopted pack: only trees and the manifest are new.
      expect(s.storedBytes).toBeLessThan(20_000);
      expect((await packFiles(vaultDir)).partial).toEqual([]);
      await expectPacksCataloged(vault);
      await expectSnapshotsComplete(vault);
      const target = join(await scratch('orphan-out'), 'out');
      const r = await restore(vault, vault.resolveSnapshot(s.snapshotId), target);
      expect(r.problems).toEqual([]);
      expect(contentOf(await readTree(target))).toEqual(contentOf(await readTree(src)));
    } finally {
      await vault.close();
    }
  });
});
