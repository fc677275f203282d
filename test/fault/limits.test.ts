/**
 * Fault injection at the limits: damage beyond the parity budget (it must be
 * reported with the projects, snapshots and files it affects, everything
 * else must stay usable, and no restore may write wrong bytes), a vault with
 * parity off, the large pack size class (packs of 1 MiB and more), and
 * `kill -9` during `mmry repair` (the vault must be no worse, and the next
 * repair must finish the job). See harness.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BlobKind } from '../../src-main/engine/packs/seal.ts';
import { Vault } from '../../src-main/engine/vault/index.ts';
import {
  BASE_SEED,
  HEAL_THREADS,
  PASSWORD,
  STRIPE,
  affectedList,
  beyondBudget,
  biggestGroup,
  buildTemplate,
  chunkOnly,
  collect,
  contentMap,
  engineRepair,
  engineVerify,
  expectBitPerfect,
  expectRebuiltBesides,
  expectRestoreNeverWrong,
  expectRestores,
  expectWithin,
  fileCount,
  filesLostOnRead,
  filesWith,
  flipBits,
  flipByte,
  garble,
  healCycle,
  hex,
  lostFiles,
  packRel,
  parityRel,
  runCli,
  seededCases,
  seedFor,
  sortAffected,
  startCli,
  truncateTo,
  useScratch,
  vaultState,
  wheres,
  zeroRange,
} from './harness.ts';
import type { Template } from './harness.ts';

const scratch = useScratch('limits');
let m1: Template;
let off: Template;
let large: Template;
const LARGE = 1024 * 1024;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

beforeAll(async () => {
  m1 = await buildTemplate(await scratch('template-m1'), seedFor('template:budget-m1'), { redundancy: 0.05 });
  off = await buildTemplate(await scratch('template-off'), seedFor('template:budget-off'), { redundancy: 0 });
  // 1.125 MiB packs (at least 1 MiB once full) and binaries scaled up: several packs of the
  // large class, plus small tail packs. The seed draws the binaries' sizes, so for a seed that
  // draws small ones (12 does) they are scaled up further until a group has three large packs.
  for (let scale = 3; ; scale++) {
    large = await buildTemplate(await scratch(`template-large-${scale}`), seedFor('template:large'), { packTargetBytes: 1152 * 1024, scale });
    if (large.groups.some((g) => g.sizeClass === 'large' && g.members.length >= 3) || scale >= 8) break;
  }
  expect(m1.groups.every((g) => g.parityCount === 1)).toBe(true);
  expect(off.groups).toEqual([]);
  const group = biggestGroup(large, 'large');
  expect(group.members.length).toBeGreaterThanOrEqual(3);
  expect(group.members.every((m) => m.length >= LARGE)).toBe(true);
  expect(large.groups.some((g) => g.sizeClass === 'small')).toBe(true);
});

const m1Case = seededCases(() => m1, scratch);
/** A member's length in the template's biggest parity group. */
const lengthIn = (t: Template, id: string) => biggestGroup(t).members.find((m) => m.packId === id)!.length;
const offCase = seededCases(() => off, scratch);

