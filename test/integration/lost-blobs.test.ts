/**
 * After damage beyond repair, `mmry repair` records the lost blobs
 * (catalog migration 0008), and the next backup stores what they held again
 * from the source, so the new snapshot is whole even where the files did
 * not change. Real vaults with parity off (a deleted pack cannot be
 * rebuilt), real packs, the real CLI for the repair.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openForHealing, verify } from '../../src-main/engine/heal/index.ts';
import { loadGroups } from '../../src-main/engine/heal/parity-store.ts';
import { BlobKind } from '../../src-main/engine/packs/seal.ts';
import { backup, restore, Vault } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { expectSameTree, prose, readTree, runCli, useScratch, withOpenVault } from './helpers.ts';

const scratch = useScratch('lost-blobs');
/** Parity off, and packs small enough that the project spans several. */
const OPTIONS = { ...FAST_OPTIONS, redundancy: 0, packTargetBytes: 48 * 1024 };

let dir: string;
let src: string;

beforeEach(async () => {
  const root = await scratch();
  dir = join(root, 'vault');
  src = join(root, 'src');
  for (let d = 0; d < 4; d++) {
    await mkdir(join(src, `dir${d}`, 'inner'), { recursive: true });
    for (let i = 0; i < 6; i++) await writeFile(join(src, `dir${d}`, `small${i}.txt`), prose(d * 100 + i, 1_500 + 400 * i));
    // Incompressible, so the packs fill up: the project spans several.
    await writeFile(join(src, `dir${d}`, 'inner', 'large.bin'), randomBytes(60_000));
  }
  await (await Vault.create(dir, PASSWORD, OPTIONS)).close();
});

const withVault = <T>(fn: (v: Vault) => Promise<T>): Promise<T> => withOpenVault(dir, OPTIONS, fn);

/** Deletes every pack without a manifest for which `pick` says yes, given the kinds of blob in it; returns their ids. */
async function deletePacks(pick: (kinds: Set<BlobKind>) => boolean): Promise<string[]> {
  const doomed = await withVault(async (v) =>
    v.catalog.listPacks().flatMap((p) => {
      const kinds = new Set(v.catalog.blobsInPack(p.id).map((b) => b.kind));
      return !kinds.has(BlobKind.snapshot) && pick(kinds) ? [p.id] : [];
    }),
  );
  expect(doomed.length).toBeGreaterThan(0);
  for (const id of doomed) await rm(join(dir, 'packs', `${id}.pack`));
  return doomed;
}

async function report() {
  const target = await openForHealing(dir, PASSWORD, { threads: 1 });
  try {
    return await verify(target, { readData: true });
  } finally {
    await target.close();
  }
}

