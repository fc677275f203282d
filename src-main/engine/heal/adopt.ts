/**
 * Packs sealed by a run that died before its catalog commit are valid,
 * durable data: enter them in the catalog so their blobs are reused, not
 * written again. A pack whose header does not authenticate is left alone
 * for verify to report and repair to rebuild.
 */
import type { Catalog, NewMember } from '../catalog/index.ts';
import { decode } from '../codecs/index.ts';
import { BlobKind, listPacks, openBlob, readBlobBytes, readBundleTable, readPackIndex } from '../packs/index.ts';
import type { PackEntry } from '../packs/index.ts';

export async function adoptPacks(packsDir: string, blobKey: Buffer, catalog: Catalog): Promise<number> {
  const known = new Set(catalog.listPacks().map((p) => p.id));
  let adopted = 0;
  for (const pack of await listPacks(packsDir)) {
    if (known.has(pack.packId)) continue;
    try {
      const index = await readPackIndex(pack.path, blobKey);
      const members = await bundleMembersIn(pack.path, blobKey, index.entries);
      catalog.addPack({ id: index.packId, size: index.size }, index.entries.map((e) => ({ id: e.id, kind: e.kind, offset: e.offset, length: e.length, rawLength: e.rawLength })), members);
      adopted++;
    } catch {
      // reported by verify
    }
  }
  return adopted;
}

/**
 * The members of every bundle among a pack's entries, read from the
 * bundles' own tables (packs/bundle.ts). A bundle that does not authenticate
 * or whose table is malformed is skipped: its members stay unknown, and
 * verify reports the blob.
 */
export async function bundleMembersIn(packPath: string, blobKey: Buffer, entries: readonly PackEntry[]): Promise<NewMember[]> {
  const out: NewMember[] = [];
  for (const e of entries) {
    if (e.kind !== BlobKind.bundle) continue;
    try {
      const opened = openBlob(blobKey, e.kind, e.id, await readBlobBytes(packPath, e.offset, e.length));
      const plain = decode(opened.codec, opened.payload, e.rawLength);
      for (const m of readBundleTable(plain)) out.push({ id: m.id, bundleId: e.id, innerOffset: m.offset, length: m.length });
    } catch {
      // reported by verify
    }
  }
  return out;
}
