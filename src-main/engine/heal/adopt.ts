/**
 * Packs sealed by a run that died before its catalog commit are valid,
 * durable data: enter them in the catalog so their blobs are reused, not
 * written again. A pack whose header does not authenticate is left alone
 * for verify to report and repair to rebuild.
 */
import type { Catalog } from '../catalog/index.ts';
import { listPacks, readPackIndex } from '../packs/index.ts';

export async function adoptPacks(packsDir: string, blobKey: Buffer, catalog: Catalog): Promise<number> {
  const known = new Set(catalog.listPacks().map((p) => p.id));
  let adopted = 0;
  for (const pack of await listPacks(packsDir)) {
    if (known.has(pack.packId)) continue;
    try {
      const index = await readPackIndex(pack.path, blobKey);
      catalog.addPack({ id: index.packId, size: index.size }, index.entries.map((e) => ({ id: e.id, kind: e.kind, offset: e.offset, length: e.length, rawLength: e.rawLength })));
      adopted++;
    } catch {
      // reported by verify
    }
  }
  return adopted;
}
