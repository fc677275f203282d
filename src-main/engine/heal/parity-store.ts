/**
 * Reading and writing parity groups in `parity/` (see layout.ts for the
 * format), and the vault's redundancy setting.
 *
 * Every file is written whole and atomically (temporary name, fsync, rename),
 * so a crash leaves each file either old or new. The copies of one group's
 * descriptor may then disagree; the copy with the most members wins (members
 * are only ever appended), and a parity shard whose embedded descriptor is
 * not the winner is stale: it counts as erased until repair rewrites it.
 */
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.ts';
import { errnoCode, fsyncDir, readFileIfExists, writeFileAtomic } from '../fsutil/index.ts';
import { mapLimited } from '../limited.ts';
import { DEFAULT_REDUNDANCY, PARITY_DIR, assertRedundancy, decodeDescriptor, encodeDescriptor, groupFileName, parityFileName, parseParityName } from './layout.ts';
import type { GroupDescriptor } from './layout.ts';

const SETTINGS_FILE = 'settings.json';

export function parityDir(vaultDir: string): string {
  return join(vaultDir, PARITY_DIR);
}

export interface ParitySettings {
  /** Parity bytes per data byte in a full group, e.g. 0.1; 0 turns parity off. */
  redundancy: number;
}

export async function readSettings(vaultDir: string): Promise<ParitySettings> {
  const raw = await readFileIfExists(join(parityDir(vaultDir), SETTINGS_FILE), 'the parity settings');
  if (!raw) return { redundancy: DEFAULT_REDUNDANCY };
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as { redundancy?: unknown };
    const r = Number(parsed.redundancy);
    assertRedundancy(r);
    return { redundancy: r };
  } catch {
    // A damaged settings file must not turn protection off.
    return { redundancy: DEFAULT_REDUNDANCY };
  }
}

export async function writeSettings(vaultDir: string, settings: ParitySettings): Promise<void> {
  assertRedundancy(settings.redundancy);
  await ensureDir(parityDir(vaultDir));
  await writeFileAtomic(join(parityDir(vaultDir), SETTINGS_FILE), `${JSON.stringify({ redundancy: settings.redundancy })}\n`, 'the parity settings');
}

/** One parity group as found on disk. */
export interface StoredGroup {
  desc: GroupDescriptor;
  /** Files holding a good copy of the winning descriptor. */
  goodCopies: string[];
  /** Descriptor copies that are damaged, stale or missing. */
  badCopies: string[];
  /** Per parity shard: its file holds the winning descriptor (its bytes may still have damaged stripes). */
  shardCurrent: boolean[];
}

/** Every group in `parity/`, with which copies of its descriptor are sound. */
/** Groups whose descriptor copies are read at once. */
const READS_IN_FLIGHT = 8;

export async function loadGroups(vaultDir: string): Promise<Map<string, StoredGroup>> {
  const dir = parityDir(vaultDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return new Map();
    throw fromSystemError(err, 'the parity folder');
  }
  const byGroup = new Map<string, { name: string; shard: number | null }[]>();
  for (const name of names) {
    const parsed = parseParityName(name);
    if (!parsed) continue;
    const list = byGroup.get(parsed.groupId) ?? [];
    list.push({ name, shard: parsed.shard });
    byGroup.set(parsed.groupId, list);
  }
  const groups = new Map<string, StoredGroup>();
  // Every copy is read at once: a backup opens the parity store before its walk.
  const listed = [...byGroup];
  const read = await mapLimited(listed, READS_IN_FLIGHT, ([, files]) =>
    Promise.all(
      files.map(async (f) => {
        const raw = await readDescriptorCopy(join(dir, f.name), f.shard !== null).catch(() => undefined);
        return { name: f.name, raw, desc: raw ? decodeDescriptor(raw) : undefined };
      }),
    ),
  );
  for (const [n, [groupId]] of listed.entries()) {
    const copies = read[n]!;
    const best = copies
      .filter((c) => c.desc && c.desc.groupId === groupId)
      .sort((a, b) => b.desc!.members.length - a.desc!.members.length)[0];
    if (!best) continue;
    const desc = best.desc!;
    const good: string[] = [];
    const bad: string[] = [];
    for (const c of copies) (c.raw && best.raw && c.raw.equals(best.raw) ? good : bad).push(c.name);
    const expected = [groupFileName(groupId), ...Array.from({ length: desc.parityCount }, (_, j) => parityFileName(groupId, j))];
    for (const name of expected) if (!good.includes(name) && !bad.includes(name)) bad.push(name);
    const shardCurrent = Array.from({ length: desc.parityCount }, (_, j) => good.includes(parityFileName(groupId, j)));
    groups.set(groupId, { desc, goodCopies: good, badCopies: bad, shardCurrent });
  }
  return groups;
}

