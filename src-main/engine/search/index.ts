/**
 * Search: find files and folders by name or path across every snapshot of
 * every project, fast enough to answer as the user types.
 *
 * Terms
 * - **Path record**: one path of one project, whatever the number of
 *   snapshots that hold it: its type and size in the newest snapshot that
 *   has it, that snapshot, and how many snapshots hold it (`versions`).
 * - **Haystack**: every record's lowercased path joined by '\n' in one
 *   string. A query is a plain substring search (`indexOf`, which V8 runs
 *   with a skip table) over the haystack; a hit's offset maps back to its
 *   record by binary search over the start offsets. One million paths scan
 *   in a few tens of milliseconds without any per-query allocation.
 *
 * Invariants
 * - The index lives in memory only, built from the (authenticated) trees
 *   when first needed and extended as snapshots are added; plaintext names
 *   are never written to disk outside the encrypted catalog.
 * - Snapshots must be added oldest first per project, so "newest" is the
 *   last one seen.
 */
import type { SnapshotRow } from '../catalog/index.ts';
import { BLOB_ID_LENGTH, ENTRY_TYPE_CODE } from '../snapshot/index.ts';
import type { TreeEntry, TreeIndex } from '../snapshot/index.ts';

export interface PathRecord {
  project: string;
  path: string;
  type: TreeEntry['type'];
  size: number;
  snapshotId: string;
  createdAt: number;
  versions: number;
}

export interface SearchResult {
  results: PathRecord[];
  /** Matches counted (up to `countLimit`). */
  total: number;
  /** True when counting stopped at `countLimit`. */
  more: boolean;
}

export class PathIndex {
  readonly records: PathRecord[] = [];
  /** Per project: path → record index; built when first asked (see `addNew`). */
  readonly #byPath = new Map<string, Map<string, number>>();
  /** Projects with records that `addNew` added and `#byPath` does not know yet. */
  readonly #unmapped = new Set<string>();
  readonly #projects = new Set<string>();
  readonly #seenSnapshots = new Set<string>();
  /** Every record's lowercased path followed by '\n', for the records before `#built`. */
  #hay = '';
  #starts = new Int32Array(0);
  #built = 0;
  /** The lowercased paths of the records from `#built` on, for the next `#build`. */
  #pending: string[] = [];

  get size(): number {
    return this.records.length;
  }

  hasSnapshot(id: string): boolean {
    return this.#seenSnapshots.has(id);
  }

  markSnapshot(id: string): void {
    this.#seenSnapshots.add(id);
  }

  /** True once any path of `project` is in the index. */
  hasProject(project: string): boolean {
    return this.#projects.has(project);
  }

  /**
   * Adds or refreshes one path as seen in a snapshot; returns its record's
   * index. `lowerPath`, when the caller has it, is `path.toLowerCase()`.
   */
  add(project: string, path: string, type: PathRecord['type'], size: number, snapshotId: string, createdAt: number, lowerPath?: string): number {
    const at = this.#pathsOf(project).get(path);
    if (at !== undefined) {
      const r = this.records[at]!;
      this.touch(at, snapshotId, createdAt);
      r.type = type;
      r.size = size;
      return at;
    }
    const i = this.addNew(project, path, type, size, snapshotId, createdAt, lowerPath);
    this.#byPath.get(project)!.set(path, i);
    this.#unmapped.delete(project);
    return i;
  }

  /**
   * Adds a path the caller knows is not in the index for `project` (the
   * paths of a project's first snapshot: names are unique in a folder). No
   * lookup and no map entry now: a million paths cost a million records, and
   * the project's path map is built only if a later `add` needs it.
   */
  addNew(project: string, path: string, type: PathRecord['type'], size: number, snapshotId: string, createdAt: number, lowerPath?: string): number {
    this.records.push({ project, path, type, size, snapshotId, createdAt, versions: 1 });
    this.#pending.push(lowerPath ?? path.toLowerCase());
    this.#projects.add(project);
    this.#unmapped.add(project);
    return this.records.length - 1;
  }

