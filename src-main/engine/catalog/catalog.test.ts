import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { BlobKind } from '../packs/seal.ts';
import { applyCatalogKey, BlobIdSet, migrate, openCatalog } from './index.ts';
import type { Catalog, NewBlob, SnapshotRow } from './index.ts';
import { MIGRATIONS } from './migrations/index.ts';

let dir: string;
let path: string;
let key: Buffer;
const open: Catalog[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmry-catalog-test-'));
  path = join(dir, 'catalog.db');
  key = randomBytes(32);
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  rmSync(dir, { recursive: true, force: true });
});

function openIt(k = key): Catalog {
  const c = openCatalog(path, k);
  open.push(c);
  return c;
}

function blob(kind: BlobKind = BlobKind.chunk, offset = 25): NewBlob {
  return { id: randomBytes(32), kind, offset, length: 100, rawLength: 300 };
}

function snapshot(projectId: number, createdAt: number, over: Partial<SnapshotRow> = {}): SnapshotRow {
  return {
    id: randomBytes(32).toString('hex'),
    projectId,
    createdAt,
    treeId: randomBytes(32),
    parentId: null,
    fileCount: 10,
    dirCount: 2,
    totalBytes: 1000,
    newBytes: 500,
    storedBytes: 200,
    filesNew: 3,
    filesChanged: 1,
    filesUnmodified: 6,
    durationMs: 42,
    warnings: [{ path: 'a', message: 'unreadable' }],
    note: null,
    ...over,
  };
}

const packId = (): string => randomBytes(16).toString('hex');

describe('openCatalog', () => {
  it('runs migrations once and keeps data across reopen', () => {
    const c = openIt();
    c.upsertProject('site', '/home/me/site');
    c.close();

    const raw = new Database(path);
    applyCatalogKey(raw, key);
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(migrate(raw, path)).toBe(0);
    raw.close();

    expect(openIt().getProject('site')?.sourcePath).toBe('/home/me/site');
  });

  it('numbers migrations 1, 2, 3… with no gap', () => {
    MIGRATIONS.forEach((m, i) => expect(m.version).toBe(i + 1));
  });

  it('fails clearly on a wrong key, at open', () => {
    openIt().upsertProject('site', '/x');
    open.pop()?.close();
    let err: unknown;
    try {
      openCatalog(path, randomBytes(32));
    } catch (e) {
      err = e;
    }
    expect(isVaultError(err, 'damaged-data')).toBe(true);
    expect((err as Error).message).toMatch(/^The catalog could not be decrypted/);
    expect(openIt().listProjects()).toHaveLength(1);
  });

  it('fails clearly on a file that is not a catalog', () => {
    writeFileSync(path, randomBytes(8192));
    expect(() => openCatalog(path, key)).toThrow(/could not be decrypted/);
  });

  it('refuses a catalog from a newer schema', () => {
    openIt().close();
    open.pop();
    const raw = new Database(path);
    applyCatalogKey(raw, key);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openCatalog(path, key)).toThrow(/newer version/);
  });

  it('writes no plaintext to the database or its WAL', () => {
    const c = openIt();
    c.upsertProject('MARKER-PLAINTEXT-123', '/MARKER-PLAINTEXT-123/src');
    c.addSnapshot(snapshot(c.getProject('MARKER-PLAINTEXT-123')!.id, 1, { note: 'MARKER-PLAINTEXT-123' }));
    const files = (): string[] => [path, `${path}-wal`].filter((f) => existsSync(f));
    const leaks = (): string[] => files().filter((f) => readFileSync(f).includes('MARKER-PLAINTEXT-123'));
    expect(files()).toContain(`${path}-wal`);
    expect(leaks()).toEqual([]);
    c.checkpoint();
    expect(leaks()).toEqual([]);
    c.close();
    expect(leaks()).toEqual([]);
    expect(readFileSync(path).includes('SQLite format 3')).toBe(false);
  });
});

