/**
 * The catalog checkpoint is rewritten only when due (heal/catalog-heal.ts
 * `checkpointDue`), and a catalog rebuilt from an older checkpoint and the
 * packs still gives every snapshot back as it was: figures from the
 * version 2 manifests, notes and tags because changing them makes the
 * checkpoint due. Real vaults, real folders, the real `mmry repair`.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, CHECKPOINT_LAG } from '../../src-main/engine/heal/catalog-heal.ts';
import { backup, Vault } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { prose, runCli, useScratch, withOpenVault } from './helpers.ts';

const scratch = useScratch('checkpoint');

let dir: string;
let src: string;

beforeEach(async () => {
  const root = await scratch();
  dir = join(root, 'vault');
  src = join(root, 'src');
  await (await Vault.create(dir, PASSWORD, FAST_OPTIONS)).close();
  await mkdir(src, { recursive: true });
  for (let i = 0; i < 5; i++) await writeFile(join(src, `file${i}.txt`), prose(i, 3_000));
});

const checkpointBytes = () => readFile(join(dir, CHECKPOINT_FILE));

const withVault = <T>(fn: (v: Vault) => Promise<T>): Promise<T> => withOpenVault(dir, FAST_OPTIONS, fn);

/** Deletes the live catalog and rebuilds it with `mmry repair`, from the checkpoint and the packs. */
async function rebuild(): Promise<void> {
  for (const f of ['catalog.db', 'catalog.db-wal', 'catalog.db-shm']) await rm(join(dir, f), { force: true });
  const res = await runCli(['repair', dir], { password: PASSWORD });
  expect([res.code, res.stderr]).toEqual([0, '']);
}

const rows = (v: Vault) => v.catalog.listSnapshots().map(({ projectId: _p, ...row }) => ({ ...row, treeId: row.treeId.toString('hex') }));

describe('the catalog checkpoint', () => {
  it('is written by a first backup, and not rewritten by the next ones until due', async () => {
    await withVault((v) => backup(v, src));
    const first = await checkpointBytes();
    await withVault(async (v) => {
      await backup(v, src); // unchanged
      await writeFile(join(src, 'file1.txt'), prose(99, 5_000));
      await backup(v, src); // one file changed
    });
    expect((await checkpointBytes()).equals(first)).toBe(true);
  });

  it('is rewritten after a note or tag changed, so the next rebuild keeps them', async () => {
    await withVault((v) => backup(v, src));
    const first = await checkpointBytes();
    const labelled = await withVault(async (v) => {
      const id = v.catalog.listSnapshots()[0]!.id;
      v.catalog.setSnapshotLabels(id, 'before the refactor', ['release']);
      await backup(v, src);
      return id;
    });
    expect((await checkpointBytes()).equals(first)).toBe(false);
    const second = await checkpointBytes();
    await withVault((v) => backup(v, src));
    expect((await checkpointBytes()).equals(second)).toBe(true); // the edit is in the checkpoint now
    await rebuild();
    await withVault(async (v) => {
      expect(v.catalog.findSnapshots(labelled)[0]!.note).toBe('before the refactor');
      expect(v.catalog.snapshotTags().get(labelled)).toEqual(['release']);
    });
  });

  it(`is rewritten once ${CHECKPOINT_LAG} snapshots came after it`, async () => {
    await withVault(async (v) => {
      await backup(v, src);
      let before = await checkpointBytes();
      let rewrittenAfter = 0;
      for (let n = 1; n <= CHECKPOINT_LAG && rewrittenAfter === 0; n++) {
        await backup(v, src);
        const now = await checkpointBytes();
        if (!now.equals(before)) rewrittenAfter = n;
        before = now;
      }
      // Each unchanged backup adds one snapshot and one pack (its manifest's).
      expect(rewrittenAfter).toBe(CHECKPOINT_LAG);
    });
  });

  it('rebuilt from an older checkpoint and the packs, gives back every snapshot row exactly', async () => {
    const expected = await withVault(async (v) => {
      await backup(v, src);
      await writeFile(join(src, 'new.txt'), prose(7, 40_000));
      await backup(v, src);
      await backup(v, src, { project: 'other' });
      await backup(v, src);
      return rows(v);
    });
    await rebuild();
    await withVault(async (v) => {
      expect(rows(v)).toEqual(expected);
      expect(expected.map((r) => r.filesNew)).toEqual([5, 1, 6, 0]);
      expect(expected.every((r) => r.storedBytes > 0 && r.durationMs > 0)).toBe(true);
    });
    // The same from the packs alone: the manifests carry the figures.
    await rm(join(dir, CHECKPOINT_FILE));
    await rebuild();
    await withVault(async (v) => expect(rows(v)).toEqual(expected));
  });
});
