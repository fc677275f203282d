/**
 * The fault-injection harness: seeded source trees, a template vault per test
 * file (two snapshots, many packs), damage primitives, the heal cycle
 * (verify → repair → verify → second repair) and the byte-for-byte restore
 * comparison every case ends with.
 *
 * Reproducible: every random choice comes from a mulberry32 PRNG seeded from
 * MMRY_FAULT_SEED (default below) and the case's name; each test prints its
 * seed in its name. Replay a failure with `MMRY_FAULT_SEED=<n> npx vitest run test/fault`.
 *
 * A case works on a copy of its file's template vault (`cloneVault`), so the
 * expensive part (generating and backing up the trees) happens once per file.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';
import type { Project, SnapshotRow } from '../../src-main/engine/catalog/index.ts';
import { buildReport, catalogProblems, openForHealing, repair, verify } from '../../src-main/engine/heal/index.ts';
import type { RepairReport, VerifyReport } from '../../src-main/engine/heal/index.ts';
import type { GroupLayout } from '../../src-main/engine/heal/layout.ts';
import { loadGroups, writeSettings } from '../../src-main/engine/heal/parity-store.ts';
import { ParityProtector } from '../../src-main/engine/heal/protect.ts';
import { BlobKind } from '../../src-main/engine/packs/seal.ts';
import { Vault, backup, listPath, restore } from '../../src-main/engine/vault/index.ts';
import type { ListedEntry, RestoreSummary, VaultOptions } from '../../src-main/engine/vault/index.ts';
import { collect } from '../integration/helpers.ts';
import type { CliResult } from '../integration/helpers.ts';
import { mulberry32 } from '../prng.ts';

/**
 * Node's module compile cache (V8 code and stripped TypeScript, keyed by file
 * content) for the worker threads each opened vault starts and for the `mmry`
 * child processes: without it every pool re-strips and re-compiles the
 * engine, which costs more than the work on these small vaults. Only speed
 * changes; set NODE_COMPILE_CACHE yourself to put it elsewhere.
 */
process.env['NODE_COMPILE_CACHE'] ??= join(tmpdir(), 'mmry-fault-node-compile-cache');

export const PASSWORD = 'fault injection password';
export const BASE_SEED = Number(process.env['MMRY_FAULT_SEED'] ?? 0xfa17);
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const mmryBin = join(repoRoot, 'bin/mmry.js');
/** A row's bytes in every shard, in both layouts (version 1: one 1 KiB stripe; version 2: two of 512 B). */
export const STRIPE = 1024;

// ------------------------------------------------------------ seeds

/** The seed of one case: FNV-1a of the base seed and the case's name. */
export function seedFor(name: string): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(`${BASE_SEED}:${name}`)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h;
}

export function hex(seed: number): string {
  return `0x${seed.toString(16).padStart(8, '0')}`;
}

export interface Rng {
  seed: number;
  /** [0, 1) */
  next(): number;
  /** An integer in [lo, hi). */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  /** `n` distinct items, in random order. */
  sample<T>(items: readonly T[], n: number): T[];
}

/** mulberry32: tiny, fast, and the same sequence on every machine. */
export function rng(seed: number): Rng {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo));
  return {
    seed,
    next,
    int,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length)]!;
    },
    sample: (items, n) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = int(0, i + 1);
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      if (n > copy.length) throw new Error(`cannot sample ${n} of ${copy.length}`);
      return copy.slice(0, n);
    },
  };
}

