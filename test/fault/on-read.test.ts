/**
 * Healing on read (heal/on-read.ts and the Vault's readSealedHealing /
 * healSealed): a blob whose bytes are damaged, whose pack is cut short or
 * deleted, comes back exactly as sealed, rebuilt in memory from parity, and
 * nothing in the vault is written; damage beyond the parity of a row, or a
 * vault without parity, gives no bytes at all. Real vaults on disk, the real
 * worker pool. See harness.ts.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NewBlob } from '../../src-main/engine/catalog/index.ts';
import { VaultError } from '../../src-main/engine/errors.ts';
import { healRange, openForHealing, repair, writeSettings } from '../../src-main/engine/heal/index.ts';
import { BlobKind } from '../../src-main/engine/packs/seal.ts';
import { Vault, backup } from '../../src-main/engine/vault/index.ts';
import {
  BASE_SEED,
  HEAL_THREADS,
  PASSWORD,
  STRIPE,
  biggestGroup,
  buildTemplate,
  chunkOnly,
  engineVerify,
  flipBits,
  flipByte,
  garble,
  noise,
  packRel,
  parityRel,
  rng,
  seededCases,
  seedFor,
  sha256,
  truncateTo,
  useScratch,
  vaultOptions,
  vaultState,
} from './harness.ts';
import { LAYOUT_V1 } from '../../src-main/engine/heal/layout.ts';
import type { Rng, Template } from './harness.ts';

const scratch = useScratch('on-read');
let t: Template;
const seeded = seededCases(() => t, scratch);

beforeAll(async () => {
  // Groups as layout version 1 wrote them (20 members, 2 parity files, one stripe per row): these
  // cases count erasures against m = 2, and healing on read must keep working on such vaults.
  t = await buildTemplate(await scratch('template'), seedFor('template:on-read'), { layout: LAYOUT_V1 });
  expect(biggestGroup(t).parityCount).toBe(2);
  expect(biggestGroup(t).cells).toBe(1);
});

async function openVault(dir: string, options = t.options): Promise<Vault> {
  return Vault.open(dir, PASSWORD, { ...options, threads: HEAL_THREADS });
}

function place(packId: string, b: NewBlob) {
  return { packId, offset: b.offset, length: b.length, kind: b.kind };
}

function sourceOf(dir: string) {
  return { dir, packsDir: join(dir, 'packs') };
}

/** A content-only member of the template's biggest group, and one of its blobs spanning several stripes. */
function pickBlob(r: Rng, v: Vault): { pack: string; blob: NewBlob } {
  const pack = r.pick(chunkOnly(t, biggestGroup(t).members.map((m) => m.packId)));
  const blob = r.pick(v.catalog.blobsInPack(pack).filter((b) => b.length > 3 * STRIPE));
  return { pack, blob };
}

/** The pack and parity files, content and mtime: what healing on read must never write. */
async function dataFiles(dir: string) {
  return new Map([...(await vaultState(dir))].filter(([rel]) => rel.startsWith('packs/') || rel.startsWith('parity/')));
}

/** Byte offset of row `row` in parity shard `j` (after its length-prefixed descriptor). */
async function parityRowAt(dir: string, groupId: string, j: number, row: number): Promise<number> {
  return 4 + (await readFile(join(dir, parityRel(groupId, j)))).readUInt32LE(0) + row * STRIPE;
}