describe('blobs and packs', () => {
  it('adds a pack and finds its blobs', () => {
    const c = openIt();
    const blobs = [blob(BlobKind.chunk, 25), blob(BlobKind.tree, 125)];
    const id = packId();
    c.addPack({ id, size: 4096 }, blobs);
    expect(c.hasBlob(blobs[0]!.id)).toBe(true);
    expect(c.hasBlob(randomBytes(32))).toBe(false);
    expect(c.getBlob(blobs[1]!.id)).toEqual({ packId: id, offset: 125, length: 100, rawLength: 300, kind: BlobKind.tree });
    expect(c.getBlob(randomBytes(32))).toBeUndefined();
    expect(c.blobsInPack(id).map((b) => b.offset)).toEqual([25, 125]);
    expect(c.listPacks()).toEqual([expect.objectContaining({ id, size: 4096, blobCount: 2 })]);
  });

  it('looks up many blobs at once, in order, as getBlob does one by one, inside a write or not', () => {
    const c = openIt();
    const bundle = blob(BlobKind.bundle, 300);
    const own = [blob(BlobKind.chunk, 25), blob(BlobKind.tree, 125)];
    const members = Array.from({ length: 20 }, (_, i) => ({ id: randomBytes(32), bundleId: bundle.id, innerOffset: i * 10, length: 10 }));
    c.addPack({ id: packId(), size: 4096 }, [...own, bundle], members);
    const ids = [members[3]!.id, own[1]!.id, randomBytes(32), ...members.map((m) => m.id), own[0]!.id, members[3]!.id];
    const expected = ids.map((id) => c.getBlob(id));
    expect(expected[2]).toBeUndefined();
    expect(expected[0]).toMatchObject({ kind: BlobKind.chunk, offset: 300, member: { innerOffset: 30, length: 10 } });
    expect(c.getBlobs(ids)).toEqual(expected);
    expect(c.getBlobs([])).toEqual([]);
    // Inside a write transaction it nests, and sees what that transaction wrote.
    const later = blob();
    const inside = c.transaction(() => {
      c.addPack({ id: packId(), size: 1 }, [later]);
      return c.getBlobs([later.id, own[0]!.id]);
    });
    expect(inside).toEqual([c.getBlob(later.id), expected[ids.length - 2]]);
    expect(inside[0]).toBeDefined();
  });

  it('keeps the first location of a blob stored twice', () => {
    const c = openIt();
    const b = blob();
    const first = packId();
    c.addPack({ id: first, size: 1 }, [b]);
    c.addPack({ id: packId(), size: 1 }, [{ ...b, offset: 999 }]);
    expect(c.getBlob(b.id)?.packId).toBe(first);
  });

  it('adds a pack all or nothing', () => {
    const c = openIt();
    const id = packId();
    c.addPack({ id, size: 1 }, [blob()]);
    const lost = blob();
    expect(() => c.addPack({ id, size: 1 }, [lost])).toThrow();
    expect(c.hasBlob(lost.id)).toBe(false);
    expect(c.stats().packs).toBe(1);
  });

  it('loads every id into a compact set', () => {
    const c = openIt();
    const blobs = Array.from({ length: 500 }, () => blob());
    c.addPack({ id: packId(), size: 1 }, blobs);
    const set = c.blobIdSet();
    expect(set.size).toBe(500);
    for (const b of blobs) expect(set.has(b.id)).toBe(true);
    const fresh = randomBytes(32);
    expect(set.has(fresh)).toBe(false);
    set.add(fresh);
    set.add(blobs[0]!.id);
    expect(set.has(new Uint8Array(fresh))).toBe(true);
    expect(set.size).toBe(501);
    expect([...c.iterateBlobIds()]).toHaveLength(500);
  });

  it('knows bundle members one query at a time, before the set is loaded', () => {
    const c = openIt();
    const bundle = blob(BlobKind.bundle);
    const member = randomBytes(32);
    c.addPack({ id: packId(), size: 1 }, [bundle], [{ id: member, bundleId: bundle.id, innerOffset: 0, length: 10 }]);
    const set = c.blobIdSet();
    expect([set.has(member), set.has(bundle.id), set.has(randomBytes(32))]).toEqual([true, true, false]);
    expect(set.loaded).toBe(false);
    expect(set.size).toBe(2);
  });

  it('sums totals', () => {
    const c = openIt();
    c.addPack({ id: packId(), size: 1000 }, [blob(), blob()]);
    c.upsertProject('p', '/p');
    expect(c.stats()).toEqual({ projects: 1, snapshots: 0, packs: 1, packBytes: 1000, blobs: 2, chunks: 2, blobBytes: 200, rawBytes: 600 });
  });

  it('counts the chunks inside bundles, and a listing as a blob but not a chunk', () => {
    const c = openIt();
    const bundle = blob(BlobKind.bundle);
    const members = Array.from({ length: 5 }, (_, i) => ({ id: randomBytes(32), bundleId: bundle.id, innerOffset: i, length: 1 }));
    const alone = blob();
    c.addPack({ id: packId(), size: 1 }, [bundle, alone, blob(BlobKind.tree)], members);
    // Stored again alone (a lost bundle's member, say): still one chunk.
    c.addPack({ id: packId(), size: 1 }, [{ ...blob(), id: members[0]!.id }]);
    expect(c.stats()).toMatchObject({ blobs: 4, chunks: 6 });
  });
});

