/**
 * Packs sealed by a run that died before its catalog commit are valid,
 * durable data: enter them in the catalog so their blobs are reused, not
 * written again. A pack whose header does not authenticate is left alone
 * for verify to report and repair to rebuild.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalog, NewMember } from '../catalog/index.ts';
import { decode } from '../codecs/index.ts';
import { BlobKind, listPacks, openBlob, readBlobBytes, readBundleTable, readPackIndex } from '../packs/index.ts';
import type { PackEntry } from '../packs/index.ts';
import { parityFileName } from './layout.ts';
import { loadGroups, parityDir } from './parity-store.ts';

export async function adoptPacks(packsDir: string, blobKey: Buffer, catalog: Catalog): Promise<number> {
  return (await adoptPackFiles(packsDir, blobKey, catalog)).adopted;
}

/** `adoptPacks`, also telling which packs the catalog lists that are not on disk. */
export async function adoptPackFiles(packsDir: string, blobKey: Buffer, catalog: Catalog): Promise<{ adopted: number; missing: string[] }> {
  const listed = catalog.listPacks().map((p) => p.id);
  const known = new Set(listed);
  const onDisk = new Set<string>();
  let adopted = 0;
  for (const pack of await listPacks(packsDir)) {
    onDisk.add(pack.packId);
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
  return { adopted, missing: listed.filter((id) => !onDisk.has(id)) };
}

/**
 * Of `missing` packs, those no parity group can rebuild: in no readable
 * group, or in one with more shards gone (member packs, parity files) than
 * it has parity files. Damage inside the shards still there is not looked
 * at: only verify reads them, and a pack taken here for rebuildable is what
 * it was before this check.
 */
export async function unrebuildablePacks(vaultDir: string, missing: readonly string[]): Promise<string[]> {
  if (missing.length === 0) return [];
  const gone = new Set(missing);
  const groups = [...(await loadGroups(vaultDir)).values()];
  return missing.filter((packId) => {
    const g = groups.find((x) => x.desc.members.some((m) => m.packId === packId));
    if (!g) return true;
    const lostMembers = g.desc.members.filter((m) => gone.has(m.packId)).length;
    const lostParity = Array.from({ length: g.desc.parityCount }, (_, j) => j).filter((j) => !existsSync(join(parityDir(vaultDir), parityFileName(g.desc.groupId, j)))).length;
    return lostMembers + lostParity > g.desc.parityCount;
  });
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