describe(`damage beyond the parity budget (MMRY_FAULT_SEED=${BASE_SEED})`, () => {
  {
    const [name, run] = m1Case('two packs of one group deleted with m = 1 (redundancy 0.05)');
    it(
      name,
      run(async (r, dir) => {
        const x = await beyondBudget(m1, r, dir, 2);
        const expectDamage = (report: Awaited<ReturnType<typeof engineVerify>>, flipped: boolean) => {
          expect(report.healthy).toBe(false);
          expect(report.damage.filter((d) => !d.repairable).map((d) => d.where).sort()).toEqual(x.deleted.map(packRel).sort());
          expect(report.damage.filter((d) => d.repairable).map((d) => d.where)).toEqual(flipped ? [packRel(x.flipped)] : []);
          expect(sortAffected(report.affected)).toEqual(x.affected);
        };

        // The CLI says the same, as JSON, and exits 4.
        const cli = await runCli(['verify', dir, '--json']);
        expect(cli.code).toBe(4);
        expectDamage(JSON.parse(cli.stdout), true);

        const first = await engineRepair(dir);
        expect(first.result.repairedFiles).toEqual([packRel(x.flipped)]);
        expectDamage(first.after, false);
        expectDamage(await engineVerify(dir), false);
        await expectBitPerfect(m1, dir, { except: (rel) => x.deleted.some((id) => rel === packRel(id)) });

        // A second repair can do no more, and changes nothing.
        const state = await vaultState(dir);
        const second = await engineRepair(dir);
        expect(second.result.repairedFiles).toEqual([]);
        expect(second.result.rewrittenGroups).toEqual([]);
        expectDamage(second.after, false);
        expect(await vaultState(dir)).toEqual(state);

        // Restore: the lost files fail loudly, everything else is byte-identical, nothing wrong is
        // written. Reads heal on the fly, so only files on rows where both deleted packs had bytes are lost.
        await expectRestores(m1, dir, scratch, x.lostOnRead);
        const latest = m1.snapshots.at(-1)!;
        const out = join(await scratch('cli-restore'), 'out');
        const restored = await runCli(['restore', dir, latest.id, out]);
        const lostHere = [...(x.lostOnRead.get(latest.id) ?? [])].sort();
        expect(restored.code).toBe(lostHere.length > 0 ? 2 : 0);
        for (const path of lostHere) expect(restored.stderr).toContain(`not restored: ${path}: `);
        if (lostHere.length > 0) expect(restored.stderr).toMatch(new RegExp(`mmry: ${lostHere.length} entr(y was|ies were) not restored`));
        const want = new Map([...m1.trees.at(-1)!].filter(([k]) => !lostHere.includes(k)));
        expect(Object.fromEntries(await contentMap(out))).toEqual(Object.fromEntries(want));
      }),
    );
  }
});