describe('content lost beyond repair', () => {
  it('is stored again by the next backup, which heals the older snapshots too; then repair forgets the lost packs', async () => {
    const first = await withVault((v) => backup(v, src));
    // File content only: every folder listing stays readable, so only the lost content can tell.
    await deletePacks((kinds) => (kinds.has(BlobKind.chunk) || kinds.has(BlobKind.bundle)) && !kinds.has(BlobKind.tree));
    const before = await report();
    const lostFiles = before.affected.map((a) => a.path);
    expect(lostFiles.length).toBeGreaterThan(0);
    expect(before.lossUnrecorded).toBeGreaterThan(0);
    // verify says what to do: repair records the loss, the next backup stores the files again.
    const verified = await runCli(['verify', dir]);
    expect(verified.code).toBe(4);
    expect(verified.stdout).toContain("Run 'mmry repair': it repairs what can be repaired and records what is lost");

    const repaired = await runCli(['repair', dir]);
    expect(repaired.code).toBe(4); // the damage itself stays: the first snapshot still needs those packs
    expect(repaired.stdout).toMatch(/recorded \d+ blob\(s\) beyond repair: the next backup of each affected project stores those files again/);
    // A second repair finds nothing new to record, and verify no longer sends the user to repair.
    expect((await runCli(['repair', dir])).stdout).not.toContain('beyond repair:');
    expect((await report()).lossUnrecorded).toBe(0);
    const recorded = await runCli(['verify', dir]);
    expect(recorded.stdout).toContain('What is lost is recorded: the next backup of each affected project stores those files again');
    expect(recorded.stdout).not.toContain("Run 'mmry repair'");

    const second = await withVault((v) => backup(v, src));
    expect(second.filesChanged).toBe(new Set(lostFiles).size);
    // Blobs are found by content: storing them again heals every snapshot that needs them.
    for (const s of [second, first]) {
      const out = join(await scratch(), 'out');
      await withVault((v) => restore(v, v.resolveSnapshot(s.snapshotId), out));
      expectSameTree(await readTree(out), await readTree(src));
    }
    // What is left is the deleted packs, which nothing needs now: repair forgets them.
    const after = await report();
    expect(after.affected).toEqual([]);
    expect(after.damage.length).toBeGreaterThan(0);
    expect(after.damage.every((d) => d.repairable && d.what.includes('no snapshot needs anything in it any more'))).toBe(true);
    const last = await runCli(['repair', dir]);
    expect(last.code).toBe(0);
    expect(last.stdout).toMatch(/forgot \d+ lost pack\(s\) that nothing needs any more/);
    expect((await report()).healthy).toBe(true);

    const third = await withVault((v) => backup(v, src));
    expect([third.filesNew, third.filesChanged, third.filesUnmodified]).toEqual([0, 0, second.files]);
  });

  it('with parity on, two lost packs of one group: stored again by the next backup, then repair drops the group and protects the rest anew', async () => {
    const parityDir = join(await scratch(), 'parity-vault');
    await (await Vault.create(parityDir, PASSWORD, { ...OPTIONS, redundancy: 0.1 })).close();
    dir = parityDir;
    await withVault((v) => backup(v, src, { project: 'p' }));
    // Two content-only packs of the same group: one parity file cannot rebuild the rows both cover.
    const groups = [...(await loadGroups(dir)).values()];
    const kinds = await withVault(async (v) => new Map(v.catalog.listPacks().map((p) => [p.id, new Set(v.catalog.blobsInPack(p.id).map((b) => b.kind))])));
    const contentOnly = (id: string) => { const k = kinds.get(id)!; return !k.has(BlobKind.tree) && !k.has(BlobKind.snapshot); };
    const group = groups.find((g) => g.desc.members.filter((m) => contentOnly(m.packId)).length >= 2)!;
    expect(group).toBeDefined();
    const doomed = group.desc.members.map((m) => m.packId).filter(contentOnly).slice(0, 2);
    for (const id of doomed) await rm(join(dir, 'packs', `${id}.pack`));
    expect((await report()).affected.length).toBeGreaterThan(0);
    expect((await runCli(['repair', dir])).code).toBe(4);

    const second = await withVault((v) => backup(v, src, { project: 'p' }));
    expect(second.filesChanged).toBeGreaterThan(0);
    const before = await report();
    expect([before.affected, before.damage.every((d) => d.repairable)]).toEqual([[], true]);
    const last = await runCli(['repair', dir]);
    expect(last.code).toBe(0);
    expect(last.stdout).toContain('and dropped 1 parity group(s) with them');
    const after = await report();
    expect([after.healthy, after.unprotectedPacks]).toEqual([true, 0]);
    expect((await loadGroups(dir)).has(group.desc.groupId)).toBe(false);
    const out = join(await scratch(), 'out');
    await withVault((v) => restore(v, v.resolveSnapshot(second.snapshotId), out));
    expectSameTree(await readTree(out), await readTree(src));
  });

  it('in a pack that is gone, with no repair in between: the next backup finds it unrebuildable, warns once, and stores the files again', async () => {
    await withVault((v) => backup(v, src));
    await deletePacks((kinds) => (kinds.has(BlobKind.chunk) || kinds.has(BlobKind.bundle)) && !kinds.has(BlobKind.tree));
    const lostFiles = new Set((await report()).affected.map((a) => a.path));
    const second = await withVault((v) => backup(v, src));
    expect(second.filesChanged).toBe(lostFiles.size);
    expect(second.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^\d+ pack file\(s\) of the vault are missing and no parity can rebuild them/)]);
    const out = join(await scratch(), 'out');
    await withVault((v) => restore(v, v.resolveSnapshot(second.snapshotId), out));
    expectSameTree(await readTree(out), await readTree(src));
    const third = await withVault((v) => backup(v, src));
    expect([third.filesChanged, third.warnings]).toEqual([0, []]);
  });

  it('in a pack that is gone but that parity rebuilds, is left to the parity: the backup stores nothing again, and reads heal', async () => {
    dir = join(await scratch(), 'parity-vault');
    await (await Vault.create(dir, PASSWORD, { ...OPTIONS, redundancy: 0.1 })).close();
    const first = await withVault((v) => backup(v, src));
    const groups = [...(await loadGroups(dir)).values()];
    const member = groups.flatMap((g) => g.desc.members.map((m) => m.packId))[0]!;
    const kinds = await withVault(async (v) => new Set(v.catalog.blobsInPack(member).map((b) => b.kind)));
    expect(kinds.has(BlobKind.snapshot)).toBe(false);
    await rm(join(dir, 'packs', `${member}.pack`));
    const second = await withVault((v) => backup(v, src));
    expect([second.filesChanged, second.warnings]).toEqual([0, []]);
    const out = join(await scratch(), 'out');
    await withVault((v) => restore(v, v.resolveSnapshot(first.snapshotId), out));
    expectSameTree(await readTree(out), await readTree(src));
  });

  it('in a lost folder listing, has the folder listed and stored again, with a warning', async () => {
    // Enough folders that their listings fill more than the last pack, which holds the manifest.
    for (let f = 0; f < 300; f++) {
      await mkdir(join(src, 'many', `folder-${f}`), { recursive: true });
      await writeFile(join(src, 'many', `folder-${f}`, 'note.txt'), `note ${f}`);
    }
    await withVault((v) => backup(v, src));
    const lostFiles = new Set<string>();
    // Packs holding listings (and content): the walk cannot read those previous listings.
    await deletePacks((kinds) => kinds.has(BlobKind.tree));
    for (const a of (await report()).affected) lostFiles.add(a.path);
    expect([...lostFiles].some((p) => p.endsWith('(listing)'))).toBe(true); // a folder listing is among the losses
    expect((await runCli(['repair', dir])).code).toBe(4);

    const second = await withVault((v) => backup(v, src));
    expect(second.warnings.some((w) => w.message.includes('damaged beyond repair; its files were read again'))).toBe(true);
    const out = join(await scratch(), 'out');
    await withVault((v) => restore(v, v.resolveSnapshot(second.snapshotId), out));
    expectSameTree(await readTree(out), await readTree(src));
  });
});
