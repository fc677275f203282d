/**
 * Fault injection: damage within the parity budget, which must be repaired
 * bit for bit. Seeded bit flips in every kind of vault file (pack, parity
 * shard, group descriptor, catalog, header copy), a flipped catalog page,
 * both header copies damaged, truncated and deleted packs and parity files,
 * a deleted parity group, catalog and checkpoint, repair run twice, 100%
 * detection of single-byte flips, the CLI's --json reports; and, on the same
 * vault, three deleted packs of one group (beyond one parity file); and a
 * vault whose groups were written by layout version 1 (20 members, 2 parity
 * files), still repaired, then grown with version 2 groups.
 *
 * Every case works on a fresh copy of one template vault (two snapshots,
 * ~15 packs of the small size class, groups of today's layout: up to 10
 * members, one parity file, rows of two stripes) and ends with a
 * byte-for-byte restore of every snapshot. See harness.ts.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VaultError } from '../../src-main/engine/errors.ts';
import { inspect, openForHealing, repair, verify } from '../../src-main/engine/heal/index.ts';
import { loadGroups } from '../../src-main/engine/heal/parity-store.ts';
import { LAYOUT_V1 } from '../../src-main/engine/heal/layout.ts';
import { Vault, backup } from '../../src-main/engine/vault/index.ts';
import {
  BASE_SEED,
  HEAL_THREADS,
  PASSWORD,
  beyondBudget,
  biggestGroup,
  buildTemplate,
  engineRepair,
  engineVerify,
  expectBitPerfect,
  expectRestoreNeverWrong,
  expectRestores,
  fileSize,
  filesWith,
  flipBits,
  flipByte,
  groupRel,
  healCycle,
  openView,
  packRel,
  parityBesides,
  parityRel,
  runCli,
  seededCases,
  seedFor,
  snapshotIdentity,
  STRIPE,
  sortAffected,
  truncateBy,
  truncateTo,
  useScratch,
  vaultState,
  wheres,
} from './harness.ts';
import type { Template } from './harness.ts';

const scratch = useScratch('heal');
let t: Template;
const seeded = seededCases(() => t, scratch);

beforeAll(async () => {
  t = await buildTemplate(await scratch('template'), seedFor('template:heal'));
  expect(t.packs.length).toBeGreaterThanOrEqual(8);
  expect(t.packs.every((p) => p.size < 1024 * 1024)).toBe(true);
  expect(t.snapshots).toHaveLength(2);
  expect(t.groups.length).toBeGreaterThanOrEqual(1);
  expect(await fileSize(join(t.dir, 'catalog.checkpoint.db'))).toBeGreaterThan(0);
});

describe(`bit flips in each kind of vault file (MMRY_FAULT_SEED=${BASE_SEED})`, () => {
  {
    const [name, run] = seeded('bit flips in a pack');
    it(
      name,
      run(async (r, dir) => {
        const pack = r.pick(t.packs).id;
        const offsets = await flipBits(join(dir, packRel(pack)), r, r.int(1, 9));
        const atRisk = filesWith(t, (c) => c.pack === pack && offsets.some((o) => o >= c.offset && o < c.offset + c.length));
        // Before repair: restore writes no wrong byte, and every file with a flipped byte heals
        // on the fly from parity (a few flips in one pack are within the budget).
        const failed = await expectRestoreNeverWrong(t, dir, scratch, atRisk);
        expect(failed).toEqual([]);
        await healCycle(t, dir, scratch, { damaged: [packRel(pack)], repairedPacks: [packRel(pack)] });
      }),
    );
  }
  {
    const [name, run] = seeded("bit flips in a group's parity file bytes and in its .group descriptor");
    it(
      name,
      run(async (r, dir) => {
        const g = r.pick(t.groups);
        expect(g.parityCount).toBe(1);
        // The parity file's own descriptor copy stays good; its shard bytes have a few
        // erased stripes, each alone in its row.
        const path = join(dir, parityRel(g.groupId, 0));
        const bytes = await readFile(path);
        await flipBits(path, r, r.int(1, 9), [4 + bytes.readUInt32LE(0), bytes.length]);
        await flipBits(join(dir, groupRel(g.groupId)), r, r.int(1, 9));
        await healCycle(t, dir, scratch, { damaged: [parityRel(g.groupId, 0), groupRel(g.groupId)], rewrittenGroups: [g.groupId] });
      }),
    );
  }
  {
    const [name, run] = seeded("bit flips in a parity file's embedded descriptor (the whole shard is then erased) and in a member of another group");
    it(
      name,
      run(async (r, dir) => {
        const pack = r.pick(t.packs).id;
        const { g } = parityBesides(t, r, pack);
        const path = join(dir, parityRel(g.groupId, 0));
        await flipBits(path, r, r.int(1, 4), [0, 4 + (await readFile(path)).readUInt32LE(0)]);
        await flipBits(join(dir, packRel(pack)), r, r.int(1, 5));
        await healCycle(t, dir, scratch, { damaged: [parityRel(g.groupId, 0), packRel(pack)], repairedPacks: [packRel(pack)], rewrittenGroups: [g.groupId] });
      }),
    );
  }
  {
    const [name, run] = seeded('bit flips in catalog.db');
    it(
      name,
      run(async (r, dir) => {
        await flipBits(join(dir, 'catalog.db'), r, r.int(1, 9));
        await healCycle(t, dir, scratch, { damaged: ['catalog.db'], catalogFrom: 'checkpoint' });
        // Rebuilt from the checkpoint and the packs: the same projects, snapshots and files.
        expect(await openView(t, dir)).toEqual(t.view);
      }),
    );
  }
  {
    const [name, run] = seeded('bit flips in one header copy');
    it(
      name,
      run(async (r, dir) => {
        const copy = r.pick(['header', 'header.bak'] as const);
        await flipBits(join(dir, copy), r, r.int(1, 9));
        // Unlocking (the first step of verify) rewrites the damaged copy from the other.
        const report = await engineVerify(dir);
        expect(report.headerRepaired).toBe(copy);
        expect(report.damage).toEqual([]);
        expect((await readFile(join(dir, 'header'))).equals(await readFile(join(dir, 'header.bak')))).toBe(true);
        await expectBitPerfect(t, dir);
        const state = await vaultState(dir);
        const again = await engineRepair(dir);
        expect(again.headerRepaired).toBeNull();
        expect(again.result.repairedFiles).toEqual([]);
        expect(again.after.healthy).toBe(true);
        expect(await vaultState(dir)).toEqual(state);
        await expectRestores(t, dir, scratch);
      }),
    );
  }
});

describe('catalog pages and header copies', () => {
  {
    const [name, run] = seeded('a whole flipped catalog page in the middle of catalog.db');
    it(
      name,
      run(async (r, dir) => {
        const path = join(dir, 'catalog.db');
        const bytes = await readFile(path);
        const PAGE = 4096;
        const pages = bytes.length / PAGE;
        expect(Number.isInteger(pages) && pages >= 3).toBe(true);
        // A page from the middle third, every byte inverted.
        const page = r.int(Math.floor(pages / 3), Math.ceil((2 * pages) / 3));
        for (let i = page * PAGE; i < (page + 1) * PAGE; i++) bytes[i]! ^= 0xff;
        await writeFile(path, bytes);
        await healCycle(t, dir, scratch, { damaged: ['catalog.db'], catalogFrom: 'checkpoint' });
        expect(await openView(t, dir)).toEqual(t.view);
      }),
    );
  }
  {
    const [name, run] = seeded('both header copies damaged');
    it(
      name,
      run(async (r, dir) => {
        const saved = await readFile(join(dir, 'header'));
        for (const copy of ['header', 'header.bak']) await flipBits(join(dir, copy), r, r.int(1, 4));
        const before = await vaultState(dir);

        const err = await openForHealing(dir, PASSWORD, { threads: HEAL_THREADS }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(VaultError);
        expect((err as VaultError).kind).toBe('damaged-header');
        await expect(Vault.open(dir, PASSWORD, t.options)).rejects.toMatchObject({ kind: 'damaged-header' });
        const cli = await runCli(['repair', dir]);
        expect(cli.code).toBe(4);
        expect(cli.stderr.trim().split('\n')).toHaveLength(1);
        expect(cli.stderr).toMatch(/^mmry: .*header.*damaged/);
        // Nothing on disk changed: no "repair" of a header from a damaged copy, no lock left behind.
        expect(await vaultState(dir)).toEqual(before);

        // Putting one good copy back (from the user's own copy) makes the vault whole again.
        await writeFile(join(dir, 'header'), saved);
        expect((await engineVerify(dir)).headerRepaired).toBe('header.bak');
        await expectBitPerfect(t, dir);
        await expectRestores(t, dir, scratch);
      }),
    );
  }
});

describe('detection', () => {
  const FLIPS = 20;
  const [name, run] = seeded(`${FLIPS} single-byte flips at random offsets in packs are each detected by quick verify`);
  it(
    name,
    run(async (r, dir) => {
      const target = await openForHealing(dir, PASSWORD, { threads: HEAL_THREADS });
      const missed: string[] = [];
      try {
        for (let i = 0; i < FLIPS; i++) {
          const pack = r.pick(t.packs);
          const at = r.int(0, pack.size);
          const mask = r.int(1, 256);
          const undo = await flipByte(join(dir, packRel(pack.id)), at, mask);
          const report = await verify(target);
          const hit = report.damage.find((d) => d.where === packRel(pack.id));
          if (report.healthy || !hit || !hit.repairable || report.damage.length !== 1) missed.push(`pack ${pack.id.slice(0, 8)} offset ${at} mask ${mask}: ${JSON.stringify(report.damage)}`);
          await undo();
        }
        expect((await verify(target)).healthy).toBe(true);
      } finally {
        await target.close();
      }
      expect(missed).toEqual([]);
      await expectRestores(t, dir, scratch);
    }),
  );
});

describe.each([
  ['in the worker pool', false],
  ['in the pool and on the main thread (the CLI)', true],
])('detection by reading every blob, %s', (_where, mainThreadChecks) => {
  const [name, run] = seeded(`verify --read-data authenticates every blob of every pack and checks every parity stripe: one flipped byte inside a blob of each pack is each found (main thread checks: ${mainThreadChecks})`);
  it(
    name,
    run(async (r, dir) => {
      // A byte in every pack, so every pack's blobs must be checked, in whatever order
      // and overlap the checks run; each flip also fails a stripe CRC.
      const flipped = new Map<string, string>();
      for (const pack of t.packs) {
        const chunks = t.files.flatMap((f) => f.chunks).filter((c) => c.pack === pack.id);
        if (chunks.length === 0) continue; // a pack of trees and manifests only
        const chunk = r.pick(chunks);
        await flipByte(join(dir, packRel(pack.id)), chunk.offset + r.int(0, chunk.length), r.int(1, 256));
        flipped.set(pack.id, packRel(pack.id));
      }
      expect(flipped.size).toBeGreaterThanOrEqual(8);
      const g = r.pick(t.groups);
      const shard = join(dir, parityRel(g.groupId, 0));
      const shardBytes = await readFile(shard);
      const shardLength = Math.max(...g.members.map((m) => m.length));
      await flipByte(shard, 4 + shardBytes.readUInt32LE(0) + r.int(0, shardLength), 0x80);
      const target = await openForHealing(dir, PASSWORD, { threads: HEAL_THREADS, mainThreadChecks });
      try {
        expect(target.mainThread !== undefined).toBe(mainThreadChecks);
        const ins = await inspect(target, { readData: true });
        expect(ins.blobsChecked).toBe(target.catalog!.listPacks().reduce((n, p) => n + p.blobCount, 0));
        expect([...new Set(ins.blobProblems.map((b) => b.packId))].sort()).toEqual([...flipped.keys()].sort());
        const bad = ins.groups.flatMap((gs) => gs.shards.filter((s) => s.badStripes.length > 0).map((s) => s.name));
        expect(bad.sort()).toEqual([...flipped.keys(), `${g.groupId}.0`].sort());
      } finally {
        await target.close();
      }
    }),
  );
});

describe('--json output of verify and repair', () => {
  const [name, run] = seeded('mmry verify/repair --json on a vault with a damaged pack and group descriptor');
  it(
    name,
    run(async (r, dir) => {
      const pack = r.pick(t.packs).id;
      const g = biggestGroup(t);
      await flipBits(join(dir, packRel(pack)), r, 3);
      await flipBits(join(dir, groupRel(g.groupId)), r, 1);

      const v = await runCli(['verify', dir, '--json']);
      expect(v.code).toBe(4);
      const report = JSON.parse(v.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({ healthy: false, affected: [] });
      expect(Array.isArray(report['damage'])).toBe(true);
      const damage = report['damage'] as { where: string; what: string; repairable: boolean }[];
      expect(damage.map((d) => d.where).sort()).toEqual([packRel(pack), groupRel(g.groupId)].sort());
      for (const d of damage) expect(d).toEqual({ where: expect.any(String), what: expect.any(String), repairable: true });

      const rep = await runCli(['repair', dir, '--json']);
      expect(rep.code).toBe(0);
      const repaired = JSON.parse(rep.stdout) as { repairedFiles: string[]; rewrittenGroups: string[]; after: Record<string, unknown> };
      expect(repaired.repairedFiles).toEqual([packRel(pack)]);
      expect(repaired.rewrittenGroups).toContain(g.groupId);
      expect(repaired.after).toMatchObject({ healthy: true, damage: [], affected: [] });

      await expectBitPerfect(t, dir);
      await expectRestores(t, dir, scratch);
    }),
  );
});

const cuts: { label: string; cut: (path: string) => Promise<unknown> }[] = [
  { label: 'by 1 byte', cut: (p) => truncateBy(p, 1) },
  { label: 'by 4096 bytes (a sector)', cut: (p) => truncateBy(p, 4096) },
  { label: 'to 10 bytes', cut: (p) => truncateTo(p, 10) },
];

describe(`truncation (MMRY_FAULT_SEED=${BASE_SEED})`, () => {
  // Each case cuts one pack and a parity file the same way: the parity file of another
  // group, since a cut pack alone erases both stripes of its rows (the whole budget).
  for (const { label, cut } of cuts) {
    const [name, run] = seeded(`a pack and a parity shard file truncated ${label}`);
    it(
      name,
      run(async (r, dir) => {
        const pack = r.pick(t.packs.filter((p) => p.size > 8192));
        const { g, j } = parityBesides(t, r, pack.id);
        const path = join(dir, packRel(pack.id));
        await cut(path);
        await cut(join(dir, parityRel(g.groupId, j)));
        const report = await engineVerify(dir);
        expect(report.damage.find((d) => d.where === packRel(pack.id))?.what).toBe(`truncated to ${await fileSize(path)} of ${pack.size} bytes`);
        await healCycle(t, dir, scratch, { damaged: [packRel(pack.id), parityRel(g.groupId, j)], repairedPacks: [packRel(pack.id)], rewrittenGroups: [g.groupId] });
      }),
    );
  }
});

describe('deletion', () => {
  {
    const [name, run] = seeded('a deleted pack with a few bit flips in another member of its group: restore before repair rebuilds every file on the fly');
    it(
      name,
      run(async (r, dir) => {
        // The deleted pack takes both stripes of its rows, the whole budget of one parity
        // file; the flips land past its end, where the flipped member is alone in its rows.
        // Every file then heals as it is read, and no wrong byte is ever written.
        const g = biggestGroup(t);
        const [gone, flipped] = r.sample(g.members.map((m) => m.packId), 2) as [string, string];
        await rm(join(dir, packRel(gone)));
        const goneLength = g.members.find((m) => m.packId === gone)!.length;
        const flippedLength = g.members.find((m) => m.packId === flipped)!.length;
        const from = Math.ceil(goneLength / STRIPE) * STRIPE;
        const offsets = from < flippedLength ? await flipBits(join(dir, packRel(flipped)), r, r.int(1, 4), [from, flippedLength]) : [];
        const atRisk = filesWith(t, (c) => c.pack === gone || (c.pack === flipped && offsets.some((o) => o >= c.offset && o < c.offset + c.length)));
        expect(await expectRestoreNeverWrong(t, dir, scratch, atRisk)).toEqual([]);
        const damaged = offsets.length > 0 ? [packRel(gone), packRel(flipped)] : [packRel(gone)];
        await healCycle(t, dir, scratch, { damaged, repairedPacks: damaged });
      }),
    );
  }
  {
    const [name, run] = seeded('a deleted pack and a deleted parity shard file');
    it(
      name,
      run(async (r, dir) => {
        const pack = r.pick(t.packs).id;
        const { g, j } = parityBesides(t, r, pack);
        await rm(join(dir, packRel(pack)));
        await rm(join(dir, parityRel(g.groupId, j)));
        const report = await engineVerify(dir);
        expect(report.damage).toContainEqual({ where: packRel(pack), what: 'missing', repairable: true });
        expect(report.damage).toContainEqual({ where: parityRel(g.groupId, j), what: 'missing', repairable: true });
        await healCycle(t, dir, scratch, { damaged: [packRel(pack), parityRel(g.groupId, j)], repairedPacks: [packRel(pack)], rewrittenGroups: [g.groupId] });
      }),
    );
  }
  {
    const [name, run] = seeded('every file of a parity group deleted');
    it(
      name,
      run(async (r, dir) => {
        const g = r.pick(t.groups);
        await rm(join(dir, groupRel(g.groupId)));
        for (let j = 0; j < g.parityCount; j++) await rm(join(dir, parityRel(g.groupId, j)));
        // With no copy of the descriptor left, nothing says these packs were ever protected:
        // verify reports them as unprotected (not as damage) and repair protects them anew.
        const report = await engineVerify(dir);
        expect(report.unprotectedPacks).toBe(g.members.length);
        expect(report.damage).toEqual([]);

        const first = await healCycleReprotect(dir, g.members.length);
        // Each pack is in exactly one group again: the open group of its size class first, then new ones.
        const ours = new Set(g.members.map((m) => m.packId));
        const regrouped = [...(await loadGroups(dir)).values()].filter((x) => x.desc.members.some((m) => ours.has(m.packId)));
        expect(regrouped.flatMap((x) => x.desc.members.map((m) => m.packId).filter((id) => ours.has(id))).sort()).toEqual([...ours].sort());
        for (const x of regrouped) expect([x.desc.parityCount, x.desc.cells]).toEqual([g.parityCount, g.cells]);
        expect(first).toBe(g.members.length);
        await expectRestores(t, dir, scratch);
      }),
    );
  }
  {
    const [name, run] = seeded('a deleted catalog');
    it(
      name,
      run(async (_r, dir) => {
        await rm(join(dir, 'catalog.db'));
        await healCycle(t, dir, scratch, { damaged: ['catalog.db'], catalogFrom: 'checkpoint' });
        expect(await openView(t, dir)).toEqual(t.view);
      }),
    );
  }
  {
    const [name, run] = seeded('a deleted catalog and checkpoint (rebuilt from the packs alone)');
    it(
      name,
      run(async (_r, dir) => {
        await rm(join(dir, 'catalog.db'));
        await rm(join(dir, 'catalog.checkpoint.db'));
        await healCycle(t, dir, scratch, { damaged: ['catalog.db'], catalogFrom: 'packs' });
        const view = await openView(t, dir);
        // The packs hold everything but the notes and the last milliseconds of each run.
        expect(view.projects.map((p) => ({ name: p.name, sourcePath: p.sourcePath }))).toEqual(t.view.projects.map((p) => ({ name: p.name, sourcePath: p.sourcePath })));
        expect(view.snapshots.map(snapshotIdentity)).toEqual(t.view.snapshots.map(snapshotIdentity));
        for (const [i, s] of view.snapshots.entries()) {
          expect(s.durationMs).toBeGreaterThan(0);
          expect(s.durationMs).toBeLessThanOrEqual(t.view.snapshots[i]!.durationMs);
        }
        expect(view.packs).toEqual(t.view.packs);
        expect(view.listing).toEqual(t.view.listing);
      }),
    );
  }
});

/** Repair after a whole group was deleted: it protects the packs again, then has nothing more to do. */
async function healCycleReprotect(dir: string, members: number): Promise<number> {
  const target = await openForHealing(dir, PASSWORD, { threads: HEAL_THREADS });
  try {
    const first = await repair(target);
    expect(first.repairedFiles).toEqual([]);
    expect(first.packsProtected).toBe(members);
    const report = await verify(target, { readData: true });
    expect(report.damage).toEqual([]);
    expect(report.healthy).toBe(true);
    expect(report.unprotectedPacks).toBe(0);
    const state = await vaultState(dir);
    const second = await repair(target);
    expect([second.repairedFiles, second.rewrittenGroups, second.packsProtected, second.catalog]).toEqual([[], [], 0, null]);
    expect(await vaultState(dir)).toEqual(state);
    return first.packsProtected;
  } finally {
    await target.close();
  }
}

