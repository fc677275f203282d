/**
 * Bundles (packs/bundle.ts): small file contents compressed and sealed
 * together, by file type. Against real vaults on disk: they are used, they
 * shrink the store, they deduplicate member by member, every read path
 * (restore in the workers and on this thread, preview) gives the exact
 * bytes, a rebuilt catalog finds the members again from the bundles
 * themselves, and damage to one bundle fails exactly the files inside it.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backup, readFileRange, restore, Vault, vaultStats } from '../../src-main/engine/vault/index.ts';
import type { SnapshotRow } from '../../src-main/engine/catalog/index.ts';
import { BlobKind, bundleTableBytes, packPath, readBundleTable, writeBundleTable } from '../../src-main/engine/packs/index.ts';
import { memberBytes } from '../../src-main/engine/packs/bundle.ts';
import { isVaultError } from '../../src-main/engine/errors.ts';
import { chooseStrategy } from '../../src-main/engine/codecs/index.ts';
import { noise, prose, readTree, runCli, sha256, useScratch } from './helpers.ts';
import { flipByteAt } from '../flip.ts';

const PASSWORD = 'bundle password';
const OPTIONS = { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, threads: 2 };
const scratch = useScratch('mmry-bundles-');

let src: string;
const files = new Map<string, Buffer>();

async function put(rel: string, data: Buffer): Promise<void> {
  await mkdir(join(src, rel, '..'), { recursive: true });
  await writeFile(join(src, rel), data);
  files.set(rel, data);
}

/** Sealed blobs of each kind, and members, in a vault's catalog. */
function census(vault: Vault): { chunks: number; bundles: number; members: number } {
  let chunks = 0;
  let bundles = 0;
  let members = 0;
  for (const p of vault.catalog.listPacks()) {
    for (const b of vault.catalog.blobsInPack(p.id)) {
      if (b.kind === BlobKind.chunk) chunks++;
      if (b.kind === BlobKind.bundle) {
        bundles++;
        members += vault.catalog.bundleMembers(b.id).length;
      }
    }
  }
  return { chunks, bundles, members };
}

/** A new vault without parity (so damage in these tests stays beyond repair). */
async function freshVault(): Promise<{ dir: string; vault: Vault }> {
  const dir = join(await scratch('vault'), 'v');
  return { dir, vault: await Vault.create(dir, PASSWORD, { ...OPTIONS, redundancy: 0 }) };
}

/** Restores `snap` into a new folder and checks it against the source. */
async function expectRestoresExactly(vault: Vault, snap: SnapshotRow): Promise<void> {
  const target = join(await scratch('out'), 'out');
  await restore(vault, snap, target);
  await expectRestored(target);
}

async function expectRestored(target: string): Promise<void> {
  const tree = await readTree(target);
  for (const [rel, data] of files) expect(tree.get(rel)?.sha256, rel).toBe(sha256(data));
}

beforeAll(async () => {
  src = join(await scratch('src'), 'src');
  // 600 small source files of three types that share text, as a project folder does.
  for (let i = 0; i < 300; i++) await put(`lib/mod-${i}.js`, Buffer.from(`// module ${i}\n${prose(i % 17, 1500 + (i % 7) * 300).toString()}\nexport const id = ${i};\n`));
  for (let i = 0; i < 200; i++) await put(`types/mod-${i}.d.ts`, Buffer.from(`export declare const id${i}: number;\n${prose(i % 5, 800).toString()}`));
  for (let i = 0; i < 100; i++) await put(`data/item-${i}.json`, Buffer.from(JSON.stringify({ i, name: `item ${i}`, tags: ['a', 'b', 'c'], text: prose(i % 3, 400).toString() })));
  // Incompressible small files, a duplicate pair, and one file above the member limit.
  for (let i = 0; i < 20; i++) await put(`img/pic-${i}.png`, noise(`pic-${i}`, 3000));
  await put('copy-a.txt', Buffer.from('the same content twice\n'.repeat(40)));
  await put('copy-b.txt', Buffer.from('the same content twice\n'.repeat(40)));
  await put('big.dat', noise('big', 700_000));
});

