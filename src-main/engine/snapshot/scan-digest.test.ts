import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScanContext, prescan } from './scan.ts';
import type { ScannedEntry } from './scan.ts';
import { dropListings, folderDigest, listedDigest, SCAN_DIGEST_BYTES } from './scan-digest.ts';

function entry(over: Partial<ScannedEntry> = {}): ScannedEntry {
  return { name: 'a.txt', type: 'file', mode: 0o644, mtimeNs: 1_700_000_000_123_456_789n, ctimeNs: 1_700_000_000_223_456_789n, ino: 42n, size: 10, path: '/x/a.txt', relPath: 'a.txt', ...over };
}

const hex = (d: Uint8Array | null) => (d ? Buffer.from(d).toString('hex') : null);
const none = () => null;

describe('folderDigest', () => {
  it('changes with every field a listing is made from, and only with those', () => {
    const base = hex(folderDigest([entry()], none));
    expect(base).toHaveLength(SCAN_DIGEST_BYTES * 2);
    expect(hex(folderDigest([entry()], none))).toBe(base);
    expect(hex(folderDigest([entry({ path: '/elsewhere/a.txt', relPath: 'b/a.txt' })], none))).toBe(base); // where it was scanned is not what it is
    const variants: Partial<ScannedEntry>[] = [
      { name: 'b.txt' },
      { nameBytes: Buffer.from([0x61, 0xff]) },
      { mode: 0o755 },
      { mtimeNs: 1_700_000_000_123_456_790n }, // one nanosecond
      { ctimeNs: 1_700_000_000_223_456_788n },
      { ino: 43n },
      { size: 11 },
      { type: 'symlink', target: 'a.txt', size: 5 },
    ];
    const seen = new Set([base]);
    for (const v of variants) seen.add(hex(folderDigest([entry(v)], none)));
    expect(seen.size).toBe(variants.length + 1);
    const linkTo = (target: string) => hex(folderDigest([entry({ type: 'symlink', target, size: 1 })], none));
    expect(linkTo('x')).not.toBe(linkTo('y'));
  });

  it('covers subfolders through their digests, and has none when a subfolder has none', () => {
    const dir = entry({ name: 'sub', type: 'dir', size: 0 });
    const one = Buffer.alloc(SCAN_DIGEST_BYTES, 1);
    const two = Buffer.alloc(SCAN_DIGEST_BYTES, 2);
    expect(hex(folderDigest([dir], () => one))).not.toBe(hex(folderDigest([dir], () => two)));
    expect(folderDigest([entry(), dir], none)).toBeNull();
    // Entry boundaries are unambiguous: two names are not one longer name.
    expect(hex(folderDigest([entry({ name: 'ab' })], none))).not.toBe(hex(folderDigest([entry({ name: 'a' }), entry({ name: 'b' })], none)));
    expect(hex(folderDigest([], none))).not.toBe(hex(folderDigest([entry()], none)));
  });
});

describe('listedDigest and dropListings', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mmry-digest-'));
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    await mkdir(path.join(dir, 'c'));
    await writeFile(path.join(dir, 'a', 'b', 'f.txt'), 'f');
    await writeFile(path.join(dir, 'c', 'g.txt'), 'g');
    await symlink('c/g.txt', path.join(dir, 'link'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('digests a fully listed subtree, has none for one listed only in part, and drops exactly a subtree', async () => {
    const ctx = await createScanContext(dir);
    await prescan(ctx, { cancelled: false });
    expect(ctx.prescanned!.size).toBe(4);
    const memo = new Map<string, Uint8Array | null>();
    const root = listedDigest(ctx, ctx.root, memo);
    expect(root).not.toBeNull();
    expect(memo.size).toBe(4); // every folder digested once, on the way
    expect(hex(listedDigest(ctx, ctx.root, new Map()))).toBe(hex(root));

    dropListings(ctx, path.join(ctx.root, 'a'));
    expect(ctx.prescanned!.size).toBe(2); // a and a/b gone; the root and c stay
    expect(listedDigest(ctx, ctx.root, new Map())).toBeNull();
    expect(listedDigest(ctx, path.join(ctx.root, 'c'), new Map())).not.toBeNull();

    const partial = await createScanContext(dir);
    await prescan(partial, { cancelled: false }, 1); // stops after the first listing
    const later = new Map<string, Uint8Array | null>();
    expect(listedDigest(partial, partial.root, later)).toBeNull();
    // Listing the rest later (a subtree at a time, as a re-backup's walk does) gives the digest:
    // a folder with a listing missing below it was not remembered as having none.
    for (const sub of ['a', 'c']) await prescan(partial, { cancelled: false }, 100, { path: path.join(partial.root, sub), rel: sub });
    expect(hex(listedDigest(partial, partial.root, later))).toBe(hex(root));
  });

  it('has none for a folder whose listing left something out', async () => {
    const ctx = await createScanContext(dir);
    await prescan(ctx, { cancelled: false });
    const c = ctx.prescanned!.get([...ctx.prescanned!.keys()].find((k) => k.endsWith('/c'))!)!;
    c.warnings.push({ path: 'c/socket', message: 'Skipped: a socket cannot be backed up.' });
    const memo = new Map<string, Uint8Array | null>();
    expect(listedDigest(ctx, ctx.root, memo)).toBeNull();
    expect(listedDigest(ctx, path.join(ctx.root, 'a'), memo)).not.toBeNull(); // its sibling still has one
  });
});