/** Groups whose descriptors could not be read at all (every copy damaged). */
export async function unreadableGroupIds(vaultDir: string, readable: ReadonlySet<string>): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parityDir(vaultDir));
  } catch {
    return [];
  }
  const ids = new Set<string>();
  for (const name of names) {
    const parsed = parseParityName(name);
    if (parsed && !readable.has(parsed.groupId)) ids.add(parsed.groupId);
  }
  return [...ids];
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fromSystemError(err, 'the parity folder');
  }
}

/**
 * The descriptor bytes of one copy: a `.group` file whole, or the length-
 * prefixed descriptor at the start of a parity file, read without its shard
 * bytes (loading the groups must not read every parity shard of the vault).
 * Undefined when the file is too short to hold what it claims.
 */
async function readDescriptorCopy(path: string, embedded: boolean): Promise<Buffer | undefined> {
  if (!embedded) return readFile(path);
  const handle = await open(path, 'r');
  try {
    const prefix = Buffer.alloc(4);
    if ((await handle.read(prefix, 0, 4, 0)).bytesRead < 4) return undefined;
    const len = prefix.readUInt32LE(0);
    if (len > (await handle.stat()).size - 4) return undefined;
    const raw = Buffer.alloc(len);
    let filled = 0;
    while (filled < len) {
      const { bytesRead } = await handle.read(raw, filled, len - filled, 4 + filled);
      if (bytesRead === 0) return undefined;
      filled += bytesRead;
    }
    return raw;
  } finally {
    await handle.close();
  }
}

/** The bytes of parity shard j, or undefined when its file is missing or stale. */
export async function readParityShard(vaultDir: string, group: StoredGroup, j: number): Promise<Buffer | undefined> {
  if (!group.shardCurrent[j]) return undefined;
  const file = await readFileIfExists(join(parityDir(vaultDir), parityFileName(group.desc.groupId, j)), 'a parity file');
  if (!file) return undefined;
  const descLen = file.readUInt32LE(0);
  const bytes = file.subarray(4 + descLen);
  // A truncated shard reads as zeros past its end; its stripe CRCs flag the loss.
  if (bytes.length >= group.desc.shardLength) return bytes.subarray(0, group.desc.shardLength);
  const padded = Buffer.alloc(group.desc.shardLength);
  bytes.copy(padded);
  return padded;
}

/** Writes every file of a group: parity shards first, then the standalone descriptor. */
export async function writeGroup(vaultDir: string, desc: GroupDescriptor, parity: readonly Uint8Array[]): Promise<void> {
  const dir = parityDir(vaultDir);
  await ensureDir(dir);
  const encoded = encodeDescriptor(desc);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(encoded.length);
  for (let j = 0; j < desc.parityCount; j++) {
    const shard = parity[j]!.subarray(0, desc.shardLength);
    await writeFileAtomic(join(dir, parityFileName(desc.groupId, j)), Buffer.concat([len, encoded, shard]), `parity shard ${j} of group ${desc.groupId.slice(0, 8)}`);
  }
  await writeFileAtomic(join(dir, groupFileName(desc.groupId)), encoded, `the descriptor of parity group ${desc.groupId.slice(0, 8)}`);
}

/**
 * Deletes every file of a group: the parity files, then the standalone
 * descriptor. A crash between leaves a group whose parity is missing, which
 * the next repair rebuilds or, as here, drops again.
 */
export async function removeGroup(vaultDir: string, desc: GroupDescriptor): Promise<void> {
  const dir = parityDir(vaultDir);
  try {
    for (let j = 0; j < desc.parityCount; j++) await rm(join(dir, parityFileName(desc.groupId, j)), { force: true });
    await rm(join(dir, groupFileName(desc.groupId)), { force: true });
    await fsyncDir(dir);
  } catch (err) {
    throw fromSystemError(err, `parity group ${desc.groupId.slice(0, 8)}`);
  }
}

/** Rewrites only the standalone descriptor (when it alone was damaged). */
export async function writeDescriptor(vaultDir: string, desc: GroupDescriptor): Promise<void> {
  await writeFileAtomic(join(parityDir(vaultDir), groupFileName(desc.groupId)), encodeDescriptor(desc), `the descriptor of parity group ${desc.groupId.slice(0, 8)}`);
}