describe('repair twice', () => {
  const [name, run] = seeded('repair run twice: the second (mmry repair) has nothing to do and changes no file');
  it(
    name,
    run(async (r, dir) => {
      const pack = r.pick(t.packs).id;
      const { g, j } = parityBesides(t, r, pack);
      await flipBits(join(dir, packRel(pack)), r, 4);
      await rm(join(dir, parityRel(g.groupId, j)));
      const first = await engineRepair(dir);
      expect(first.result.repairedFiles).toEqual([packRel(pack)]);
      expect(first.result.rewrittenGroups).toEqual([g.groupId]);
      expect(first.after.healthy).toBe(true);
      // The second run is a separate `mmry repair` process.
      const state = await vaultState(dir);
      const second = await runCli(['repair', dir]);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/^Repair: nothing to do\.\nAfter repair: the vault is healthy/);
      expect(await vaultState(dir)).toEqual(state);
      expect(wheres(await engineVerify(dir, true))).toEqual([]);
      await expectRestores(t, dir, scratch);
    }),
  );
});

describe('damage beyond the parity budget', () => {
  {
    const [name, run] = seeded('three packs of one group deleted, with one parity file (default redundancy)');
    it(
      name,
      run(async (r, dir) => {
        const x = await beyondBudget(t, r, dir, 3);
        // A deleted pack comes back only whole (repair.ts), so all of its files count as lost.
        const before = await engineVerify(dir);
        expect(before.healthy).toBe(false);
        expect(before.damage.filter((d) => !d.repairable).map((d) => d.where).sort()).toEqual(x.deleted.map(packRel).sort());
        expect(before.damage.filter((d) => d.repairable).map((d) => d.where)).toEqual([packRel(x.flipped)]);
        expect(sortAffected(before.affected)).toEqual(x.affected);

        const first = await engineRepair(dir);
        expect(first.result.repairedFiles).toEqual([packRel(x.flipped)]);
        expect(first.after.healthy).toBe(false);
        expect(wheres(first.after)).toEqual(x.deleted.map(packRel).sort());
        expect(first.after.damage.every((d) => !d.repairable)).toBe(true);
        expect(sortAffected(first.after.affected)).toEqual(x.affected);
        await expectBitPerfect(t, dir, { except: (rel) => x.deleted.some((id) => rel === packRel(id)) });
        const state = await vaultState(dir);
        expect((await engineRepair(dir)).result.repairedFiles).toEqual([]);
        expect(await vaultState(dir)).toEqual(state);

        // Reads heal what parity still covers (rows past the shorter deleted packs), so a restore
        // loses only the files on rows where all three deleted packs had bytes.
        await expectRestores(t, dir, scratch, x.lostOnRead);
      }),
    );
  }
});