describe('beyond the budget, where part of a damaged pack is rebuildable', () => {
  // With m = 1: pack A deleted, pack B of the same group cut at a stripe boundary just past
  // some file of A. Rows below the cut miss only A (rebuildable), rows past it miss both
  // (lost). Repair leaves A missing (a missing pack comes back only whole) and rebuilds B's
  // rows past A's end if B is the longer. The report must count every file of A as lost, and
  // of B only those on rows both miss; reads heal A's rows below the cut.
  const [name, run] = m1Case('a deleted pack and a pack cut short in one group with m = 1');
  it(
    name,
    run(async (r, dir) => {
      const g = biggestGroup(m1);
      const ids = chunkOnly(m1, g.members.map((m) => m.packId));
      const lengthOf = (id: string) => g.members.find((m) => m.packId === id)!.length;
      const lostWith = (a: string, b: string, cut: number) => (c: { pack: string; offset: number; length: number }) => c.pack === a || (c.pack === b && c.offset + c.length > cut);
      // The cut: the lowest stripe boundary past a file that lies in A (and not in B), short of
      // the end of both packs. That file is lost only through A's rebuildable rows (the case a
      // report that counts only lost rows gets wrong). Where blobs land in packs depends on
      // the workers' timing, so the cut is found in the data rather than fixed.
      const cutFor = (a: string, b: string): number | undefined => {
        const cuts = m1.files.flatMap((f) => {
          if (!f.chunks.some((c) => c.pack === a) || f.chunks.some((c) => c.pack === b)) return [];
          const end = Math.max(...f.chunks.filter((c) => c.pack === a).map((c) => c.offset + c.length));
          const cut = Math.ceil(end / STRIPE) * STRIPE;
          return cut < lengthOf(a) && cut < lengthOf(b) ? [cut] : [];
        });
        return cuts.length > 0 ? Math.min(...cuts) : undefined;
      };
      const pairs = r.sample(ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => [a, b] as const)), ids.length * (ids.length - 1));
      const pair = pairs.find(([a, b]) => cutFor(a, b) !== undefined);
      expect(pair, 'no pack pair with a file lost only through rebuildable rows').toBeDefined();
      const [a, b] = pair!;
      const cut = cutFor(a, b)!;
      await rm(join(dir, packRel(a)));
      await truncateTo(join(dir, packRel(b)), cut);
      // Every file with bytes in A or past the cut in B: more than is lost.
      const touched = filesWith(m1, lostWith(a, b, cut));
      const erased = (id: string, row: number) => (id === a && row * STRIPE < lengthOf(a)) || (id === b && row * STRIPE >= cut && row * STRIPE < lengthOf(b));
      const rowLost = (row: number) => erased(a, row) && erased(b, row);
      const lostOnRead = filesLostOnRead(m1, g, erased);
      expect(fileCount(lostOnRead)).toBeLessThan(fileCount(touched));

      // A, missing, comes back only whole (repair.ts): every file of it counts as lost. B is
      // rebuilt where only it is missing, so of B only what lies on rows both miss is lost.
      const inA = filesWith(m1, (c) => c.pack === a);
      const before = await engineVerify(dir);
      expect(before.damage.map((d) => [d.where, d.repairable]).sort()).toEqual([[packRel(a), false], [packRel(b), false]].sort());
      expectWithin(inA, lostFiles(before.affected));
      expectWithin(lostFiles(before.affected), touched);
      const repaired = await engineRepair(dir);
      expect(repaired.result.repairedFiles.every((f) => f === packRel(b))).toBe(true);
      if (repaired.result.repairedFiles.length > 0) expect(await expectRebuiltBesides(m1, dir, b, rowLost)).toBeGreaterThan(cut / STRIPE);
      expectWithin(lostFiles(repaired.after.affected), lostFiles(before.affected));
      const state = await vaultState(dir);
      expect((await engineRepair(dir)).result.repairedFiles).toEqual([]);
      expect(await vaultState(dir)).toEqual(state);
      // Reads heal on the fly: A's blobs in rows below the cut come back from parity, so a
      // restore loses at most the files that touch a row where both A and B are missing (salvage
      // keeps some files of a bundle there), and never writes wrong bytes.
      await expectRestoreNeverWrong(m1, dir, scratch, lostOnRead);
    }),
  );

  {
    // One row of the group garbled in two packs (beyond the parity, and too dense to place
    // byte by byte), and a few other rows of the same packs hit by single flips. The other rows
    // come back bit for bit; only the files on the one lost row are lost.
    const [name, run] = m1Case('flips beyond the parity in one row, and within it in other rows of the same packs');
    it(
      name,
      run(async (r, dir) => {
        const g = biggestGroup(m1);
        const [a, b] = r.sample(chunkOnly(m1, g.members.filter((m) => m.length >= 6 * STRIPE).map((m) => m.packId)), 2) as [string, string];
        const rows = Math.floor(Math.min(lengthIn(m1, a), lengthIn(m1, b)) / STRIPE);
        expect(rows).toBeGreaterThan(4);
        const [lostRow, ...others] = r.sample(Array.from({ length: rows }, (_, row) => row), 5) as [number, ...number[]];
        for (const id of [a, b]) await garble(join(dir, packRel(id)), r, lostRow * STRIPE, STRIPE);
        for (const [n, row] of others.entries()) await flipByte(join(dir, packRel(n % 2 === 0 ? a : b)), row * STRIPE + r.int(0, STRIPE), r.int(1, 256));
        const rowLost = (row: number) => row === lostRow;
        const lostOnRead = filesLostOnRead(m1, g, (id, row) => (id === a || id === b) && row === lostRow);

        const before = await engineVerify(dir);
        expect(before.damage.map((d) => [d.where, d.repairable]).sort()).toEqual([[packRel(a), false], [packRel(b), false]].sort());
        expect(before.damage.every((d) => /repair rebuilds all but 2 stripes of them/.test(d.what))).toBe(true);
        expectWithin(lostFiles(before.affected), lostOnRead);
        await expectRestores(m1, dir, scratch, lostFiles(before.affected));
        const repaired = await engineRepair(dir);
        expect(repaired.result.repairedFiles.sort()).toEqual([packRel(a), packRel(b)].sort());
        for (const id of [a, b]) expect(await expectRebuiltBesides(m1, dir, id, rowLost)).toBe(Math.ceil(lengthIn(m1, id) / STRIPE) - 1);
        expect(repaired.after.damage.map((d) => [d.where, d.what, d.repairable]).sort()).toEqual([a, b].map((id) => [packRel(id), '2 damaged stripes of 512 bytes, beyond repair: more damage in the same rows of its group than the parity covers', false]).sort());
        // Salvage keeps more of a bundle once its other damage is repaired.
        expectWithin(lostFiles(repaired.after.affected), lostFiles(before.affected));
        await expectBitPerfect(m1, dir, { except: (rel) => rel === packRel(a) || rel === packRel(b) });
        await expectRestores(m1, dir, scratch, lostFiles(repaired.after.affected));
      }),
    );
  }
});