  #pathsOf(project: string): Map<string, number> {
    let paths = this.#byPath.get(project);
    if (!paths) this.#byPath.set(project, (paths = new Map()));
    if (this.#unmapped.delete(project)) {
      this.records.forEach((r, i) => {
        if (r.project === project) paths.set(r.path, i);
      });
    }
    return paths;
  }

  /** Marks an existing record as present, unchanged, in a newer snapshot. */
  touch(index: number, snapshotId: string, createdAt: number): void {
    const r = this.records[index]!;
    if (r.snapshotId === snapshotId) return;
    r.versions++;
    if (createdAt >= r.createdAt) {
      r.snapshotId = snapshotId;
      r.createdAt = createdAt;
    }
  }

  /**
   * Records whose path contains `query` (case-insensitive). Name matches come
   * before matches only in a folder above, then shorter paths first.
   */
  search(query: string, limit = 200, countLimit = 100_000): SearchResult {
    const q = query.trim().toLowerCase();
    if (q.length === 0 || q.includes('\n')) return { results: [], total: 0, more: false };
    this.#build();
    const hay = this.#hay;
    const starts = this.#starts;
    const count = this.#built;
    const hits: number[] = [];
    let total = 0;
    let pos = hay.indexOf(q);
    while (pos !== -1) {
      const i = recordAt(starts, count, pos);
      total++;
      if (hits.length < limit * 4) hits.push(i);
      if (total >= countLimit) break;
      // Next record: each path counts once, however often it contains the query.
      pos = i + 1 < count ? hay.indexOf(q, starts[i + 1]!) : -1;
    }
    const rank = (i: number) => {
      const r = this.records[i]!;
      const slash = r.path.lastIndexOf('/');
      return r.path.toLowerCase().indexOf(q, slash + 1) >= 0 ? 0 : 1;
    };
    const ranked = hits.map((i) => ({ i, rank: rank(i), len: this.records[i]!.path.length }));
    ranked.sort((a, b) => a.rank - b.rank || a.len - b.len || a.i - b.i);
    return { results: ranked.slice(0, limit).map((h) => this.records[h.i]!), total, more: total >= countLimit };
  }

  /** Appends the records added since the last build to the haystack: paths never change, so it only grows. */
  #build(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    const count = this.#built + pending.length;
    if (this.#starts.length < count) {
      const grown = new Int32Array(Math.max(count, this.#starts.length * 2));
      grown.set(this.#starts.subarray(0, this.#built));
      this.#starts = grown;
    }
    let at = this.#hay.length;
    for (let k = 0; k < pending.length; k++) {
      this.#starts[this.#built + k] = at;
      at += pending[k]!.length + 1;
    }
    pending.push('');
    this.#hay += pending.join('\n');
    this.#built = count;
    this.#pending = [];
  }
}

/** The record whose path holds haystack offset `pos`: the last of the first `count` starts <= pos. */
function recordAt(starts: Int32Array, count: number, pos: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** What indexing needs from a vault: trees by id. */
export interface TreeSource {
  /** Many listings at once, located (`indexTree`), in the order asked; the vault opens them in its worker pool. */
  loadTreeIndexes(ids: readonly Uint8Array[]): Promise<TreeIndex[]>;
}

/**
 * What indexing keeps of a folder's tree: names, types, sizes and the ids of
 * its subfolders, not the tree's bytes (file content ids are most of them),
 * so holding every listing of a snapshot for the walk costs about what its
 * names do.
 */
export class FolderListing {
  readonly count: number;
  readonly names: readonly string[];
  readonly types: Uint8Array;
  readonly sizes: Float64Array;
  /** Lowercased names, made when first asked, once however many places and projects hold this folder. */
  #lower: string[] | undefined;
  /** Entry position → its subtree id's slot in `#ids`, or -1; absent when the folder has no subfolders. */
  readonly #slots: Int32Array | undefined;
  readonly #ids: Buffer;

  constructor(tree: TreeIndex) {
    this.count = tree.count;
    this.names = tree.names;
    this.types = tree.types;
    this.sizes = tree.sizes;
    let dirs = 0;
    for (let i = 0; i < tree.count; i++) if (tree.types[i] === DIR_CODE) dirs++;
    this.#ids = Buffer.allocUnsafe(dirs * BLOB_ID_LENGTH);
    this.#slots = dirs === 0 ? undefined : new Int32Array(tree.count).fill(-1);
    for (let i = 0, slot = 0; dirs > 0 && i < tree.count; i++) {
      const id = tree.subtree(i);
      if (!id) continue;
      this.#ids.set(id, slot * BLOB_ID_LENGTH);
      this.#slots![i] = slot++;
    }
  }

  type(i: number): PathRecord['type'] {
    return this.types[i] === DIR_CODE ? 'dir' : this.types[i] === ENTRY_TYPE_CODE.symlink ? 'symlink' : 'file';
  }

  subtree(i: number): Uint8Array | undefined {
    const slot = this.#slots?.[i] ?? -1;
    return slot < 0 ? undefined : this.#ids.subarray(slot * BLOB_ID_LENGTH, (slot + 1) * BLOB_ID_LENGTH);
  }

  lowerNames(): string[] {
    return (this.#lower ??= this.names.map((n) => n.toLowerCase()));
  }
}

const DIR_CODE = ENTRY_TYPE_CODE.dir;

/** Listings a pass over several snapshots keeps, by tree id in hex: a tree shared by snapshots or projects is read once. */
export type Listings = Map<string, FolderListing>;

/**
 * Per project, the records each indexed subtree (tree id and path) holds:
 * an array, or for a subtree that a project's first snapshot added, the
 * range of record indices it filled (a depth-first walk adds a subtree's
 * paths one after the other), so a million paths do not cost a copy of
 * their indices per folder level.
 */
export type SubtreeMemo = Map<string, number[] | { from: number; to: number }>;

/** Trees per `loadTreeIndexes` call, and calls in flight: enough to keep every worker busy while this thread indexes. */
const LOAD_BATCH = 256;
const LOADS_IN_FLIGHT = 4;

/**
 * Adds one snapshot's paths. A subtree already indexed at the same place
 * (same tree id, same path) is not read again: its records are only touched.
 * `memo` carries that knowledge between snapshots of one project.
 *
 * Two steps: every listing the snapshot needs is loaded first, one folder
 * level at a time in large batches (the worker pool decrypts them in
 * parallel, and no await waits on a single folder), then the paths are added
 * in one synchronous depth-first walk, in the same order as ever. A path's
 * lowercased form (for the haystack) is its folder's lowercased path and its
 * lowercased name joined by '/': '/' is neither cased nor case-ignorable, so
 * that is `path.toLowerCase()` (final sigma included), at the cost of names,
 * not of paths.
 */
export async function indexSnapshot(index: PathIndex, source: TreeSource, project: string, snapshot: Pick<SnapshotRow, 'id' | 'createdAt' | 'treeId'>, memo: SubtreeMemo, listings: Listings = new Map()): Promise<void> {
  if (index.hasSnapshot(snapshot.id)) return;
  await loadListings(source, snapshot.treeId, memo, listings);
  // A project's first snapshot: every path is new, and each subtree's records are one range.
  const fresh = !index.hasProject(project);
  const touchKnown = (known: number[] | { from: number; to: number }, into: number[] | undefined): void => {
    const each = (i: number) => {
      index.touch(i, snapshot.id, snapshot.createdAt);
      into?.push(i);
    };
    if (Array.isArray(known)) known.forEach(each);
    else for (let i = known.from; i < known.to; i++) each(i);
  };
  /** `into` collects the records of this subtree for the parent's memo (not needed for a fresh walk's ranges). */
  const walk = (treeId: Uint8Array, prefix: string, lowerPrefix: string, into: number[] | undefined): void => {
    const hex = hexOf(treeId);
    const key = memoKey(hex, prefix);
    const known = memo.get(key);
    if (known) return touchKnown(known, into);
    const tree = listings.get(hex)!;
    const lower = tree.lowerNames();
    const from = index.size;
    const mine: number[] | undefined = fresh ? undefined : [];
    for (let i = 0; i < tree.count; i++) {
      const name = tree.names[i]!;
      const path = prefix ? `${prefix}/${name}` : name;
      const lowerPath = prefix ? `${lowerPrefix}/${lower[i]!}` : lower[i]!;
      if (fresh) index.addNew(project, path, tree.type(i), tree.sizes[i]!, snapshot.id, snapshot.createdAt, lowerPath);
      else mine!.push(index.add(project, path, tree.type(i), tree.sizes[i]!, snapshot.id, snapshot.createdAt, lowerPath));
      const subtree = tree.subtree(i);
      if (subtree) walk(subtree, path, lowerPath, mine);
    }
    memo.set(key, mine ?? { from, to: index.size });
    if (mine && into) for (const i of mine) into.push(i);
  };
  walk(snapshot.treeId, '', '', fresh ? undefined : []);
  index.markSnapshot(snapshot.id);
}

function memoKey(treeHex: string, prefix: string): string {
  return `${treeHex}\u0000${prefix}`;
}

/**
 * Loads into `listings` every tree of the snapshot that `memo` does not
 * already cover. A queue, not a walk: a listing's subfolders join the queue
 * as soon as it arrives, and up to LOADS_IN_FLIGHT batches of LOAD_BATCH
 * trees are always out, so the pool never waits for one folder level to end.
 */
function loadListings(source: TreeSource, root: Uint8Array, memo: SubtreeMemo, listings: Listings): Promise<void> {
  /** Trees asked for and not yet here → the paths they sit at, to expand when they arrive. */
  const awaited = new Map<string, string[]>();
  const queue: [string, Uint8Array][] = [];
  const visit = (id: Uint8Array, prefix: string): void => {
    const hex = hexOf(id);
    if (memo.has(memoKey(hex, prefix))) return;
    const tree = listings.get(hex);
    if (tree) return expand(tree, prefix);
    let at = awaited.get(hex);
    if (!at) {
      awaited.set(hex, (at = []));
      queue.push([hex, id]);
    }
    at.push(prefix);
  };
  const expand = (tree: FolderListing, prefix: string): void => {
    for (let i = 0; i < tree.count; i++) {
      const subtree = tree.subtree(i);
      if (subtree) visit(subtree, prefix ? `${prefix}/${tree.names[i]!}` : tree.names[i]!);
    }
  };
  return new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    let failed = false;
    const pump = (): void => {
      while (!failed && inFlight < LOADS_IN_FLIGHT && queue.length > 0) {
        const batch = queue.splice(0, LOAD_BATCH);
        inFlight++;
        source.loadTreeIndexes(batch.map(([, id]) => id)).then(
          (loaded) => {
            inFlight--;
            batch.forEach(([hex], n) => {
              const listing = new FolderListing(loaded[n]!);
              listings.set(hex, listing);
              for (const prefix of awaited.get(hex)!) expand(listing, prefix);
              awaited.delete(hex);
            });
            pump();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
      if (!failed && inFlight === 0 && queue.length === 0) resolve();
    };
    visit(root, '');
    pump();
  });
}

/** A tree id in hex, without copying the id. */
function hexOf(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}
