/** Pack file names in a vault's `packs/` folder, listing, and cleanup of interrupted writes. */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.ts';
import { errnoCode } from '../fsutil/index.ts';
import { mapLimited } from '../limited.ts';

const STATS_IN_FLIGHT = 16;

export const PARTIAL_PREFIX = 'tmp-';
export const PARTIAL_SUFFIX = '.partial';
const PACK_NAME = /^([0-9a-f]{32})\.pack$/;

export function packFileName(packId: string): string {
  return `${packId}.pack`;
}

export function packPath(packsDir: string, packId: string): string {
  return join(packsDir, packFileName(packId));
}

/** The pack id a file name claims, if it is a pack's name. */
export function packIdFromFileName(name: string): string | undefined {
  return PACK_NAME.exec(name)?.[1];
}

export interface PackFile {
  packId: string;
  path: string;
  size: number;
}

/** Every sealed pack, by name order. A missing folder holds no packs. */
export async function listPacks(packsDir: string): Promise<PackFile[]> {
  const named = (await listNames(packsDir)).sort().flatMap((name) => {
    const packId = packIdFromFileName(name);
    return packId ? [{ packId, path: join(packsDir, name) }] : [];
  });
  // Sizes asked for many at once: one after another, each waits its turn on the event loop.
  const sized = await mapLimited(named, STATS_IN_FLIGHT, async ({ packId, path }): Promise<PackFile | undefined> => {
    try {
      return { packId, path, size: (await stat(path)).size };
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw fromSystemError(err, `pack ${packId}`);
      return undefined;
    }
  });
  return sized.filter((p): p is PackFile => p !== undefined);
}

/**
 * Removes `tmp-*.partial` files left by an interrupted backup; returns their
 * names. Call only while holding the vault lock: another writer's pack in
 * progress looks exactly like a leftover.
 */
export async function cleanupPartials(packsDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await listNames(packsDir)) {
    if (!name.startsWith(PARTIAL_PREFIX) || !name.endsWith(PARTIAL_SUFFIX)) continue;
    try {
      await unlink(join(packsDir, name));
      removed.push(name);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw fromSystemError(err, `the leftover file ${join(packsDir, name)}`);
    }
  }
  return removed;
}

async function listNames(packsDir: string): Promise<string[]> {
  try {
    return await readdir(packsDir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw fromSystemError(err, `the packs folder ${packsDir}`);
  }
}
