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
 *
 * The hash input is the entry count, then the fixed-size fields of every
 * entry (five 8-byte slots, written through typed arrays: Buffer's BigInt
 * writers cost most of the time otherwise), then the variable parts (name,
 * link target, subfolder digest) with their lengths; every part's length
 * follows from what precedes it, so two listings never give the same input.
 * Typed arrays write in the machine's byte order: a vault moved to a machine
 * of the other order only loses the shortcut, once.
 */
export function folderDigest(entries: readonly ScannedEntry[], subfolderDigest: (e: ScannedEntry) => Uint8Array | null): Uint8Array | null {
  const n = entries.length;
  const fixed = new ArrayBuffer(8 + n * 40);
  const head = new Float64Array(fixed, 0, 1);
  const i64 = new BigInt64Array(fixed, 8);
  const u64 = new BigUint64Array(fixed, 8);
  const f64 = new Float64Array(fixed, 8);
  head[0] = n;
  const subs: (Uint8Array | null)[] = new Array(n);
  let varSize = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    const slot = i * 5;
    i64[slot] = e.mtimeNs;
    i64[slot + 1] = e.ctimeNs;
    u64[slot + 2] = e.ino;
    f64[slot + 3] = e.size;
    f64[slot + 4] = e.mode * 8 + TYPE_CODE[e.type];
    varSize += 4 + (e.nameBytes ? e.nameBytes.length : Buffer.byteLength(e.name, 'utf8'));
    if (e.type === 'symlink') varSize += 4 + (e.targetBytes ? e.targetBytes.length : Buffer.byteLength(e.target ?? '', 'utf8'));
    else if (e.type === 'dir') {
      const sub = subfolderDigest(e);
      if (!sub) return null;
      subs[i] = sub;
      varSize += SCAN_DIGEST_BYTES;
    }
  }
  const rest = Buffer.allocUnsafe(varSize);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    at = writeBytes(rest, at, e.nameBytes, e.name);
    if (e.type === 'symlink') at = writeBytes(rest, at, e.targetBytes, e.target ?? '');
    const sub = subs[i];
    if (sub) at += Buffer.from(sub.buffer, sub.byteOffset, sub.byteLength).copy(rest, at);
  }
  return createHash('sha256').update(DOMAIN).update(new Uint8Array(fixed)).update(rest).digest();
}

/** A length-prefixed name or link target: its raw bytes when it has them, else its UTF-8. */
function writeBytes(buf: Buffer, at: number, raw: Uint8Array | undefined, text: string): number {
  if (raw) {
    at = buf.writeUInt32LE(raw.length, at);
    return at + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).copy(buf, at);
  }
  const length = buf.write(text, at + 4, 'utf8');
  buf.writeUInt32LE(length, at);
  return at + 4 + length;
}

/**
 * The digest of a folder from the listings `prescan` holds for it and
 * everything below it; null when one of them is missing (not listed yet, or
 * beyond prescan's limit) or left something out. `memo` (by pathKey) makes
 * asking for every folder on the way down cost one digest each; a folder
 * with a listing missing below it is not remembered, as a later `prescan`
 * may list it.
 */
export function listedDigest(ctx: ScanContext, dirPath: string | Buffer, memo: Map<string, Uint8Array | null>): Uint8Array | null {
  return listed(ctx, dirPath, memo).digest;
}

/** `listedDigest`, and whether the answer is final (no listing missing below the folder). */
function listed(ctx: ScanContext, dirPath: string | Buffer, memo: Map<string, Uint8Array | null>): { digest: Uint8Array | null; final: boolean } {
  const key = pathKey(dirPath);
  const known = memo.get(key);
  if (known !== undefined) return { digest: known, final: true };
  const listing = ctx.prescanned?.get(key);
  if (!listing) return { digest: null, final: false };
  let final = true;
  const digest =
    listing.readable && listing.warnings.length === 0
      ? folderDigest(listing.entries, (e) => {
          const sub = listed(ctx, e.path, memo);
          final &&= sub.final;
          return sub.digest;
        })
      : null;
  if (final) memo.set(key, digest);
  return { digest, final };
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
