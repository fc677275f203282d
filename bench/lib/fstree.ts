/**
 * File-tree helpers: sizes (du), a hash walk that fingerprints every entry of
 * a tree, and the comparison of two fingerprints (is a restore byte-identical
 * to its source?).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeSize {
  files: number;
  dirs: number;
  symlinks: number;
  /** Apparent bytes of regular files (like `du -sb`, without directory sizes). */
  bytes: number;
  /** Bytes of disk blocks allocated (like `du -s`). */
  diskBytes: number;
}

export interface EntryPrint {
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits. */
  mode: number;
  mtimeMs: number;
  size?: number;
  sha256?: string;
  target?: string;
}

/** Relative path ('' is the root) → fingerprint. */
export type TreePrint = Map<string, EntryPrint>;

/** Counts and sizes of a tree, not following symlinks. */
export async function treeSize(root: string): Promise<TreeSize> {
  const size: TreeSize = { files: 0, dirs: 0, symlinks: 0, bytes: 0, diskBytes: 0 };
  await walk(root, '', async (_rel, _abs, st) => {
    if (st.isFile()) {
      size.files++;
      size.bytes += st.size;
    } else if (st.isDirectory()) size.dirs++;
    else if (st.isSymbolicLink()) size.symlinks++;
    size.diskBytes += st.blocks * 512;
  });
  return size;
}

/** A repository's size as stored: apparent bytes of every file in it. */
export async function storeBytes(root: string): Promise<number> {
  return (await treeSize(root)).bytes;
}

/** Fingerprints every entry; reading every file also warms the page cache for what follows. */
export async function hashTree(root: string): Promise<TreePrint> {
  const print: TreePrint = new Map();
  const pending: Promise<void>[] = [];
  let running = 0;
  const queue: (() => void)[] = [];
  const limit = 8;
  const throttle = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
  await walk(root, '', async (rel, abs, st) => {
    const base = { mode: st.mode & 0o7777, mtimeMs: Math.floor(st.mtimeMs) };
    if (st.isFile()) {
      const entry: EntryPrint = { type: 'file', ...base, size: st.size };
      print.set(rel, entry);
      pending.push(throttle(async () => void (entry.sha256 = await hashFile(abs, st.size))));
    } else if (st.isDirectory()) print.set(rel, { type: 'dir', ...base });
    else if (st.isSymbolicLink()) print.set(rel, { type: 'symlink', ...base, target: await readlink(abs) });
    else print.set(rel, { type: 'other', ...base });
  });
  await Promise.all(pending);
  return print;
}

export interface TreeDiff {
  /** Missing, extra, or different content/type/link target: the restore is wrong. */
  content: string[];
  /** Permission bits or mtimes differ: reported, not fatal. */
  metadata: string[];
  metadataCount: { mode: number; mtime: number };
}

/**
 * What differs between a source and its restore. Directory mtimes and
 * symlink modes are not compared (tools differ legitimately there).
 */
export function compareTrees(expected: TreePrint, actual: TreePrint): TreeDiff {
  const diff: TreeDiff = { content: [], metadata: [], metadataCount: { mode: 0, mtime: 0 } };
  for (const [rel, want] of expected) {
    const got = actual.get(rel);
    const name = rel || '.';
    if (!got) {
      diff.content.push(`missing: ${name}`);
      continue;
    }
    if (got.type !== want.type) diff.content.push(`type: ${name} is ${got.type}, expected ${want.type}`);
    else if (want.type === 'file' && (got.size !== want.size || got.sha256 !== want.sha256)) diff.content.push(`content: ${name} differs (${got.size} vs ${want.size} bytes)`);
    else if (want.type === 'symlink' && got.target !== want.target) diff.content.push(`link: ${name} -> ${got.target}, expected ${want.target}`);
    if (got.type !== want.type || want.type === 'symlink') continue;
    if (rel !== '' && got.mode !== want.mode) {
      diff.metadataCount.mode++;
      if (diff.metadata.length < 20) diff.metadata.push(`mode: ${name} ${got.mode.toString(8)}, expected ${want.mode.toString(8)}`);
    }
    if (want.type === 'file' && got.mtimeMs !== want.mtimeMs) {
      diff.metadataCount.mtime++;
      if (diff.metadata.length < 20) diff.metadata.push(`mtime: ${name} ${got.mtimeMs}, expected ${want.mtimeMs}`);
    }
  }
  for (const rel of actual.keys()) if (!expected.has(rel)) diff.content.push(`extra: ${rel}`);
  return diff;
}

/**
 * Reads every file under `root` back into the page cache. borg drops from
 * the cache what it reads (posix_fadvise DONTNEED on its input files), so
 * without this the tool that runs after it reads the corpus from disk while
 * the others read it from memory.
 */
export async function warmPageCache(root: string): Promise<void> {
  const files: string[] = [];
  await walk(root, '', async (_rel, abs, st) => {
    if (st.isFile()) files.push(abs);
  });
  let next = 0;
  const reader = async () => {
    while (next < files.length) {
      const path = files[next++]!;
      for await (const _chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
        // only the reading matters
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, reader));
}

export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 3 });
}

/** Depth-first walk in name order; `visit` sees every entry, the root included as ''. */
export async function walk(root: string, rel: string, visit: (rel: string, abs: string, st: Stats) => Promise<void>): Promise<void> {
  const abs = rel ? join(root, rel) : root;
  const st = await lstat(abs);
  await visit(rel, abs, st);
  if (!st.isDirectory()) return;
  const names = (await readdir(abs)).sort();
  for (const name of names) await walk(root, rel ? `${rel}/${name}` : name, visit);
}

async function hashFile(path: string, size: number): Promise<string> {
  if (size <= 8 * 1024 * 1024) return createHash('sha256').update(await readFile(path)).digest('hex');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