describe('scattered damage beyond erasure decoding', () => {
  {
    const [name, run] = seeded('one flipped byte in each of three members, all in one row: placed byte by byte and repaired');
    it(
      name,
      run(async (r, dir) => {
        // Three members long enough to hold the row (a group can also hold a tiny pack).
        const members = biggestGroup(t).members.filter((m) => m.length >= 4 * STRIPE);
        expect(members.length).toBeGreaterThanOrEqual(3);
        const hit = r.sample(members, 3);
        const row = r.int(0, Math.floor(Math.min(...hit.map((m) => m.length)) / STRIPE));
        // Distinct offsets within a stripe, so no byte offset of the row's codeword has two errors.
        const within = r.sample(Array.from({ length: STRIPE / 2 }, (_, i) => i), 3);
        for (const [n, m] of hit.entries()) await flipByte(join(dir, packRel(m.packId)), row * STRIPE + r.int(0, 2) * (STRIPE / 2) + within[n]!, r.int(1, 256));

        const before = await engineVerify(dir);
        expect(before.damage.map((d) => [d.where, d.repairable]).sort()).toEqual(hit.map((m) => [packRel(m.packId), true]).sort());
        expect(before.affected).toEqual([]);
        // Reads place the damage too: nothing is lost even before the repair.
        await expectRestores(t, dir, scratch);
        const repaired = await engineRepair(dir);
        expect(repaired.result.repairedFiles.sort()).toEqual(hit.map((m) => packRel(m.packId)).sort());
        expect(repaired.after.healthy).toBe(true);
        await expectBitPerfect(t, dir);
      }),
    );
  }
});