describe(`healing a blob as it is read (MMRY_FAULT_SEED=${BASE_SEED})`, () => {
  {
    const [name, run] = seeded('bytes flipped inside a blob, and a parity stripe of the same row');
    it(
      name,
      run(async (r, dir) => {
        const v = await openVault(dir);
        try {
          const { pack, blob } = pickBlob(r, v);
          const path = join(dir, packRel(pack));
          const original = Buffer.from((await readFile(path)).subarray(blob.offset, blob.offset + blob.length));
          const [plain] = await v.pool.open([{ sealed: original, id: blob.id, kind: blob.kind, rawLength: blob.rawLength }]);
          const offsets = await flipBits(path, r, r.int(2, 6), [blob.offset, blob.offset + blob.length]);
          // Two erasures in that row (the pack and one parity shard): exactly m = 2.
          const g = biggestGroup(t);
          const j = r.int(0, g.parityCount);
          await flipByte(join(dir, parityRel(g.groupId, j)), await parityRowAt(dir, g.groupId, j, Math.floor(offsets[0]! / STRIPE)), r.int(1, 256));
          const damaged = await readFile(path);
          const before = await dataFiles(dir);

          const healed = await healRange(sourceOf(dir), pack, blob.offset, blob.length);
          expect(healed).toBeDefined();
          expect(sha256(healed!)).toBe(sha256(original));
          // Nothing was written: the pack is still damaged, every file as it was.
          expect(await dataFiles(dir)).toEqual(before);
          expect(sha256(await readFile(path))).toBe(sha256(damaged));

          // Through the vault: the read path, and the pool path's fallback.
          expect(sha256(await v.readSealedHealing(blob.id, place(pack, blob)))).toBe(sha256(original));
          const item = { sealed: damaged.subarray(blob.offset, blob.offset + blob.length), id: blob.id, kind: blob.kind, rawLength: blob.rawLength };
          const refused = await v.pool.open([item]).then(() => null, (err: unknown) => err);
          expect(refused).toBeInstanceOf(VaultError);
          const sealed = await v.healSealed(blob.id, place(pack, blob), refused);
          const [again] = await v.pool.open([{ ...item, sealed }]);
          expect(sha256(again!)).toBe(sha256(plain!));
          expect(await dataFiles(dir)).toEqual(before);
        } finally {
          await v.close();
        }
      }),
    );
  }
  {
    const [name, run] = seeded('a deleted pack: every blob, and the whole pack across several windows');
    it(
      name,
      run(async (r, dir) => {
        const g = biggestGroup(t);
        // The longest member: more rows than one decoding window.
        const member = [...g.members].sort((a, b) => b.length - a.length)[0]!;
        const path = join(dir, packRel(member.packId));
        const original = await readFile(path);
        await rm(path);
        const before = await dataFiles(dir);
        const v = await openVault(dir);
        try {
          const blobs = v.catalog.blobsInPack(member.packId);
          expect(blobs.length).toBeGreaterThan(0);
          for (const b of blobs) {
            const want = sha256(original.subarray(b.offset, b.offset + b.length));
            expect(sha256((await healRange(v, member.packId, b.offset, b.length))!)).toBe(want);
            expect(sha256(await v.readSealedHealing(b.id, place(member.packId, b)))).toBe(want);
          }
          expect(member.length).toBeGreaterThan(64 * STRIPE);
          expect(sha256((await healRange(v, member.packId, 0, member.length))!)).toBe(sha256(original));
          // Past what the group protects: nothing to give.
          expect(await healRange(v, member.packId, member.length - 10, 11)).toBeUndefined();
        } finally {
          await v.close();
        }
        expect(await dataFiles(dir)).toEqual(before);
      }),
    );
  }
  {
    const [name, run] = seeded('a pack cut short inside a blob');
    it(
      name,
      run(async (r, dir) => {
        const v = await openVault(dir);
        try {
          const { pack, blob } = pickBlob(r, v);
          const path = join(dir, packRel(pack));
          const original = await readFile(path);
          await truncateTo(path, blob.offset + r.int(1, blob.length));
          const read = await v.reader.read(pack, blob.offset, blob.length).then(() => null, (err: unknown) => err);
          expect(read).toBeInstanceOf(VaultError);
          const want = sha256(original.subarray(blob.offset, blob.offset + blob.length));
          expect(sha256((await healRange(v, pack, blob.offset, blob.length))!)).toBe(want);
          expect(sha256(await v.readSealedHealing(blob.id, place(pack, blob)))).toBe(want);
          // Every later blob of the pack, wholly past the cut.
          for (const b of v.catalog.blobsInPack(pack).filter((x) => x.offset > blob.offset)) {
            expect(sha256(await v.readSealedHealing(b.id, place(pack, b)))).toBe(sha256(original.subarray(b.offset, b.offset + b.length)));
          }
        } finally {
          await v.close();
        }
      }),
    );
  }
  {
    const [name, run] = seeded('beyond the budget: m + 1 members damaged in one row');
    it(
      name,
      run(async (r, dir) => {
        const g = biggestGroup(t);
        const v = await openVault(dir);
        try {
          const { pack, blob } = pickBlob(r, v);
          const path = join(dir, packRel(pack));
          const original = await readFile(path);
          const row = Math.floor(blob.offset / STRIPE) + 1;
          const others = r.sample(
            g.members.filter((m) => m.packId !== pack && m.length >= (row + 1) * STRIPE),
            g.parityCount,
          );
          // Dense damage (every byte of the row), which cannot be placed byte by byte either.
          await garble(path, r, row * STRIPE, STRIPE);
          const undo: (() => Promise<void>)[] = [];
          for (const m of others) undo.push(await garble(join(dir, packRel(m.packId)), r, row * STRIPE, STRIPE));
          const before = await dataFiles(dir);

          expect(await healRange(v, pack, blob.offset, blob.length)).toBeUndefined();
          const err = await v.readSealedHealing(blob.id, place(pack, blob)).then(() => null, (e: unknown) => e);
          expect(err).toBeInstanceOf(VaultError);
          expect((err as VaultError).kind).toBe('damaged-data');
          expect((err as VaultError).message).toMatch(/parity cannot rebuild it/);
          expect(await dataFiles(dir)).toEqual(before);

          // Rows are independent: another blob of the same pack, damaged in a row only it is
          // damaged in, still heals.
          const other = v.catalog.blobsInPack(pack).find((b) => b.offset >= (row + 1) * STRIPE);
          if (other) {
            await flipByte(path, other.offset + r.int(0, other.length), r.int(1, 256));
            expect(sha256((await healRange(v, pack, other.offset, other.length))!)).toBe(sha256(original.subarray(other.offset, other.offset + other.length)));
          }
          // Back within the budget (m erasures in the row): it heals.
          await undo[0]!();
          expect(sha256((await healRange(v, pack, blob.offset, blob.length))!)).toBe(sha256(original.subarray(blob.offset, blob.offset + blob.length)));
        } finally {
          await v.close();
        }
      }),
    );
  }
});