describe('bundles of small files', () => {
  it('bundle the small files by type, and store far less than one blob per file would', async () => {
    const { vault } = await freshVault();
    try {
      const r = await backup(vault, src);
      const c = census(vault);
      const snap = vault.resolveSnapshot(r.snapshotId);
      // big.dat is chunks of its own, except a tail under 512 KiB when the (per-vault keyed) chunker cuts it.
      const bigTail = (await vault.entryAt(snap, 'big.dat')).entry!.content!.filter((id) => vault.catalog.getBlob(id)!.member).length;
      expect(bigTail).toBeLessThanOrEqual(1);
      // 622 small files, one duplicate: 621 members, in a handful of bundles.
      expect(c.members).toBe(621 + bigTail);
      expect(c.bundles).toBeGreaterThanOrEqual(4);
      expect(c.bundles).toBeLessThan(20);
      expect(c.chunks).toBeGreaterThan(0);
      expect(c.chunks).toBeLessThan(10);
      // Every bundle holds one file type: the .js files are not mixed with the .json ones.
      const jsBundle = vault.catalog.getBlob((await vault.entryAt(snap, 'lib/mod-0.js')).entry!.content![0]!)!.member!.bundleId;
      const jsonBundle = vault.catalog.getBlob((await vault.entryAt(snap, 'data/item-0.json')).entry!.content![0]!)!.member!.bundleId;
      expect(jsBundle.equals(jsonBundle)).toBe(false);
      for (const m of vault.catalog.bundleMembers(jsBundle)) expect(m.length).toBeGreaterThan(0);
      // The compression statistics count files, not bundles: 300 .js files, judged compressible.
      const js = vault.catalog.strategyHistory().get('.js|none')!;
      expect(js.reduce((n, h) => n + h.samples, 0)).toBe(300);
      expect(chooseStrategy(js as Parameters<typeof chooseStrategy>[0])).toBe('zstd');
      // The duplicate is one member.
      const a = (await vault.entryAt(snap, 'copy-a.txt')).entry!.content![0]!;
      const b = (await vault.entryAt(snap, 'copy-b.txt')).entry!.content![0]!;
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      // The statistics count those chunks, members included, apart from the sealed blobs that hold them.
      const stats = vaultStats(vault);
      expect(stats.chunks).toBe(c.chunks + c.members);
      expect(stats.blobs).toBeLessThan(stats.chunks / 10);

      // Compression across files: the sealed bundles of the text files are far smaller than their members.
      let raw = 0;
      let sealed = 0;
      for (const p of vault.catalog.listPacks()) {
        for (const blob of vault.catalog.blobsInPack(p.id)) {
          if (blob.kind !== BlobKind.bundle || !Buffer.from(blob.id).equals(jsBundle)) continue;
          raw += blob.rawLength;
          sealed += blob.length;
        }
      }
      expect(sealed).toBeLessThan(raw / 3);

      await expectRestoresExactly(vault, snap);
    } finally {
      await vault.close();
    }
  });

  it('dedup member by member: an unchanged copy adds nothing, one changed file adds one small bundle', async () => {
    const { vault } = await freshVault();
    try {
      await backup(vault, src, { project: 'one' });
      const before = census(vault);
      await backup(vault, src, { project: 'two' });
      expect(census(vault)).toEqual(before);

      const changed = Buffer.from('// changed\n' + files.get('lib/mod-7.js')!.toString());
      await writeFile(join(src, 'lib/mod-7.js'), changed);
      files.set('lib/mod-7.js', changed);
      const third = await backup(vault, src, { project: 'one' });
      expect(third.filesChanged).toBe(1);
      const after = census(vault);
      expect(after.bundles).toBe(before.bundles + 1);
      expect(after.members).toBe(before.members + 1);

      const snap = vault.resolveSnapshot(third.snapshotId);
      const range = await readFileRange(vault, snap, 'lib/mod-7.js', 3, 40);
      expect(Buffer.from(range.bytes)).toEqual(changed.subarray(3, 43));
      expect(range.size).toBe(changed.length);
      // Through the FileRestorer on this thread (into an existing folder, with 'overwrite').
      const target = join(await scratch('out'), 'out');
      await mkdir(join(target, 'lib'), { recursive: true });
      await writeFile(join(target, 'lib', 'mod-7.js'), 'old');
      await restore(vault, snap, target, { policy: 'overwrite' });
      await expectRestored(target);
    } finally {
      await vault.close();
    }
  });

  it('are found again by a catalog rebuilt from the packs alone', async () => {
    const dir = join(await scratch('vault'), 'v');
    let snapshotId: string;
    let members: number;
    {
      const vault = await Vault.create(dir, PASSWORD, { ...OPTIONS, redundancy: 0 });
      snapshotId = (await backup(vault, src)).snapshotId;
      members = census(vault).members;
      await vault.close();
      for (const f of ['catalog.db', 'catalog.db-wal', 'catalog.db-shm', 'catalog.checkpoint.db']) await rm(join(dir, f), { force: true });
      const res = await runCli(['repair', dir], { password: PASSWORD });
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
    }
    const vault = await Vault.open(dir, PASSWORD, OPTIONS);
    try {
      expect(census(vault).members).toBe(members);
      await expectRestoresExactly(vault, vault.resolveSnapshot(snapshotId));
    } finally {
      await vault.close();
    }
  });

  it('left open by a cancelled backup are not taken for stored: the next backup stores their files', async () => {
    const { vault } = await freshVault();
    try {
      // Cancelled as soon as a file is stored: bundles are open then (the first closes at 1 MiB).
      const controller = new AbortController();
      const err = await backup(vault, src, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.files >= 1) controller.abort();
        },
      }).catch((e: unknown) => e);
      expect(isVaultError(err) && err.kind).toBe('cancelled');
      expect(vault.catalog.listSnapshots()).toEqual([]);
      const r = await backup(vault, src);
      await expectRestoresExactly(vault, vault.resolveSnapshot(r.snapshotId));
    } finally {
      await vault.close();
    }
  });

  it('of packs left by a run that never committed are adopted with their members, not stored again', async () => {
    const dir = join(await scratch('vault'), 'v');
    const aside = await scratch('catalog-aside');
    const later = join(await scratch('later'), 'later');
    for (let i = 0; i < 50; i++) {
      await mkdir(later, { recursive: true });
      await writeFile(join(later, `note-${i}.md`), prose(100 + i, 900));
    }
    const catalogFiles = ['catalog.db', 'catalog.db-wal', 'catalog.db-shm', 'catalog.checkpoint.db'];
    let vault = await Vault.create(dir, PASSWORD, { ...OPTIONS, redundancy: 0 });
    await backup(vault, src);
    await vault.close();
    for (const f of catalogFiles) await copyFile(join(dir, f), join(aside, f)).catch(() => undefined);
    vault = await Vault.open(dir, PASSWORD, OPTIONS);
    await backup(vault, later, { project: 'later' });
    const withLater = census(vault);
    await vault.close();
    // Back to the catalog from before: the packs of the second run are on disk but unknown, as after a kill.
    for (const f of catalogFiles) {
      await rm(join(dir, f), { force: true });
      await copyFile(join(aside, f), join(dir, f)).catch(() => undefined);
    }
    vault = await Vault.open(dir, PASSWORD, OPTIONS);
    try {
      expect(census(vault).members).toBeLessThan(withLater.members);
      const again = await backup(vault, later, { project: 'later' });
      expect(census(vault)).toEqual(withLater);
      expect(again.filesNew).toBe(50);
      // Only the new manifest is new: the notes (members) and their listing were adopted, not stored again.
      expect(again.newBytes).toBeLessThan(2000);
      const target = join(await scratch('out'), 'out');
      await restore(vault, vault.resolveSnapshot(again.snapshotId), target);
      for (let i = 0; i < 50; i++) expect((await readTree(target)).get(`note-${i}.md`)?.sha256).toBe(sha256(prose(100 + i, 900)));
    } finally {
      await vault.close();
    }
  });

  it('fail only files inside a bundle damaged beyond repair, never with wrong bytes; verify names exactly those', async () => {
    const dir = join(await scratch('vault'), 'v');
    let expected: string[] = [];
    let failed: string[] = [];
    const vault = await Vault.create(dir, PASSWORD, { ...OPTIONS, redundancy: 0 });
    try {
      const snap = vault.resolveSnapshot((await backup(vault, src)).snapshotId);
      const place = vault.catalog.getBlob((await vault.entryAt(snap, 'data/item-3.json')).entry!.content![0]!)!;
      const inBundle = new Set(vault.catalog.bundleMembers(place.member!.bundleId).map((m) => m.id.toString('hex')));
      await flipByteAt(packPath(vault.packsDir, place.packId), place.offset + Math.floor(place.length / 2), 0x01);
      expected = [];
      for (const rel of files.keys()) {
        const content = (await vault.entryAt(snap, rel)).entry!.content ?? [];
        if (content.some((id) => inBundle.has(Buffer.from(id).toString('hex')))) expected.push(rel);
      }
      expect(expected.length).toBe(100); // the .json files
      const target = join(await scratch('out'), 'out');
      const r = await restore(vault, snap, target);
      // Some or all of them may be salvaged (see 'salvage' below): a member is used only if its
      // bytes match its own id; the rest fail, each alone and loudly.
      failed = r.problems.map((p) => p.path);
      for (const f of failed) expect(expected).toContain(f);
      const tree = await readTree(target);
      for (const [rel, data] of files) {
        if (failed.includes(rel)) expect(tree.has(rel), rel).toBe(false);
        else expect(tree.get(rel)?.sha256, rel).toBe(sha256(data));
      }
    } finally {
      await vault.close();
    }
    // verify --read-data finds the bundle and names as affected exactly the files the restore could
    // not salvage from it: the same bytes, the same salvage.
    const res = await runCli(['verify', dir, '--read-data', '--json'], { password: PASSWORD });
    expect(res.code).not.toBe(0);
    const report = JSON.parse(res.stdout) as { healthy: boolean; affected: { path: string }[] };
    expect(report.healthy).toBe(false);
    expect(report.affected.map((a) => a.path).sort()).toEqual(failed.sort());
  });
});