describe('a vault whose groups layout version 1 wrote (20 members, 2 parity files, one 1 KiB stripe per row)', () => {
  let v1: Template;
  const seededV1 = seededCases(() => v1, scratch);
  beforeAll(async () => {
    v1 = await buildTemplate(await scratch('template-v1'), seedFor('template:heal-v1'), { layout: LAYOUT_V1 });
    expect(v1.groups.map((g) => [g.parityCount, g.cells])).toEqual([[2, 1]]);
  });
  const [name, run] = seededV1('a deleted pack and a deleted parity file of its group (m = 2) are repaired; a later backup adds version 2 groups beside it');
  it(
    name,
    run(async (r, dir) => {
      const g = v1.groups[0]!;
      const pack = r.pick(g.members).packId;
      const j = r.int(0, g.parityCount);
      await rm(join(dir, packRel(pack)));
      await rm(join(dir, parityRel(g.groupId, j)));
      await healCycle(v1, dir, scratch, { damaged: [packRel(pack), parityRel(g.groupId, j)], repairedPacks: [packRel(pack)], rewrittenGroups: [g.groupId] });
      // The repaired group is written as version 1 again, byte for byte as before (healCycle
      // compared every parity file with the pristine vault's).
      const src = await scratch('v1-more');
      await writeFile(join(src, 'more.bin'), Buffer.alloc(300 * 1024, 7).map((_, i) => (i * 2654435761) >>> 24));
      const vault = await Vault.open(dir, PASSWORD, v1.options);
      try {
        await backup(vault, src, { project: 'more' });
      } finally {
        await vault.close();
      }
      const groups = [...(await loadGroups(dir)).values()].map((x) => x.desc);
      expect(groups.find((d) => d.groupId === g.groupId)).toMatchObject({ cells: 1, parityCount: 2, members: g.members });
      expect(groups.filter((d) => d.groupId !== g.groupId).map((d) => [d.cells, d.parityCount, d.capacity])).toEqual([[2, 1, 10]]);
      const report = await engineVerify(dir, true);
      expect(report.damage).toEqual([]);
      expect(report.healthy).toBe(true);
    }),
  );
});