describe('parity off (redundancy 0)', () => {
  const [name, run] = offCase('a flipped byte inside a content blob, with no parity');
  it(
    name,
    run(async (r, dir) => {
      // A content blob of its own (not a bundle: salvage may keep some of a bundle's files), and a byte inside it.
      const v = await Vault.open(dir, PASSWORD, { ...off.options, threads: HEAL_THREADS });
      const pack = r.pick(chunkOnly(off, off.packs.map((p) => p.id)).filter((id) => off.packs.find((p) => p.id === id)!.kinds.has(BlobKind.chunk)));
      const blob = r.pick(v.catalog.blobsInPack(pack).filter((b) => b.kind === BlobKind.chunk));
      await v.close();
      const blobId = Buffer.from(blob.id).toString('hex');
      await flipByte(join(dir, packRel(pack)), blob.offset + r.int(0, blob.length), r.int(1, 256));
      const lost = new Map<string, Set<string>>();
      for (const f of off.files) if (f.blobs.has(blobId)) lost.set(f.snapshot, new Set([...(lost.get(f.snapshot) ?? []), f.path]));
      expect(lost.size).toBeGreaterThan(0);

      // Quick verify checks structure and the packs' sealed headers only: with no stripe
      // checksums, a flipped byte inside a blob is invisible to it. It says so: every pack
      // is reported as unprotected.
      const quick = await engineVerify(dir);
      expect(quick.damage).toEqual([]);
      expect(quick.healthy).toBe(true);
      expect(quick.unprotectedPacks).toBe(off.packs.length);
      const quickCli = await runCli(['verify', dir]);
      expect(quickCli.code).toBe(0);
      expect(quickCli.stdout).toContain(`${off.packs.length} pack(s) are not protected by parity`);
      // Repair cannot protect them: parity is off for this vault. The CLI must not promise it.
      expect(quickCli.stdout).not.toContain("'mmry repair' protects them");

      // --read-data authenticates every blob and finds it: not repairable, with the files it affects.
      const full = await engineVerify(dir, true);
      expect(full.healthy).toBe(false);
      expect(full.damage).toEqual([{ where: packRel(pack), what: expect.stringContaining(`blob ${blobId.slice(0, 12)}`), repairable: false }]);
      expect(sortAffected(full.affected)).toEqual(affectedList(off, lost));

      // Repair has nothing to rebuild from and changes nothing.
      const state = await vaultState(dir);
      const repaired = await engineRepair(dir);
      expect(repaired.result.repairedFiles).toEqual([]);
      expect(repaired.result.packsProtected).toBe(0);
      expect(await vaultState(dir)).toEqual(state);
      expect(wheres(await engineVerify(dir, true))).toEqual([packRel(pack)]);

      // The affected files fail loudly; the rest restore byte for byte.
      await expectRestores(off, dir, scratch, lost);
    }),
  );
});

const largeCase = seededCases(() => large, scratch);

describe(`large packs (MMRY_FAULT_SEED=${BASE_SEED})`, () => {
  const [name, run] = largeCase('a lost 4 KiB sector in a large pack and bit flips in its group parity outside the sector\'s rows');
  it(
    name,
    run(async (r, dir) => {
      const g = biggestGroup(large, 'large');
      const member = r.pick(g.members);
      const sector = r.int(0, Math.floor(member.length / 4096)) * 4096;
      await zeroRange(join(dir, packRel(member.packId)), sector, 4096);
      // The lost sector erases both stripes of its 4 rows in that pack, the whole budget of
      // one parity file: the flips land in the parity file's other rows.
      const j = r.int(0, g.parityCount);
      const parityPath = join(dir, parityRel(g.groupId, j));
      const parity = await readFile(parityPath);
      const base = 4 + parity.readUInt32LE(0);
      const before: [number, number] = [base, base + sector];
      const after: [number, number] = [base + sector + 4096, parity.length];
      await flipBits(parityPath, r, r.int(2, 12), before[1] - before[0] > after[1] - after[0] ? before : after);
      await healCycle(large, dir, scratch, { damaged: [packRel(member.packId), parityRel(g.groupId, j)], repairedPacks: [packRel(member.packId)], rewrittenGroups: [g.groupId] });
    }),
  );
});