describe('lost blobs (0008)', () => {
  it('are not known to a backup, give their places up to a new copy, and are lost no more then', () => {
    const c = openIt();
    const chunk = blob();
    const bundle = blob(BlobKind.bundle, 200);
    const member = randomBytes(32);
    const lostPack = packId();
    c.addPack({ id: lostPack, size: 1000 }, [chunk, bundle], [{ id: member, bundleId: bundle.id, innerOffset: 0, length: 10 }]);
    expect(c.markLost([chunk.id, bundle.id, member])).toBe(3);
    expect(c.markLost([chunk.id])).toBe(0); // already recorded
    expect(c.lostBlobs()).toEqual(new Set([chunk.id, bundle.id, member].map((id) => Buffer.from(id).toString('hex'))));
    const pointwise = c.blobIdSet();
    expect([pointwise.has(chunk.id), pointwise.has(member), pointwise.has(bundle.id)]).toEqual([false, false, false]);
    const loaded = c.blobIdSet();
    expect(loaded.size).toBe(0); // loads every id: all three are lost
    expect([loaded.has(chunk.id), loaded.has(member)]).toEqual([false, false]);
    expect(c.packUnneeded(lostPack)).toBe(false); // the chunk is still only there

    // Stored again, the chunk in a bundle of a new pack and the member as a blob of its own.
    const newBundle = blob(BlobKind.bundle, 40);
    const fresh = packId();
    c.addPack({ id: fresh, size: 1000 }, [newBundle, { ...blob(), id: member, offset: 700 }], [{ id: chunk.id, bundleId: newBundle.id, innerOffset: 5, length: 20 }]);
    expect(c.getBlob(chunk.id)).toMatchObject({ packId: fresh, kind: BlobKind.chunk, member: { bundleId: newBundle.id, innerOffset: 5, length: 20 } });
    expect(c.getBlob(member)).toMatchObject({ packId: fresh, offset: 700 });
    expect(c.lostBlobs()).toEqual(new Set([Buffer.from(bundle.id).toString('hex')]));
    expect([c.blobIdSet().has(chunk.id), c.blobIdSet().has(member)]).toEqual([true, true]);

    // What is left in the lost pack is a bundle nobody's member: nothing needs it, and it is forgotten.
    expect(c.packUnneeded(lostPack)).toBe(true);
    expect(c.packUnneeded(fresh)).toBe(false);
    expect(c.packUnneeded(packId())).toBe(false); // one the catalog does not list: its header may be all that is damaged
    expect(() => c.forgetPack(fresh)).toThrow(/still holds blobs/);
    c.forgetPack(lostPack);
    expect(c.listPacks().map((p) => p.id)).toEqual([fresh]);
    expect([c.getBlob(bundle.id), c.lostBlobs().size]).toEqual([undefined, 0]);
  });

  it('make the scan digests be forgotten when one is new', () => {
    const c = openIt();
    const tree = blob(BlobKind.tree);
    c.addPack({ id: packId(), size: 1000 }, [tree]);
    c.addTreeDigests([{ treeId: tree.id, digest: randomBytes(32), files: 1, dirs: 0, symlinks: 0, bytes: 5 }]);
    expect(c.markLost([])).toBe(0);
    expect(c.treeDigest(tree.id)).toBeDefined();
    c.markLost([randomBytes(32)]);
    expect(c.treeDigest(tree.id)).toBeUndefined();
  });
});