describe('salvage', () => {
  it('restores the members a damaged bundle still holds whole, checked against their own ids', async () => {
    const docs = join(await scratch('docs'), 'docs');
    await mkdir(docs, { recursive: true });
    const texts = new Map<string, Buffer>();
    // One bundle of ~800 KB of text: several zstd blocks, so damage near its end spares the start.
    for (let i = 0; i < 400; i++) {
      const text = prose(1000 + i, 2000);
      texts.set(`doc-${String(i).padStart(3, '0')}.txt`, text);
      await writeFile(join(docs, `doc-${String(i).padStart(3, '0')}.txt`), text);
    }
    const { dir, vault } = await freshVault();
    let failed = new Set<string>();
    try {
      const snap = vault.resolveSnapshot((await backup(vault, docs)).snapshotId);
      const place = vault.catalog.getBlob((await vault.entryAt(snap, 'doc-000.txt')).entry!.content![0]!)!;
      expect(vault.catalog.bundleMembers(place.member!.bundleId).length).toBe(400);
      await flipByteAt(packPath(vault.packsDir, place.packId), place.offset + Math.floor(place.length * 0.9), 0x40);
      const target = join(await scratch('out'), 'out');
      const r = await restore(vault, snap, target);
      failed = new Set(r.problems.map((p) => p.path));
      expect(failed.size).toBeGreaterThan(0);
      expect(failed.size).toBeLessThan(200); // most of the start is saved
      expect(failed.has('doc-000.txt')).toBe(false);
      const tree = await readTree(target);
      for (const [rel, text] of texts) {
        if (failed.has(rel)) expect(tree.has(rel), rel).toBe(false);
        else expect(tree.get(rel)?.sha256, rel).toBe(sha256(text));
      }
      // Preview reads through the same path.
      expect(Buffer.from((await readFileRange(vault, snap, 'doc-000.txt', 0, 50)).bytes)).toEqual(texts.get('doc-000.txt')!.subarray(0, 50));
      const lost = [...failed][0]!;
      await expect(readFileRange(vault, snap, lost, 0, 10)).rejects.toSatisfy((e: unknown) => isVaultError(e) && e.kind === 'damaged-data');
    } finally {
      await vault.close();
    }
    // verify calls lost exactly what the restore could not salvage, not the whole bundle.
    const res = await runCli(['verify', dir, '--read-data', '--json'], { password: PASSWORD });
    const report = JSON.parse(res.stdout) as { affected: { path: string }[] };
    expect(report.affected.map((a) => a.path).sort()).toEqual([...failed].sort());
  });
});

