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

  /** Adds or refreshes one path as seen in a snapshot; returns its record's index. */
  add(project: string, path: string, type: PathRecord['type'], size: number, snapshotId: string, createdAt: number): number {
    const at = this.#pathsOf(project).get(path);
    if (at !== undefined) {
      const r = this.records[at]!;
      this.touch(at, snapshotId, createdAt);
      r.type = type;
      r.size = size;
      return at;
    }
    const i = this.addNew(project, path, type, size, snapshotId, createdAt);
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
  addNew(project: string, path: string, type: PathRecord['type'], size: number, snapshotId: string, createdAt: number): number {
    this.records.push({ project, path, type, size, snapshotId, createdAt, versions: 1 });
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
    const records = this.records;
    if (this.#built === records.length) return;
    if (this.#starts.length < records.length) {
      const grown = new Int32Array(Math.max(records.length, this.#starts.length * 2));
      grown.set(this.#starts.subarray(0, this.#built));
      this.#starts = grown;
    }
    const parts: string[] = new Array(records.length - this.#built);
    let at = this.#hay.length;
    for (let i = this.#built; i < records.length; i++) {
      this.#starts[i] = at;
      const p = records[i]!.path.toLowerCase();
      parts[i - this.#built] = p;
      at += p.length + 1;
    }
    parts.push('');
    this.#hay += parts.join('\n');
    this.#built = records.length;
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

/** Listings a pass over several snapshots keeps, by tree id in hex: a tree shared by snapshots or projects is read once. */
export type Listings = Map<string, TreeIndex>;

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
 * in one synchronous depth-first walk, in the same order as ever.
 */
export async function indexSnapshot(index: PathIndex, source: TreeSource, project: string, snapshot: Pick<SnapshotRow, 'id' | 'createdAt' | 'treeId'>, memo: Map<string, number[]>, listings: Listings = new Map()): Promise<void> {
  if (index.hasSnapshot(snapshot.id)) return;
  await loadListings(source, snapshot.treeId, memo, listings);
  // A project's first snapshot: every path is new.
  const fresh = !index.hasProject(project);
  const add = fresh ? index.addNew.bind(index) : index.add.bind(index);
  const walk = (treeId: Uint8Array, prefix: string, into: number[]): void => {
    const hex = Buffer.from(treeId).toString('hex');
    const known = memo.get(memoKey(hex, prefix));
    if (known) {
      for (const i of known) {
        index.touch(i, snapshot.id, snapshot.createdAt);
        into.push(i);
      }
      return;
    }
    const tree = listings.get(hex)!;
    const mine: number[] = [];
    for (let i = 0; i < tree.count; i++) {
      const name = tree.names[i]!;
      const path = prefix ? `${prefix}/${name}` : name;
      mine.push(add(project, path, tree.type(i), tree.sizes[i]!, snapshot.id, snapshot.createdAt));
      const subtree = tree.subtree(i);
      if (subtree) walk(subtree, path, mine);
    }
    memo.set(memoKey(hex, prefix), mine);
    for (const i of mine) into.push(i);
  };
  walk(snapshot.treeId, '', []);
  index.markSnapshot(snapshot.id);
}

function memoKey(treeHex: string, prefix: string): string {
  return `${treeHex}\u0000${prefix}`;
}

/** Loads into `listings` every tree of the snapshot that `memo` does not already cover, level by level. */
async function loadListings(source: TreeSource, root: Uint8Array, memo: Map<string, number[]>, listings: Listings): Promise<void> {
  let level: { id: Uint8Array; hex: string; prefix: string }[] = [{ id: root, hex: Buffer.from(root).toString('hex'), prefix: '' }];
  while (level.length > 0) {
    level = level.filter((t) => !memo.has(memoKey(t.hex, t.prefix)));
    const missing = new Map<string, Uint8Array>();
    for (const t of level) if (!listings.has(t.hex)) missing.set(t.hex, t.id);
    await loadMany(source, [...missing], listings);
    const next: typeof level = [];
    for (const t of level) {
      const tree = listings.get(t.hex)!;
      for (let i = 0; i < tree.count; i++) {
        const subtree = tree.subtree(i);
        if (!subtree) continue;
        next.push({ id: subtree, hex: Buffer.from(subtree).toString('hex'), prefix: t.prefix ? `${t.prefix}/${tree.names[i]!}` : tree.names[i]! });
      }
    }
    level = next;
  }
}

async function loadMany(source: TreeSource, trees: [string, Uint8Array][], listings: Listings): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < trees.length) {
      const batch = trees.slice(next, (next += LOAD_BATCH));
      const loaded = await source.loadTreeIndexes(batch.map(([, id]) => id));
      batch.forEach(([hex], n) => listings.set(hex, loaded[n]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOADS_IN_FLIGHT, Math.ceil(trees.length / LOAD_BATCH)) }, worker));
}
