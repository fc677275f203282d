/**
 * Scan digests: what lets an unchanged re-backup skip whole folders.
 *
 * A folder's digest is a SHA-256 over the scanned metadata of its entries,
 * in tree order (name bytes, type, mode, mtime, ctime, inode, size, link
 * target), with each subfolder contributing its own digest: so it covers
 * everything below the folder, the way a tree id covers its subtrees. A
 * backup records, per listing it stores, the digest of the scan it made the
 * listing from (catalog migration 0006).
 *
 * On the next backup, a folder whose whole subtree is already listed
 * (`prescan`) gets its digest before the walk enters it. If it equals the
 * digest recorded for the folder's previous listing, the walk would find
 * every file unchanged by the very test it applies to each file (size,
 * mtime, ctime, inode), recurse into subfolders that are unchanged too, and
 * end up with the same listing: so it takes that listing, and the counts
 * recorded beside it, without reading the listing or anything below it.
 *
 * A digest is only made for a folder whose scan and storing went cleanly
 * (no entry left out, no warning, no file that changed while being read),
 * and so for none of its parents: a folder whose listing leaves something
 * out is walked every time, so its warnings are reported every time. The
 * digest needs no key: it is kept only in the encrypted catalog, and is
 * computed while Argon2id is still deriving the key.
 */
import { createHash } from 'node:crypto';
import type { ScanContext, ScannedEntry } from './scan.ts';
import { pathKey } from './scan.ts';

export const SCAN_DIGEST_BYTES = 32;
const DOMAIN = Buffer.from('mmry scan digest 1\n');
const TYPE_CODE = { file: 1, dir: 2, symlink: 3 } as const;

/**
 * The digest of one folder from its entries (in tree order) and its
 * subfolders' digests; null when a subfolder has none.
 */
export function folderDigest(entries: readonly ScannedEntry[], subfolderDigest: (e: ScannedEntry) => Uint8Array | null): Uint8Array | null {
  const names: Buffer[] = new Array(entries.length);
  const targets: (Buffer | undefined)[] = new Array(entries.length);
  const subs: (Uint8Array | undefined)[] = new Array(entries.length);
  let size = DOMAIN.length;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const name = e.nameBytes ? Buffer.from(e.nameBytes) : Buffer.from(e.name, 'utf8');
    names[i] = name;
    size += 1 + 4 + name.length + 4 + 8 * 4;
    if (e.type === 'symlink') {
      const target = e.targetBytes ? Buffer.from(e.targetBytes) : Buffer.from(e.target ?? '', 'utf8');
      targets[i] = target;
      size += 4 + target.length;
    } else if (e.type === 'dir') {
      const sub = subfolderDigest(e);
      if (!sub) return null;
      subs[i] = sub;
      size += SCAN_DIGEST_BYTES;
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let at = DOMAIN.copy(buf, 0);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    at = buf.writeUInt8(TYPE_CODE[e.type], at);
    at = buf.writeUInt32LE(names[i]!.length, at);
    at += names[i]!.copy(buf, at);
    at = buf.writeUInt32LE(e.mode, at);
    at = buf.writeBigInt64LE(e.mtimeNs, at);
    at = buf.writeBigInt64LE(e.ctimeNs, at);
    at = buf.writeBigUInt64LE(e.ino, at);
    at = buf.writeDoubleLE(e.size, at);
    const target = targets[i];
    if (target) {
      at = buf.writeUInt32LE(target.length, at);
      at += target.copy(buf, at);
    }
    const sub = subs[i];
    if (sub) at += Buffer.from(sub.buffer, sub.byteOffset, sub.byteLength).copy(buf, at);
  }
  return createHash('sha256').update(buf.subarray(0, at)).digest();
}

/**
 * The digest of a folder from the listings `prescan` holds for it and
 * everything below it; null when one of them is missing (not listed yet, or
 * beyond prescan's limit) or left something out. `memo` (by pathKey) makes
 * asking for every folder on the way down cost one digest each.
 */
export function listedDigest(ctx: ScanContext, dirPath: string | Buffer, memo: Map<string, Uint8Array | null>): Uint8Array | null {
  const key = pathKey(dirPath);
  const known = memo.get(key);
  if (known !== undefined) return known;
  const listing = ctx.prescanned?.get(key);
  const digest = listing && listing.readable && listing.warnings.length === 0 ? folderDigest(listing.entries, (e) => listedDigest(ctx, e.path, memo)) : null;
  memo.set(key, digest);
  return digest;
}

/** Drops the listings held for a folder and everything below it (a walk that skips them never takes them). */
export function dropListings(ctx: ScanContext, dirPath: string | Buffer): void {
  const cache = ctx.prescanned;
  if (!cache) return;
  const stack: (string | Buffer)[] = [dirPath];
  while (stack.length > 0) {
    const key = pathKey(stack.pop()!);
    const listing = cache.get(key);
    if (!listing) continue;
    cache.delete(key);
    for (const e of listing.entries) if (e.type === 'dir') stack.push(e.path);
  }
}