describe('verify reads listings the way a restore does', () => {
  const [name, run] = seeded('a damaged listing the parity can rebuild is not reported as affected');
  it(
    name,
    run(async (r, dir) => {
      const g = biggestGroup(t);
      const v = await openVault(dir);
      let tree: { pack: string; blob: NewBlob };
      let row: number;
      try {
        const holders = g.members.map((m) => m.packId).filter((id) => t.packs.find((p) => p.id === id)?.kinds.has(BlobKind.tree));
        const pack = r.pick(holders);
        tree = { pack, blob: r.pick(v.catalog.blobsInPack(pack).filter((b) => b.kind === BlobKind.tree)) };
        // A row the listing does not touch, to lose beyond the parity elsewhere in the group.
        const first = Math.floor(tree.blob.offset / STRIPE);
        row = first > 0 ? 0 : Math.floor((tree.blob.offset + tree.blob.length - 1) / STRIPE) + 1;
      } finally {
        await v.close();
      }
      const losers = r.sample(
        chunkOnly(t, g.members.filter((m) => m.packId !== tree.pack && m.length >= (row + 1) * STRIPE).map((m) => m.packId)),
        g.parityCount + 1,
      );
      for (const id of losers) await garble(join(dir, packRel(id)), r, row * STRIPE, STRIPE);
      await flipByte(join(dir, packRel(tree.pack)), tree.blob.offset + r.int(0, tree.blob.length), r.int(1, 256));

      const report = await engineVerify(dir);
      expect(report.damage.find((d) => d.where === packRel(tree.pack))?.repairable).toBe(true);
      expect(report.affected.length).toBeGreaterThan(0);
      expect(report.affected.filter((a) => a.path.endsWith('(listing)'))).toEqual([]);
    }),
  );
});

describe('a vault without parity', () => {
  it(`gives nothing until its packs are protected [seed ${seedFor('on-read:off')}]`, async () => {
    const r = rng(seedFor('on-read:off'));
    const root = await scratch('off');
    const src = join(root, 'src');
    const dir = join(root, 'vault');
    const options = vaultOptions();
    await mkdir(src, { recursive: true });
    for (let i = 0; i < 3; i++) await writeFile(join(src, `f${i}.bin`), noise(`${r.seed}:${i}`, 150 * 1024));
    const created = await Vault.create(dir, PASSWORD, { ...options, redundancy: 0 });
    try {
      await backup(created, src, { project: 'off' });
    } finally {
      await created.close();
    }

    const v = await openVault(dir, options);
    try {
      const pack = v.catalog.listPacks()[0]!.id;
      const blob = r.pick(v.catalog.blobsInPack(pack));
      const path = join(dir, packRel(pack));
      // Intact: read as it is. Unprotected: healing has nothing to offer.
      const intact = await v.readSealedHealing(blob.id, place(pack, blob));
      expect(await healRange(v, pack, blob.offset, blob.length)).toBeUndefined();
      const restore = await flipByte(path, blob.offset + r.int(0, blob.length), r.int(1, 256));
      const err = await v.readSealedHealing(blob.id, place(pack, blob)).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(VaultError);
      expect((err as VaultError).kind).toBe('damaged-data');
      await restore();

      // Parity turned on and the packs protected by repair: the cached (empty) view of the
      // parity is dropped, and the same open vault now heals the blob.
      await writeSettings(dir, { redundancy: 0.1 });
      const target = await openForHealing(dir, PASSWORD, { threads: HEAL_THREADS });
      try {
        expect((await repair(target)).packsProtected).toBeGreaterThan(0);
      } finally {
        await target.close();
      }
      await flipByte(path, blob.offset + r.int(0, blob.length), r.int(1, 256));
      expect(sha256(await v.readSealedHealing(blob.id, place(pack, blob)))).toBe(sha256(intact));
    } finally {
      await v.close();
    }
  });
});