describe('kill -9 during repair', () => {
  const ITERATIONS = 3;
  const [name, run] = largeCase(`mmry repair of a deleted large pack, SIGKILLed ${ITERATIONS} times at seeded moments`);
  it(
    name,
    run(async (r, dir) => {
      const g = biggestGroup(large, 'large');
      const victim = r.pick(g.members).packId;
      const victimPath = join(dir, packRel(victim));
      await rm(victimPath);
      const outcomes: string[] = [];
      const lockPath = join(dir, 'lock');
      const tempPack = () => readdirSync(join(dir, 'packs')).some((n) => n.endsWith('.tmp'));
      for (let i = 0; i < ITERATIONS; i++) {
        // A run that finished repaired the pack: take it away again so every run has work.
        if (existsSync(victimPath)) await rm(victimPath);
        const child = startCli(['repair', dir]);
        children.push(child);
        const done = collect(child);
        // The first run dies mid-write (as soon as a temporary pack file shows); the others at a
        // seeded moment after the repair took the vault lock (past start-up, unlock and opening).
        const delay = r.int(0, 500);
        let moment: string;
        if (i === 0) {
          moment = (await until(child, tempPack)) ? 'while its temporary pack file was being written' : 'never (no temporary file seen)';
        } else {
          moment = (await until(child, () => lockHolder(lockPath) === child.pid)) ? `${delay} ms after it took the lock` : 'never (it never took the lock)';
          if (child.exitCode === null) await sleep(delay);
        }
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        const result = await done;
        // A run killed between creating the lock file and filling it leaves it empty, and such a
        // lock counts as live for its first 10 s (its writer may still be starting): the next
        // run then refuses to start (exit 5). By design, and harmless.
        const halfLock = existsSync(lockPath) && statSync(lockPath).size === 0;
        if (result.signal === 'SIGKILL') outcomes.push(`killed ${moment}`);
        else if (result.code === 5 && halfLock) outcomes.push('refused to start: the vault lock was left empty by the previous kill');
        else {
          expect(result.code, result.stderr).toBe(0);
          outcomes.push(`finished before being killed ${moment}`);
        }

        // No worse than before: every pack and parity file under its final name is the
        // original, byte for byte, or (the victim) still absent.
        await expectBitPerfect(large, dir, { except: (rel) => rel === packRel(victim) && !existsSync(victimPath) });
      }
      // Verify still finds only repairable damage (or none).
      const report = await engineVerify(dir);
      expect(report.damage.filter((d) => !d.repairable)).toEqual([]);
      expect(report.damage.map((d) => d.where)).toEqual(existsSync(victimPath) ? [] : [packRel(victim)]);
      console.log(`kill -9 during repair [seed ${hex(r.seed)}]: ${outcomes.join('; ')}`);
      expect(outcomes.some((o) => o.startsWith('killed'))).toBe(true);

      // The next repair finishes the job (given work to do even if the last run had finished).
      if (existsSync(victimPath)) await rm(victimPath);
      await healCycle(large, dir, scratch, { damaged: [packRel(victim)], repairedPacks: [packRel(victim)] });

      // Killed writes leave their temporary files (.<name>.<random>.tmp) behind; nothing removes them.
      const leftovers = (await readdir(join(dir, 'packs'))).filter((n) => n.endsWith('.tmp'));
      if (leftovers.length > 0) console.log(`kill -9 during repair: ${leftovers.length} temporary file(s) left in packs/: ${leftovers.join(', ')}`);
      expect(leftovers.every((n) => n.startsWith('.') && !n.endsWith('.pack'))).toBe(true);
    }),
  );
});

/** The pid in the vault's lock file, if it holds a readable one. */
function lockHolder(path: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

/** Polls (every 2 ms) until `ready` holds or the child exits; true when `ready` held. */
async function until(child: ChildProcess, ready: () => boolean): Promise<boolean> {
  for (;;) {
    if (ready()) return true;
    if (child.exitCode !== null || child.signalCode !== null) return false;
    await sleep(2);
  }
}