/** `size` incompressible bytes determined by `seed` (a ChaCha20 keystream). */
export function noise(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(`fault-noise:${seed}`).digest();
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

const WORDS = 'stripe parity shard group vault pack catalog header snapshot restore repair verify sector flip rot tear truncate rebuild'.split(' ');

/** Compressible text that is not one repeated block. */
export function prose(r: Rng, size: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  for (let line = 0; length < size; line++) {
    const text = `${line}: ${Array.from({ length: 6 + r.int(0, 10) }, () => r.pick(WORDS)).join(' ')}\n`;
    parts.push(text);
    length += text.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

// ------------------------------------------------------------ scratch

/** A temporary root for one test file, removed after it. */
export function useScratch(prefix: string): (name: string) => Promise<string> {
  let root: string | undefined;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });
  let n = 0;
  return async (name) => {
    root ??= await mkdtemp(join(tmpdir(), `mmry-fault-${prefix}-`));
    const dir = join(root, `${name}-${n++}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };
}

// ------------------------------------------------------------ source trees

/**
 * Generation 1: text (compressible), binaries (incompressible), files larger
 * than the 64 KiB chunk maximum, many small files, a deep folder, an empty
 * file and a symlink. `scale` multiplies the binaries (the large-pack vault).
 */
export async function writeTree(src: string, r: Rng, scale = 1): Promise<void> {
  for (const d of ['text', 'bin', 'small', 'deep/a/b/c']) await mkdir(join(src, d), { recursive: true });
  for (let i = 0; i < 4; i++) await writeFile(join(src, 'text', `doc${i}.txt`), prose(r, r.int(80, 240) * 1024));
  for (let i = 0; i < 4; i++) await writeFile(join(src, 'bin', `blob${i}.bin`), noise(`${r.seed}:blob${i}`, Math.round(r.int(130, 300) * 1024 * scale)));
  for (let i = 0; i < 16; i++) {
    const size = r.int(1, 6000);
    await writeFile(join(src, 'small', `s${i}.${i % 2 ? 'txt' : 'dat'}`), i % 2 ? prose(r, size) : noise(`${r.seed}:s${i}`, size));
  }
  await writeFile(join(src, 'deep/a/b/c', 'deep.bin'), noise(`${r.seed}:deep`, 80 * 1024));
  await writeFile(join(src, 'deep/a/b/c', 'deep.txt'), prose(r, 20 * 1024));
  await writeFile(join(src, 'empty.txt'), '');
  await symlink('text/doc0.txt', join(src, 'link-to-doc0'));
}

/** Generation 2: an append, a rewrite, new files, a deletion. */
export async function editTree(src: string, r: Rng, scale = 1): Promise<void> {
  await writeFile(join(src, 'text', 'doc1.txt'), Buffer.concat([await readFile(join(src, 'text', 'doc1.txt')), prose(r, 50 * 1024)]));
  const old = await readFile(join(src, 'bin', 'blob0.bin'));
  await writeFile(join(src, 'bin', 'blob0.bin'), noise(`${r.seed}:blob0-v2`, old.length));
  await writeFile(join(src, 'bin', 'new.bin'), noise(`${r.seed}:new`, Math.round(200 * 1024 * scale)));
  await rm(join(src, 'small', 's2.dat'));
  await mkdir(join(src, 'deep/x'), { recursive: true });
  await writeFile(join(src, 'deep/x', 'y.txt'), prose(r, 30 * 1024));
}

/** path → 'file:<sha256>' | 'dir' | 'link:<target>', every entry below `root`. */
export async function contentMap(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const visit = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const rel = relative(root, abs);
      const st = await lstat(abs);
      if (st.isDirectory()) {
        out.set(rel, 'dir');
        await visit(abs);
      } else if (st.isSymbolicLink()) out.set(rel, `link:${await readlink(abs)}`);
      else if (st.isFile()) out.set(rel, `file:${sha256(await readFile(abs))}`);
      else out.set(rel, 'other');
    }
  };
  await visit(root);
  return out;
}

// ------------------------------------------------------------ the template vault

/**
 * Small packs (all in the small size class, < 1 MiB): a couple of MB of
 * source give a dozen packs, so a parity group has many members to lose.
 */
export const PACK_TARGET = 128 * 1024;
/**
 * Worker threads for the in-process heal targets and restores. Every open
 * starts a fresh pool, and starting a worker costs more CPU than the work
 * on these small vaults; backups and the CLI use 2.
 */
export const HEAL_THREADS = 1;

export function vaultOptions(extra: Partial<VaultOptions> = {}): VaultOptions {
  return { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, chunker: { min: 4096, avg: 16384, max: 65536 }, packTargetBytes: PACK_TARGET, threads: 2, ...extra };
}

export interface PackInfo {
  id: string;
  size: number;
  kinds: Set<number>;
}

export interface GroupInfo {
  groupId: string;
  sizeClass: 'small' | 'large';
  parityCount: number;
  /** Stripes per row per shard (layout.ts): 1 in version 1, 2 in version 2. */
  cells: number;
  members: { packId: string; length: number }[];
}

export interface FileInfo {
  snapshot: string;
  path: string;
  /** Packs holding the file's content. */
  packs: Set<string>;
  /** Blob ids (hex) of the file's content. */
  blobs: Set<string>;
  /** Where each content blob lives. */
  chunks: { pack: string; offset: number; length: number }[];
}

export interface CatalogView {
  projects: Project[];
  snapshots: SnapshotRow[];
  packs: string[];
  listing: Record<string, ListedEntry[]>;
}

export interface Template {
  /** The pristine vault; cases work on copies. */
  dir: string;
  options: VaultOptions;
  redundancy: number;
  /** Original trees, in snapshot order. */
  trees: Map<string, string>[];
  snapshots: SnapshotRow[];
  project: string;
  view: CatalogView;
  packs: PackInfo[];
  groups: GroupInfo[];
  files: FileInfo[];
  /** sha256 of every file of the pristine vault, by path relative to it. */
  hashes: Map<string, string>;
}

/** Generates the trees, backs them up twice and records everything a case compares against. */
/**
 * `layout`: build the parity groups with this layout instead of today's
 * (LAYOUT_V1: a vault as version 1 wrote it). The backups then run without
 * parity and every pack is protected afterwards, in catalog order, as a
 * backup would have done.
 */
export async function buildTemplate(root: string, seed: number, options: { redundancy?: number; packTargetBytes?: number; scale?: number; layout?: Readonly<GroupLayout> } = {}): Promise<Template> {
  const r = rng(seed);
  const src = join(root, 'src');
  const dir = join(root, 'vault');
  const vopts = vaultOptions(options.packTargetBytes ? { packTargetBytes: options.packTargetBytes } : {});
  const redundancy = options.redundancy ?? 0.1;
  await mkdir(src, { recursive: true });
  await writeTree(src, r, options.scale);
  const trees = [await contentMap(src)];
  const vault = await Vault.create(dir, PASSWORD, { ...vopts, redundancy: options.layout ? 0 : redundancy });
  try {
    const first = await backup(vault, src, { project: 'fault' });
    await editTree(src, r, options.scale);
    trees.push(await contentMap(src));
    await backup(vault, src, { project: 'fault' });
    expect(first.files).toBeGreaterThan(20);
    if (options.layout) {
      await writeSettings(dir, { redundancy });
      const protector = await ParityProtector.open(vault.dir, vault.packsDir, vault.pool, options.layout);
      for (const p of vault.catalog.listPacks()) await protector.add(p.id, p.size);
      await protector.finish();
    }
  } finally {
    await vault.close();
  }
  const v = await Vault.open(dir, PASSWORD, vopts);
  let view: CatalogView;
  const packs: PackInfo[] = [];
  const files: FileInfo[] = [];
  try {
    view = await catalogView(v);
    for (const p of v.catalog.listPacks()) packs.push({ id: p.id, size: p.size, kinds: new Set(v.catalog.blobsInPack(p.id).map((b) => b.kind)) });
    for (const snap of view.snapshots) {
      const walk = async (treeId: Uint8Array, prefix: string): Promise<void> => {
        for (const e of await v.loadTree(treeId)) {
          const path = prefix ? `${prefix}/${e.name}` : e.name;
          if (e.type === 'dir' && e.subtree) await walk(e.subtree, path);
          else if (e.type === 'file') {
            const ids = e.content ?? [];
            const chunks = ids.map((id) => {
              const place = v.catalog.getBlob(id)!;
              return { pack: place.packId, offset: place.offset, length: place.length };
            });
            files.push({ snapshot: snap.id, path, packs: new Set(chunks.map((c) => c.pack)), blobs: new Set(ids.map((id) => Buffer.from(id).toString('hex'))), chunks });
          }
        }
      };
      await walk(snap.treeId, '');
    }
  } finally {
    await v.close();
  }
  const groups = [...(await loadGroups(dir)).values()].map((g) => ({ groupId: g.desc.groupId, sizeClass: g.desc.sizeClass, parityCount: g.desc.parityCount, cells: g.desc.cells, members: g.desc.members.map((m) => ({ ...m })) }));
  const hashes = new Map([...(await vaultState(dir))].map(([k, s]) => [k, s.sha]));
  return { dir, options: vopts, redundancy, trees, snapshots: view.snapshots, project: 'fault', view, packs, groups, files, hashes };
}

export async function cloneVault(t: Template, dest: string): Promise<string> {
  const dir = join(dest, 'vault');
  await cp(t.dir, dir, { recursive: true, preserveTimestamps: true });
  return dir;
}

/** Projects, snapshots, packs and the full listing of every snapshot. */
export async function catalogView(v: Vault): Promise<CatalogView> {
  const snapshots = v.catalog.listSnapshots();
  const listing: Record<string, ListedEntry[]> = {};
  for (const snap of snapshots) {
    const out: ListedEntry[] = [];
    const walk = async (path: string): Promise<void> => {
      for (const e of await listPath(v, snap, path)) {
        out.push(e);
        if (e.type === 'dir') await walk(e.path);
      }
    };
    await walk('');
    listing[snap.id] = out;
  }
  return { projects: v.catalog.listProjects(), snapshots, packs: v.catalog.listPacks().map((p) => p.id).sort(), listing };
}

export async function openView(t: Template, dir: string): Promise<CatalogView> {
  const v = await Vault.open(dir, PASSWORD, t.options);
  try {
    return await catalogView(v);
  } finally {
    await v.close();
  }
}

/**
 * What the packs alone can tell about a snapshot: all but the note and the
 * duration, which the manifest has as of just before it was stored.
 */
export function snapshotIdentity(s: SnapshotRow) {
  const { note: _note, durationMs: _durationMs, treeId, ...rest } = s;
  return { ...rest, treeId: treeId.toString('hex') };
}

// ------------------------------------------------------------ vault files

export interface FileState {
  sha: string;
  size: number;
  mtimeNs: bigint;
}

/** Every file under the vault folder: content hash, size, mtime. */
export async function vaultState(dir: string): Promise<Map<string, FileState>> {
  const out = new Map<string, FileState>();
  const visit = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const abs = join(d, name);
      const st = await lstat(abs, { bigint: true });
      if (st.isDirectory()) await visit(abs);
      else out.set(relative(dir, abs), { sha: sha256(await readFile(abs)), size: Number(st.size), mtimeNs: st.mtimeNs });
    }
  };
  await visit(dir);
  return out;
}

export function packRel(id: string): string {
  return `packs/${id}.pack`;
}

export function parityRel(groupId: string, j: number): string {
  return `parity/${groupId}.${j}.parity`;
}

export function groupRel(groupId: string): string {
  return `parity/${groupId}.group`;
}

/**
 * Bit-perfect: every pack, parity file and header copy of the pristine vault
 * is back, byte for byte, and no pack or parity file was added.
 */
export async function expectBitPerfect(t: Template, dir: string, options: { except?: (rel: string) => boolean } = {}): Promise<void> {
  const now = await vaultState(dir);
  const healable = (rel: string) => (rel.startsWith('packs/') || rel.startsWith('parity/') || rel === 'header' || rel === 'header.bak') && !rel.endsWith('.tmp') && !options.except?.(rel);
  const want = Object.fromEntries([...t.hashes].filter(([k]) => healable(k)));
  const got = Object.fromEntries([...now].filter(([k]) => healable(k)).map(([k, s]) => [k, s.sha]));
  expect(got).toEqual(want);
}

/**
 * A pack that repair rebuilt in part (damage beyond the parity in some of its
 * rows): every row for which `lost` does not hold is the pristine vault's
 * byte for byte; the lost rows are not compared. Returns how many rows were
 * compared.
 */
export async function expectRebuiltBesides(t: Template, dir: string, packId: string, lost: (row: number) => boolean): Promise<number> {
  const want = await readFile(join(t.dir, packRel(packId)));
  const got = await readFile(join(dir, packRel(packId)));
  expect(got.length).toBe(want.length);
  let compared = 0;
  for (let row = 0; row * STRIPE < want.length; row++) {
    if (lost(row)) continue;
    const end = Math.min((row + 1) * STRIPE, want.length);
    if (!got.subarray(row * STRIPE, end).equals(want.subarray(row * STRIPE, end))) expect.fail(`${packRel(packId)}: row ${row} differs from the pristine pack`);
    compared++;
  }
  return compared;
}

// ------------------------------------------------------------ damage

export async function flipBits(path: string, r: Rng, count: number, range: [number, number] | null = null): Promise<number[]> {
  const bytes = await readFile(path);
  const [lo, hi] = range ?? [0, bytes.length];
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.int(lo, hi);
    bytes[at]! ^= 1 << r.int(0, 8);
    offsets.push(at);
  }
  await writeFile(path, bytes);
  return offsets;
}

/** XORs one byte with a non-zero value; returns a function that puts it back. */
export async function flipByte(path: string, at: number, mask: number): Promise<() => Promise<void>> {
  if (mask === 0) throw new Error('a zero mask changes nothing');
  const bytes = await readFile(path);
  bytes[at]! ^= mask;
  await writeFile(path, bytes);
  return async () => {
    bytes[at]! ^= mask;
    await writeFile(path, bytes);
  };
}

/**
 * Changes every byte of [at, at + length) (XOR with non-zero values from `r`):
 * damage too dense to be placed byte by byte (rs/locate.ts), as a bad
 * sector's garbage is. Returns a function that puts the bytes back.
 */
export async function garble(path: string, r: Rng, at: number, length: number): Promise<() => Promise<void>> {
  const bytes = await readFile(path);
  const end = Math.min(at + length, bytes.length);
  const masks = Array.from({ length: end - at }, () => r.int(1, 256));
  masks.forEach((mask, i) => (bytes[at + i]! ^= mask));
  await writeFile(path, bytes);
  return async () => {
    masks.forEach((mask, i) => (bytes[at + i]! ^= mask));
    await writeFile(path, bytes);
  };
}

export async function fileSize(path: string): Promise<number> {
  return (await lstat(path)).size;
}

export async function truncateBy(path: string, n: number): Promise<number> {
  const size = await fileSize(path);
  await truncate(path, size - n);
  return size - n;
}

export async function truncateTo(path: string, n: number): Promise<void> {
  await truncate(path, n);
}

/** Overwrites `length` bytes at `at` with zeros (a lost sector reads back as zeros). */
export async function zeroRange(path: string, at: number, length: number): Promise<void> {
  const bytes = await readFile(path);
  bytes.fill(0, at, at + length);
  await writeFile(path, bytes);
}

// ------------------------------------------------------------ healing through the engine

export async function engineVerify(dir: string, readData = false): Promise<VerifyReport> {
  const target = await openForHealing(dir, PASSWORD, { threads: HEAL_THREADS });
  try {
    return await verify(target, { readData });
  } finally {
    await target.close();
  }
}

export interface RepairOutcome {
  result: RepairReport;
  after: VerifyReport;
  headerRepaired: string | null;
}

/** What `mmry repair` does, in process: repair, then the report on what remains. */
export async function engineRepair(dir: string): Promise<RepairOutcome> {
  const target = await openForHealing(dir, PASSWORD, { threads: HEAL_THREADS });
  try {
    const result = await repair(target);
    const after = await buildReport(target, result.remaining, result.remaining.blobsChecked > 0, catalogProblems(target.dir, target.keys));
    return { result, after, headerRepaired: target.headerRepaired };
  } finally {
    await target.close();
  }
}

export function wheres(report: VerifyReport): string[] {
  return [...new Set(report.damage.map((d) => d.where))].sort();
}

export function expectNothingToDo(o: RepairOutcome): void {
  expect(o.result.repairedFiles).toEqual([]);
  expect(o.result.repairedBytes).toBe(0);
  expect(o.result.rewrittenGroups).toEqual([]);
  expect(o.result.catalog).toBeNull();
  expect(o.result.packsAdopted).toBe(0);
  expect(o.result.packsProtected).toBe(0);
  expect(o.headerRepaired).toBeNull();
  expect(o.after.healthy).toBe(true);
}

export interface HealExpectation {
  /** The damaged files verify must name (relative to the vault), exactly. */
  damaged: string[];
  /** Pack files repair must rewrite. */
  repairedPacks?: string[];
  /** Groups whose files repair must rewrite. */
  rewrittenGroups?: string[];
  /** Where the catalog must be rebuilt from. */
  catalogFrom?: 'checkpoint' | 'packs';
  /** Files that may legitimately differ from the pristine vault afterwards (besides the catalog). */
  notBitPerfect?: (rel: string) => boolean;
}

/**
 * The standard case: verify finds exactly the damage and calls all of it
 * repairable; repair fixes it bit for bit (every pack, parity file and
 * header copy equals the pristine vault's); verify is clean; a second repair
 * has nothing to do and changes no file; every snapshot restores byte for
 * byte.
 *
 * One opened vault serves the whole cycle, as in the desktop app (a fresh
 * pool per step would triple the cost); everything it checks is read back
 * from disk. The CLI and kill -9 cases run repairs as separate processes.
 */
export async function healCycle(t: Template, dir: string, scratch: (name: string) => Promise<string>, x: HealExpectation): Promise<RepairOutcome> {
  let first: RepairOutcome;
  const target = await openForHealing(dir, PASSWORD, { threads: HEAL_THREADS });
  const afterRepair = async (result: RepairReport) => ({ result, after: await buildReport(target, result.remaining, result.remaining.blobsChecked > 0, catalogProblems(target.dir, target.keys)), headerRepaired: null });
  try {
    const before = await verify(target);
    expect(before.healthy).toBe(false);
    expect(wheres(before)).toEqual([...x.damaged].sort());
    expect(before.damage.filter((d) => !d.repairable)).toEqual([]);
    expect(before.affected).toEqual([]);

    first = await afterRepair(await repair(target));
    const { result } = first;
    expect(first.after.damage).toEqual([]);
    expect(first.after.healthy).toBe(true);
    expect([...result.repairedFiles].sort()).toEqual([...(x.repairedPacks ?? [])].sort());
    if (x.rewrittenGroups) expect([...result.rewrittenGroups].sort()).toEqual([...x.rewrittenGroups].sort());
    if (x.catalogFrom) expect(result.catalog?.from).toBe(x.catalogFrom);
    else expect(result.catalog).toBeNull();
    // Repairing anything re-reads every blob before it reports.
    if (result.repairedFiles.length > 0) expect(result.remaining.blobsChecked).toBeGreaterThan(0);

    const quick = await verify(target);
    expect(quick.damage).toEqual([]);
    expect(quick.healthy).toBe(true);
    expect(quick.unprotectedPacks).toBe(0);
    await expectBitPerfect(t, dir, x.notBitPerfect ? { except: x.notBitPerfect } : {});

    const state = await vaultState(dir);
    expectNothingToDo(await afterRepair(await repair(target)));
    expect(await vaultState(dir)).toEqual(state);
  } finally {
    await target.close();
  }
  // Closing the healing target closes every catalog connection it opened: no WAL left behind.
  expect((await readdir(dir)).filter((n) => n.startsWith('catalog.db-'))).toEqual([]);

  await expectRestores(t, dir, scratch);
  return first;
}

// ------------------------------------------------------------ restore

/**
 * Restores every snapshot into a fresh folder and compares it byte for byte
 * with the original tree. `lost` (snapshot id → paths) are files that must
 * fail loudly instead: listed as problems, and absent from the target.
 */
export async function expectRestores(t: Template, dir: string, scratch: (name: string) => Promise<string>, lost: Map<string, Set<string>> = new Map()): Promise<RestoreSummary[]> {
  const v = await Vault.open(dir, PASSWORD, { ...t.options, threads: HEAL_THREADS });
  const out: RestoreSummary[] = [];
  try {
    for (const [i, snap] of t.snapshots.entries()) {
      const target = join(await scratch(`restore-${i}`), 'out');
      const summary = await restore(v, v.resolveSnapshot(snap.id), target);
      const gone = lost.get(snap.id) ?? new Set<string>();
      expect(summary.problems.map((p) => p.path).sort()).toEqual([...gone].sort());
      const want = new Map([...t.trees[i]!].filter(([k]) => !gone.has(k)));
      expect(Object.fromEntries(await contentMap(target))).toEqual(Object.fromEntries(want));
      out.push(summary);
    }
  } finally {
    await v.close();
  }
  return out;
}

/**
 * Restore from a damaged vault (before any repair): wrong bytes are never
 * written. A file may fail (listed as a problem, absent from the target) only
 * if it is in `atRisk`; every file restored is byte-identical. Within the
 * parity budget reads heal on the fly, so callers expect none to fail.
 * Returns the paths that failed.
 */
export async function expectRestoreNeverWrong(t: Template, dir: string, scratch: (name: string) => Promise<string>, atRisk: Map<string, Set<string>>): Promise<string[]> {
  const v = await Vault.open(dir, PASSWORD, { ...t.options, threads: HEAL_THREADS });
  const failed: string[] = [];
  try {
    for (const [i, snap] of t.snapshots.entries()) {
      const target = join(await scratch(`damaged-restore-${i}`), 'out');
      const summary = await restore(v, v.resolveSnapshot(snap.id), target);
      const problems = new Set(summary.problems.map((p) => p.path));
      const risky = atRisk.get(snap.id) ?? new Set<string>();
      expect([...problems].filter((p) => !risky.has(p))).toEqual([]);
      const want = new Map([...t.trees[i]!].filter(([k]) => !problems.has(k)));
      expect(Object.fromEntries(await contentMap(target))).toEqual(Object.fromEntries(want));
      failed.push(...[...problems].map((p) => `${snap.id.slice(0, 8)}:${p}`));
    }
  } finally {
    await v.close();
  }
  return failed;
}

// ------------------------------------------------------------ the CLI

export type { CliResult };
export { collect };

export function startCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [mmryBin, ...args], { env: { ...process.env, MMRY_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
}

export function runCli(args: string[]): Promise<CliResult> {
  return collect(startCli(args));
}

// ------------------------------------------------------------ cases

export type CaseBody = (r: Rng, dir: string) => Promise<void>;

/**
 * Makes seeded cases over a file's template: `seeded(name)` gives the test
 * name (with the seed in it) and a wrapper that hands the body its PRNG and
 * a fresh copy of the template vault.
 */
export function seededCases(template: () => Template, scratch: (name: string) => Promise<string>): (name: string) => [string, (body: CaseBody) => () => Promise<void>] {
  return (name) => {
    const seed = seedFor(name);
    return [`${name} [seed ${hex(seed)}]`, (body) => async () => body(rng(seed), await cloneVault(template(), await scratch(name.replace(/\W+/g, '-').slice(0, 40))))];
  };
}

// ------------------------------------------------------------ choosing what to damage

/** The group with the most members of a size class. */
export function biggestGroup(t: Template, sizeClass: 'small' | 'large' = 'small'): GroupInfo {
  const groups = t.groups.filter((g) => g.sizeClass === sizeClass).sort((a, b) => b.members.length - a.members.length);
  if (!groups[0]) throw new Error(`the template has no ${sizeClass} group`);
  return groups[0];
}

/**
 * Packs that hold only file content, chunks and bundles of them (no trees,
 * no manifests): losing one loses files, not listings.
 */
export function chunkOnly(t: Template, ids: readonly string[]): string[] {
  return ids.filter((id) => {
    const kinds = t.packs.find((p) => p.id === id)?.kinds;
    return kinds !== undefined && kinds.size > 0 && [...kinds].every((k) => k === BlobKind.chunk || k === BlobKind.bundle);
  });
}

/**
 * A parity file whose loss, together with any damage to pack `packId`, stays
 * within budget: of a group with 2 or more parity files, or else (one parity
 * file, version 2) of a group the pack is not in.
 */
export function parityBesides(t: Template, r: Rng, packId: string): { g: GroupInfo; j: number } {
  const groups = t.groups.filter((g) => g.parityCount >= 2 || !g.members.some((m) => m.packId === packId));
  expect(groups.length).toBeGreaterThan(0);
  const g = r.pick(groups);
  return { g, j: r.int(0, g.parityCount) };
}

/** Files (per snapshot) whose content lives, even partly, in one of `packs`. */
export function filesIn(t: Template, packs: ReadonlySet<string>): Map<string, Set<string>> {
  return filesWith(t, (c) => packs.has(c.pack));
}

/**
 * Files (per snapshot) a restore loses while reads heal on the fly: those
 * with a content blob on an erased stripe (`erased(packId, row)`) of a row of
 * group `g` where more members are erased than the group has parity shards.
 * Anything else is rebuilt from parity as it is read.
 */
export function filesLostOnRead(t: Template, g: GroupInfo, erased: (packId: string, row: number) => boolean): Map<string, Set<string>> {
  const rowLost = (r: number) => g.members.filter((m) => erased(m.packId, r)).length > g.parityCount;
  const inGroup = new Set(g.members.map((m) => m.packId));
  return filesWith(t, (c) => {
    if (!inGroup.has(c.pack)) return false;
    for (let r = Math.floor(c.offset / STRIPE); r <= Math.floor((c.offset + c.length - 1) / STRIPE); r++) if (erased(c.pack, r) && rowLost(r)) return true;
    return false;
  });
}

/** Files (per snapshot) with at least one content blob for which `lost` holds. */
export function filesWith(t: Template, lost: (chunk: FileInfo['chunks'][number]) => boolean): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of t.files) {
    if (!f.chunks.some(lost)) continue;
    const set = out.get(f.snapshot) ?? new Set<string>();
    set.add(f.path);
    out.set(f.snapshot, set);
  }
  return out;
}

/** A report's `affected` as lost paths per snapshot, the shape expectRestores takes. */
export function lostFiles(affected: readonly { snapshot: string; path: string }[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const { snapshot, path } of affected) out.set(snapshot, (out.get(snapshot) ?? new Set()).add(path));
  return out;
}

/** Every file of `inner` is one of `outer` (per snapshot). */
export function expectWithin(inner: Map<string, Set<string>>, outer: Map<string, Set<string>>): void {
  const outside = [...inner].flatMap(([snapshot, paths]) => [...paths].filter((p) => !outer.get(snapshot)?.has(p)).map((p) => `${snapshot.slice(0, 8)}:${p}`));
  expect(outside).toEqual([]);
}

export function fileCount(files: Map<string, Set<string>>): number {
  return [...files.values()].reduce((n, x) => n + x.size, 0);
}

/** The same, flattened and sorted like a report's `affected`. */
export function affectedList(t: Template, lost: Map<string, Set<string>>): { project: string; snapshot: string; path: string }[] {
  const out: { project: string; snapshot: string; path: string }[] = [];
  for (const [snapshot, paths] of lost) for (const path of paths) out.push({ project: t.project, snapshot, path });
  return sortAffected(out);
}

export function sortAffected<T extends { snapshot: string; path: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => (a.snapshot === b.snapshot ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : a.snapshot < b.snapshot ? -1 : 1));
}

/**
 * Deletes `count` content-only packs of one group (more than its parity can
 * rebuild) and flips a byte in another member beyond the deleted packs'
 * length, where only that member is damaged: repair must fix the flip and
 * report the rest. Returns what was done and which files are lost.
 */
export async function beyondBudget(t: Template, r: Rng, dir: string, count: number) {
  const g = biggestGroup(t);
  expect(count).toBeGreaterThan(g.parityCount);
  const longest = [...g.members].sort((a, b) => b.length - a.length)[0]!;
  const candidates = chunkOnly(
    t,
    g.members.filter((m) => m.packId !== longest.packId && m.length < longest.length - 2 * STRIPE).map((m) => m.packId),
  );
  const deleted = r.sample(candidates, count);
  for (const id of deleted) await rm(join(dir, packRel(id)));
  const reach = Math.max(...deleted.map((id) => g.members.find((m) => m.packId === id)!.length));
  const at = r.int(Math.ceil(reach / STRIPE) * STRIPE, longest.length);
  await flipByte(join(dir, packRel(longest.packId)), at, r.int(1, 256));
  const lost = filesIn(t, new Set(deleted));
  expect(lost.size).toBeGreaterThan(0);
  // A deleted member's stripes are erased up to its length; rows past the shorter ones heal.
  const lengthOf = (id: string) => g.members.find((m) => m.packId === id)!.length;
  const erased = (id: string, row: number) => deleted.includes(id) && row * STRIPE < lengthOf(id);
  const lostOnRead = filesLostOnRead(t, g, erased);
  const rowLost = (row: number) => g.members.filter((m) => erased(m.packId, row)).length > g.parityCount;
  return { deleted, flipped: longest.packId, lost, lostOnRead, rowLost, affected: affectedList(t, lost) };
}
