/**
 * What verify and repair work on: the vault's keys, folders, worker pool and
 * (when it opens) its catalog. Unlike `Vault.open`, opening for healing does
 * not fail on a damaged or missing catalog: that is one of the things to
 * report and repair.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG_FILE, openCatalog } from '../catalog/index.ts';
import type { Catalog } from '../catalog/index.ts';
import { VaultError } from '../errors.ts';
import { unlockHeader } from '../keys/index.ts';
import type { VaultKeys } from '../keys/index.ts';
import { DEFAULT_CHUNKER_PARAMS } from '../chunking/index.ts';
import { WorkerPool } from '../workers/index.ts';

export interface HealTarget {
  dir: string;
  packsDir: string;
  keys: VaultKeys;
  pool: WorkerPool;
  /** null when the catalog could not be opened. */
  catalog: Catalog | null;
  catalogError: string | null;
  /** Set when unlocking found one header copy damaged and rewrote it from the other. */
  headerRepaired: string | null;
}

export interface HealOpenOptions {
  threads?: number;
  workerFile?: string | URL;
}

export async function openForHealing(dir: string, password: string, options: HealOpenOptions = {}): Promise<HealTarget & { close(): Promise<void> }> {
  const { keys, repairedCopy } = await unlockHeader(dir, password);
  let catalog: Catalog | null = null;
  let catalogError: string | null = null;
  try {
    // Opening a missing catalog would create an empty one and hide the loss.
    if (!existsSync(join(dir, CATALOG_FILE))) throw new VaultError('damaged-data', 'The catalog (catalog.db) is missing.');
    catalog = openCatalog(join(dir, CATALOG_FILE), keys.catalogKey);
    // A catalog that opens may still have damaged pages: check them all now,
    // so nothing later trusts a damaged index.
    const problems = catalog.integrityProblems();
    if (problems.length > 0) throw new VaultError('damaged-data', `The catalog is damaged (${problems[0]}).`);
  } catch (err) {
    catalogError = err instanceof VaultError ? err.message : String(err);
    try {
      catalog?.close();
    } catch {
      // damaged beyond closing cleanly
    }
    catalog = null;
  }
  const pool = WorkerPool.create({
    blobKey: keys.blobKey,
    idKey: keys.idKey,
    gearSeed: keys.gearSeed,
    chunker: DEFAULT_CHUNKER_PARAMS,
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.workerFile ? { workerFile: options.workerFile } : {}),
  });
  const target: HealTarget & { close(): Promise<void> } = {
    dir,
    packsDir: join(dir, 'packs'),
    keys,
    pool,
    catalog,
    catalogError,
    headerRepaired: repairedCopy ?? null,
    async close() {
      await pool.close();
      try {
        // The current catalog: repair may have replaced the one opened here with a rebuilt one.
        target.catalog?.close();
      } catch {
        // a catalog damaged under us; nothing more to save
      }
    },
  };
  return target;
}
