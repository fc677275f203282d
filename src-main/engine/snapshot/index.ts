/**
 * Snapshots: what a source folder looked like, as trees of entries.
 *
 * - **Entry**: one name in a directory with its type (`file`, `dir`,
 *   `symlink`), permission bits (st_mode & 0o7777), mtime in nanoseconds and
 *   size. A file lists its content blob ids in order; a dir names its subtree;
 *   a symlink keeps its target verbatim. Inode and ctime ride along for change
 *   detection on the next backup and are never restored.
 * - **Name**: bytes, not text. A name that is valid UTF-8 is a string; one that
 *   is not also carries its raw bytes (`nameBytes`), and the bytes win.
 *   NFC and NFD spellings are different names.
 * - **Tree**: one directory's entries sorted by name bytes, encoded
 *   canonically (`tree.ts`), so an unchanged directory is the same blob.
 * - **Snapshot manifest**: project, source path, host, time, root tree id,
 *   parent snapshot, counts and warnings (`manifest.ts`).
 * - **Scan**: listing the source one directory at a time (`scan.ts`);
 *   unreadable and special entries become warnings, never failures.
 * - **Scan digest**: what a listing was made from (`scan-digest.ts`), so a
 *   re-backup reuses a folder scanned to the same digest without reading
 *   its previous listing or anything below it.
 *
 * Invariants
 * - A tree never holds a name that is empty, ".", "..", or contains "/" or
 *   NUL, nor two equal names; `decodeTree` rejects any that do as damaged
 *   data, so every name that reaches the restorer is a single path component.
 * - Same entries, same bytes: encoding sorts, and every field has one form.
 * - Symlinks are stored, never followed, when scanning and when restoring.
 * - The vault directory is never scanned (`excludeAbsolute`), and a source
 *   inside the vault is refused (`isInside`).
 *
 * A backup walks depth-first, post-order (a tree needs its subtrees' ids):
 *
 *   // The directory's tree id, or undefined when it could not be listed.
 *   async function storeDir(dir: string | Buffer, rel: string): Promise<Uint8Array | undefined> {
 *     const listing = await scanDir(dir, rel, ctx);
 *     warnings.push(...listing.warnings);
 *     if (!listing.readable) return undefined;
 *     const entries: TreeEntry[] = [];
 *     for (const e of listing.entries) {
 *       if (e.type === 'dir') {
 *         const subtree = await storeDir(e.path, e.relPath);
 *         if (subtree) entries.push(treeEntryOf(e, { subtree }));
 *       } else if (e.type === 'file') {
 *         const { content, size } = await storeFile(e); // chunk, dedup, seal
 *         entries.push(treeEntryOf(e, { content, size }));
 *       } else {
 *         entries.push(treeEntryOf(e, {}));
 *       }
 *     }
 *     return storeBlob('tree', encodeTree(entries));
 *   }
 *   const rootTree = await storeDir(ctx.root, '');
 */
export { BLOB_ID_LENGTH, ENTRY_TYPE_CODE, TREE_FORMAT_VERSION, TreeIndex, decodeTree, encodeTree, indexTree, targetBytesOf } from './tree.ts';
export type { EntryType, TreeEntry } from './tree.ts';
export { decodeManifest, encodeManifest } from './manifest.ts';
export type { SnapshotCounts, SnapshotManifest, SnapshotWarning } from './manifest.ts';
export { countSource, createScanContext, prescan, PRESCAN_ENTRIES, fileChangedWhileReading, isInside, pathKey, scanDir, treeEntryOf } from './scan.ts';
export { SCAN_DIGEST_BYTES, dropListings, folderDigest, listedDigest } from './scan-digest.ts';
export type { FileIdentity, ScanContext, ScanOptions, ScannedDir, ScannedEntry, SourceTotals } from './scan.ts';
export { compareNameBytes, displayPath, isWellFormedName, nameBytesOf, nameFromBytes, nameProblem, toFsName } from './names.ts';
export type { EntryName } from './names.ts';
