/**
 * Writing into a vault behind the engine's back, with the vault's own keys:
 * raw packs of hand-made blobs, hand-encoded tree bytes (so names the tree
 * encoder refuses, such as "..", can be stored), and snapshot rows that point
 * at them. The suite uses these to play a buggy or hostile writer.
 */
import { Codec } from '../../src-main/engine/codecs/index.ts';
import { BlobKind, PackWriter, sealBlob } from '../../src-main/engine/packs/index.ts';
import { encodeManifest } from '../../src-main/engine/snapshot/index.ts';
import type { Vault } from '../../src-main/engine/vault/index.ts';

export { BlobKind };

export interface RawBlob {
  plain: Uint8Array;
  kind: BlobKind;
}

/**
 * Seals `blobs` (stored uncompressed) into one new pack with the vault's blob
 * key. With `catalog`, the pack and its blobs are entered in the catalog, as
 * a finished backup would; without, the pack is an orphan on disk.
 */
export async function writePack(vault: Vault, blobs: RawBlob[], options: { catalog: boolean }): Promise<{ packId: string; ids: Buffer[] }> {
  const writer = await PackWriter.create(vault.packsDir, vault.blobKey);
  const ids: Buffer[] = [];
  for (const b of blobs) {
    const id = vault.blobId(b.plain);
    ids.push(id);
    await writer.add(id, b.kind, sealBlob(vault.blobKey, b.kind, id, Codec.raw, b.plain), b.plain.length);
  }
  const sealed = await writer.seal();
  if (options.catalog) {
    vault.catalog.addPack({ id: sealed.packId, size: sealed.size }, sealed.entries.map((e) => ({ id: e.id, kind: e.kind, offset: e.offset, length: e.length, rawLength: e.rawLength })));
  }
  return { packId: sealed.packId, ids };
}

export interface RawEntry {
  type: 'file' | 'dir' | 'symlink';
  name: string | Buffer;
  mode?: number;
  mtimeNs?: bigint;
  /** file */
  size?: number;
  content?: Uint8Array[];
  /** dir */
  subtree?: Uint8Array;
  /** symlink */
  target?: string;
}

const TYPE_CODE = { file: 1, dir: 2, symlink: 3 } as const;

/**
 * Tree bytes following the layout in src-main/engine/snapshot/tree.ts, with
 * no validation at all. Entries are sorted by name bytes unless `sort` is
 * false, so a test controls exactly which rule it breaks.
 */
export function rawTree(entries: RawEntry[], sort = true): Buffer {
  const named = entries.map((e) => ({ e, name: Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8') }));
  if (sort) named.sort((a, b) => Buffer.compare(a.name, b.name));
  const head = Buffer.alloc(5);
  head.writeUInt8(1, 0);
  head.writeUInt32BE(named.length, 1);
  const parts: Buffer[] = [head];
  for (const { e, name } of named) {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt8(TYPE_CODE[e.type], 0);
    fixed.writeUInt8(0, 1); // no inode, no ctime
    fixed.writeUInt16BE(name.length, 2);
    const meta = Buffer.alloc(10);
    meta.writeUInt16BE(e.mode ?? (e.type === 'dir' ? 0o755 : 0o644), 0);
    meta.writeBigInt64BE(e.mtimeNs ?? 1_700_000_000_000_000_000n, 2);
    parts.push(fixed, name, meta);
    if (e.type === 'file') {
      const content = e.content ?? [];
      const body = Buffer.alloc(12);
      body.writeBigUInt64BE(BigInt(e.size ?? 0), 0);
      body.writeUInt32BE(content.length, 8);
      parts.push(body, ...content.map((id) => Buffer.from(id)));
    } else if (e.type === 'dir') {
      parts.push(Buffer.from(e.subtree ?? Buffer.alloc(32)));
    } else {
      const target = Buffer.from(e.target ?? 'x', 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(target.length, 0);
      parts.push(len, target);
    }
  }
  return Buffer.concat(parts);
}

/**
 * Stores a manifest for `treeId` and adds a snapshot row for it to the
 * catalog, as a backup's commit would. `id` overrides the row's snapshot id
 * (the manifest blob is stored either way).
 */
export async function addSnapshot(vault: Vault, treeId: Uint8Array, project: string, options: { id?: string; createdAt?: number } = {}): Promise<string> {
  const createdAt = options.createdAt ?? Date.now();
  const manifest = encodeManifest({
    v: 1,
    project,
    sourcePath: `/crafted/${project}`,
    hostname: 'crafted',
    createdAt,
    tree: Buffer.from(treeId).toString('hex'),
    counts: { files: 0, dirs: 0, symlinks: 0, bytes: 0 },
    warnings: [],
  });
  const { ids } = await writePack(vault, [{ plain: manifest, kind: BlobKind.snapshot }], { catalog: true });
  const id = options.id ?? ids[0]!.toString('hex');
  vault.catalog.transaction(() => {
    const p = vault.catalog.upsertProject(project, `/crafted/${project}`);
    vault.catalog.addSnapshot({
      id,
      projectId: p.id,
      createdAt,
      treeId: Buffer.from(treeId),
      parentId: null,
      fileCount: 0,
      dirCount: 0,
      totalBytes: 0,
      newBytes: 0,
      storedBytes: 0,
      filesNew: 0,
      filesChanged: 0,
      filesUnmodified: 0,
      durationMs: 0,
      warnings: [],
      note: null,
    });
  });
  return id;
}