describe('projects and snapshots', () => {
  it('upserts projects by name', () => {
    const c = openIt();
    const a = c.upsertProject('web', '/old');
    const b = c.upsertProject('web', '/new');
    expect(b.id).toBe(a.id);
    expect(b.sourcePath).toBe('/new');
    c.upsertProject('api', '/api');
    expect(c.listProjects().map((p) => p.name)).toEqual(['api', 'web']);
    expect(c.getProject('nope')).toBeUndefined();
  });

  it('lists, finds and picks the latest snapshot', () => {
    const c = openIt();
    const web = c.upsertProject('web', '/w').id;
    const api = c.upsertProject('api', '/a').id;
    const s1 = snapshot(web, 1000);
    const s2 = snapshot(web, 2000, { parentId: s1.id, note: 'release' });
    const s3 = snapshot(api, 1500);
    for (const s of [s2, s3, s1]) c.addSnapshot(s);

    expect(c.listSnapshots().map((s) => s.id)).toEqual([s1.id, s3.id, s2.id]);
    expect(c.listSnapshots(web)).toEqual([s1, s2]);
    expect(c.latestSnapshot(web)).toEqual(s2);
    expect(c.latestSnapshot()?.id).toBe(s2.id);
    expect(c.latestSnapshot(9999)).toBeUndefined();
    expect(c.findSnapshots(s3.id.slice(0, 10).toUpperCase())).toEqual([s3]);
    expect(c.findSnapshots(s3.id)).toEqual([s3]);
    expect(() => c.findSnapshots('xyz')).toThrow(/not a snapshot id/);
  });

  it('refuses a snapshot of an unknown project', () => {
    const c = openIt();
    expect(() => c.addSnapshot(snapshot(42, 1))).toThrow();
  });

  it('sets a note and replaces the tags of a snapshot, and refuses an unknown one', () => {
    const c = openIt();
    const web = c.upsertProject('web', '/w').id;
    const s1 = snapshot(web, 1000);
    const s2 = snapshot(web, 2000);
    c.addSnapshot(s1);
    c.addSnapshot(s2);
    c.setSnapshotLabels(s1.id, 'before the redesign', ['release', 'v1']);
    c.setSnapshotLabels(s2.id, null, ['wip']);
    expect(c.listSnapshots(web).map((s) => s.note)).toEqual(['before the redesign', null]);
    expect(Object.fromEntries(c.snapshotTags())).toEqual({ [s1.id]: ['release', 'v1'], [s2.id]: ['wip'] });
    c.setSnapshotLabels(s1.id, null, []);
    expect(c.listSnapshots(web)[0]!.note).toBeNull();
    expect(c.snapshotTags().has(s1.id)).toBe(false);
    const unknown = randomBytes(32).toString('hex');
    expect(() => c.setSnapshotLabels(unknown, 'x', ['a'])).toThrow(/no snapshot/);
    expect(c.snapshotTags().has(unknown)).toBe(false);
  });
});

describe('health record', () => {
  it('keeps verify and repair runs, newest first, with their reports', () => {
    const c = openIt();
    c.addHealthCheck({ at: 1000, kind: 'verify', readData: false, healthy: true, report: { damage: [] } });
    c.addHealthCheck({ at: 3000, kind: 'repair', readData: false, healthy: true, report: { fixed: ['packs/a.pack'] } });
    c.addHealthCheck({ at: 2000, kind: 'verify', readData: true, healthy: false, report: { damage: [{ where: 'packs/a.pack' }] } });
    const rows = c.listHealthChecks();
    expect(rows.map((r) => [r.at, r.kind, r.readData, r.healthy])).toEqual([
      [3000, 'repair', false, true],
      [2000, 'verify', true, false],
      [1000, 'verify', false, true],
    ]);
    expect(rows[1]!.report).toEqual({ damage: [{ where: 'packs/a.pack' }] });
    expect(c.listHealthChecks(1)).toHaveLength(1);
  });
});