describe('the bundle table', () => {
  const id = (n: number) => new Uint8Array(32).fill(n);

  it('round-trips members and their offsets', () => {
    const lengths = [5, 0, 17, 1];
    const total = lengths.reduce((a, b) => a + b, 0);
    const buf = new Uint8Array(total + bundleTableBytes(lengths.length));
    const end = writeBundleTable(buf, total, lengths.map((length, n) => ({ id: id(n + 1), length })));
    expect(end).toBe(buf.length);
    const members = readBundleTable(buf);
    expect(members.map((m) => [m.id[0], m.offset, m.length])).toEqual([
      [1, 0, 5],
      [2, 5, 0],
      [3, 5, 17],
      [4, 22, 1],
    ]);
  });

  it('gives a member a copy of its bytes, and calls a place outside the bundle damage', () => {
    const plain = Uint8Array.from([1, 2, 3, 4, 5]);
    const bytes = memberBytes(plain, 1, 3, id(1));
    expect([...bytes]).toEqual([2, 3, 4]);
    bytes[0] = 9;
    expect(plain[1]).toBe(2);
    for (const [offset, length] of [[3, 3], [-1, 2], [0, -1], [0.5, 1]] as const) {
      expect(() => memberBytes(plain, offset, length, id(1))).toThrow(/lies outside its bundle/);
    }
  });

  it('rejects tables that do not describe their bundle', () => {
    const buf = new Uint8Array(10 + bundleTableBytes(1));
    writeBundleTable(buf, 10, [{ id: id(9), length: 10 }]);
    expect(() => readBundleTable(buf.subarray(1))).toThrow(/damaged/);
    const wrongLength = Uint8Array.from(buf);
    new DataView(wrongLength.buffer).setUint32(10 + 32, 11, true);
    expect(() => readBundleTable(wrongLength)).toThrow(/do not add up/);
    const wrongCount = Uint8Array.from(buf);
    new DataView(wrongCount.buffer).setUint32(buf.length - 13, 1000, true);
    expect(() => readBundleTable(wrongCount)).toThrow(/member count/);
    expect(() => readBundleTable(new Uint8Array(4))).toThrow(/too short/);
    expect(() => writeBundleTable(new Uint8Array(10 + bundleTableBytes(1)), 10, [{ id: id(1), length: 9 }])).toThrow(/does not match/);
  });
});
