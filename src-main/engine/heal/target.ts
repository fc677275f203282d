/**
 * What verify and repair work on: the vault's keys, folders, worker pool and
 * (when it opens) its catalog. Unlike `Vault.open`, opening for healing does
 * not fail on a damaged or missing catalog: that is one of the things to
 * report and repair.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CATALOG_FILE, loadCatalogDriver, openVaultCatalog } from '../catalog/index.ts';
import type { Catalog } from '../catalog/index.ts';
import { VaultError } from '../errors.ts';
import { unlockHeader } from '../keys/index.ts';
import type { VaultKeys } from '../keys/index.ts';
import { DEFAULT_CHUNKER_PARAMS } from '../chunking/index.ts';
import { WorkerPool } from '../workers/index.ts';
import { makeContext } from '../workers/tasks.ts';
import type { TaskContext } from '../workers/tasks.ts';

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
  /** Keys for checks on the main thread, where it may do CPU work (see check-queue.ts); else checks run in the pool only. */
  mainThread?: TaskContext;
}

export interface HealOpenOptions {
  threads?: number;
  /**
   * The main thread checks too, in place of one worker thread (the CLI: its
   * main thread otherwise only reads files and waits). Never in a process
   * whose event loop must stay responsive.
   */
  mainThreadChecks?: boolean;
  workerFile?: string | URL;
}

export async function openForHealing(dir: string, password: string, options: HealOpenOptions = {}): Promise<HealTarget & { close(): Promise<void> }> {
  // Before any thread starts: loading the SQLite driver takes a process report, which waits for every thread.
  loadCatalogDriver();
  // The worker threads load while Argon2id runs.
  const cores = options.threads ?? availableParallelism();
  const threads = options.mainThreadChecks ? Math.max(1, cores - 1) : cores;
  const pool = WorkerPool.warm({ threads, ...(options.workerFile ? { workerFile: options.workerFile } : {}) });
  let unlocked;
  try {
    unlocked = await unlockHeader(dir, password);
  } catch (err) {
    await pool.close();
    throw err;
  }
  const { keys, repairedCopy } = unlocked;
  const workerKeys = { blobKey: keys.blobKey, idKey: keys.idKey, gearSeed: keys.gearSeed, chunker: DEFAULT_CHUNKER_PARAMS };
  pool.setKeys(workerKeys);
  const target = healTargetFor(dir, keys, pool, repairedCopy ?? null);
  if (options.mainThreadChecks) target.mainThread = makeContext(workerKeys);
  const closeCatalog = target.close;
  target.close = async () => {
    await pool.close();
    await closeCatalog();
  };
  return target;
}

/**
 * A target over keys that are already unlocked (the desktop app's open
 * vault) and a pool its owner keeps running. It opens a catalog connection of
 * its own, so a repair that rebuilds and replaces the catalog never closes
 * the one its owner reads from; `close` closes that connection only.
 */
export function healTargetFor(dir: string, keys: VaultKeys, pool: WorkerPool, headerRepaired: string | null = null): HealTarget & { close(): Promise<void> } {
  let catalog: Catalog | null = null;
  let catalogError: string | null = null;
  try {
    // Opening a missing catalog would create an empty one and hide the loss.
    if (!existsSync(join(dir, CATALOG_FILE))) throw new VaultError('damaged-data', 'The catalog (catalog.db) is missing.');
    // On a disk it may not write (verify of a write-protected drive), through a private copy.
    catalog = openVaultCatalog(join(dir, CATALOG_FILE), keys.catalogKey);
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
  const target: HealTarget & { close(): Promise<void> } = {
    dir,
    packsDir: join(dir, 'packs'),
    keys,
    pool,
    catalog,
    catalogError,
    headerRepaired,
    async close() {
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