describe('compression statistics', () => {
  it('batches measurements and adds them to stored totals', () => {
    const c = openIt();
    c.recordStrategy('.js', { strategy: 'zstd-3', samples: 1, bytesIn: 100, bytesOut: 20, nanos: 5 });
    c.recordStrategy('.js', { strategy: 'zstd-3', samples: 1, bytesIn: 50, bytesOut: 10, nanos: 5 });
    c.recordStrategy('.js', { strategy: 'store', samples: 1, bytesIn: 10, bytesOut: 10, nanos: 1 });
    c.recordStrategy('.png', { strategy: 'store', samples: 2, bytesIn: 10, bytesOut: 10, nanos: 1 });
    c.close();
    const again = openIt();
    again.recordStrategy('.js', { strategy: 'zstd-3', samples: 1, bytesIn: 1, bytesOut: 1, nanos: 1 });
    const history = again.strategyHistory();
    expect(history.get('.js')).toEqual([
      { strategy: 'store', samples: 1, bytesIn: 10, bytesOut: 10, nanos: 1 },
      { strategy: 'zstd-3', samples: 3, bytesIn: 151, bytesOut: 31, nanos: 11 },
    ]);
    expect(history.get('.png')).toHaveLength(1);
  });
});

describe('BlobIdSet', () => {
  it('binary-searches a sorted buffer', () => {
    const ids = Array.from({ length: 257 }, () => randomBytes(32)).sort(Buffer.compare);
    const set = new BlobIdSet(Buffer.concat(ids));
    for (const id of ids) expect(set.has(id)).toBe(true);
    for (let i = 0; i < 50; i++) expect(set.has(randomBytes(32))).toBe(false);
    expect(new BlobIdSet().has(ids[0]!)).toBe(false);
  });

  it('backed by a source, answers one query at a time, then loads everything once, and sees later additions either way', () => {
    const ids = Array.from({ length: 40 }, () => randomBytes(32)).sort(Buffer.compare);
    const stored = new Set(ids.slice(0, 30).map((id) => id.toString('hex')));
    let queries = 0;
    let loads = 0;
    const set = BlobIdSet.backedBy(
      {
        has: (id) => (queries++, stored.has(Buffer.from(id).toString('hex'))),
        loadSorted: () => (loads++, Buffer.concat(ids.filter((id) => stored.has(id.toString('hex'))))),
      },
      3,
    );
    expect(set.has(ids[0]!)).toBe(true);
    expect(set.has(ids[35]!)).toBe(false);
    set.add(ids[35]!);
    expect(set.has(ids[35]!)).toBe(true); // from the added ids, no query
    stored.add(ids[36]!.toString('hex')); // the catalog gained a blob meanwhile
    expect(set.has(ids[36]!)).toBe(true);
    expect([queries, loads, set.loaded]).toEqual([3, 0, false]);
    expect(set.has(ids[29]!)).toBe(true); // the fourth question loads the set
    expect(set.has(ids[37]!)).toBe(false);
    expect([queries, loads, set.loaded]).toEqual([3, 1, true]);
    expect(set.size).toBe(32); // 31 loaded + 1 added (the added one is not counted twice)
  });
});

describe('copyTo (the checkpoint)', () => {
  it('leaves out the blobs-by-pack index, which opening the copy makes again', () => {
    const c = openIt();
    const packs = Array.from({ length: 20 }, () => packId());
    for (const p of packs) c.addPack({ id: p, size: 1 << 20 }, Array.from({ length: 200 }, (_, i) => blob(BlobKind.chunk, 25 + i * 100)));
    c.checkpoint();
    const copy = join(dir, 'copy.db');
    c.copyTo(copy);
    const indexes = (file: string): string[] => {
      const raw = new Database(file, { readonly: true });
      try {
        applyCatalogKey(raw, key);
        return (raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'blobs'").all() as { name: string }[]).map((r) => r.name);
      } finally {
        raw.close();
      }
    };
    expect(indexes(path)).toContain('blobs_by_pack');
    expect(indexes(copy)).not.toContain('blobs_by_pack');
    expect(readFileSync(copy).length).toBeLessThan(0.8 * readFileSync(path).length);
    expect(readFileSync(copy).includes('SQLite format 3')).toBe(false); // still encrypted

    const reopened = openCatalog(copy, key);
    open.push(reopened);
    expect(indexes(copy)).toContain('blobs_by_pack');
    expect(reopened.blobsInPack(packs[7]!).map((b) => b.offset)).toEqual(c.blobsInPack(packs[7]!).map((b) => b.offset));
    expect(reopened.blobIdSet().size).toBe(4000);
  });
});
