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
import type { TreeEntry } from '../snapshot/index.ts';

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
  readonly #byKey = new Map<string, number>();
  readonly #seenSnapshots = new Set<string>();
  #hay = '';
  #starts = new Int32Array(0);
  #dirty = false;

  get size(): number {
    return this.records.length;
  }

  hasSnapshot(id: string): boolean {
    return this.#seenSnapshots.has(id);
  }

  markSnapshot(id: string): void {
    this.#seenSnapshots.add(id);
  }

  /** Adds or refreshes one path as seen in a snapshot; returns its record's index. */
  add(project: string, path: string, type: PathRecord['type'], size: number, snapshotId: string, createdAt: number): number {
    const key = `${project}\u0000${path}`;
    const at = this.#byKey.get(key);
    if (at !== undefined) {
      const r = this.records[at]!;
      this.touch(at, snapshotId, createdAt);
      r.type = type;
      r.size = size;
      return at;
    }
    this.records.push({ project, path, type, size, snapshotId, createdAt, versions: 1 });
    this.#byKey.set(key, this.records.length - 1);
    this.#dirty = true;
    return this.records.length - 1;
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
    const hits: number[] = [];
    let total = 0;
    let pos = hay.indexOf(q);
    while (pos !== -1) {
      const i = recordAt(starts, pos);
      total++;
      if (hits.length < limit * 4) hits.push(i);
      if (total >= countLimit) break;
      // Next record: each path counts once, however often it contains the query.
      pos = i + 1 < starts.length ? hay.indexOf(q, starts[i + 1]!) : -1;
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

  #build(): void {
    if (!this.#dirty) return;
    const parts: string[] = new Array(this.records.length);
    const starts = new Int32Array(this.records.length);
    let at = 0;
    for (const [i, r] of this.records.entries()) {
      starts[i] = at;
      const p = r.path.toLowerCase();
      parts[i] = p;
      at += p.length + 1;
    }
    this.#hay = parts.join('\n');
    this.#starts = starts;
    this.#dirty = false;
  }
}

/** The record whose path holds haystack offset `pos`: the last start <= pos. */
function recordAt(starts: Int32Array, pos: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** What indexing needs from a vault: trees by id. */
export interface TreeSource {
  loadTree(id: Uint8Array): Promise<TreeEntry[]>;
  /** Many listings in one go (the vault opens them in its worker pool); used to load a folder's subfolders ahead. */
  loadTrees?(ids: readonly Uint8Array[]): Promise<TreeEntry[][]>;
}

/**
 * Adds one snapshot's paths. A subtree already indexed at the same place
 * (same tree id, same path) is not read again: its records are only touched.
 * `memo` carries that knowledge between snapshots of one project. The
 * listings of a folder's subfolders are loaded together, ahead of the walk,
 * so memory holds at most one folder's worth of them per level.
 */
export async function indexSnapshot(index: PathIndex, source: TreeSource, project: string, snapshot: Pick<SnapshotRow, 'id' | 'createdAt' | 'treeId'>, memo: Map<string, number[]>): Promise<void> {
  if (index.hasSnapshot(snapshot.id)) return;
  const memoKey = (treeId: Uint8Array, prefix: string) => `${Buffer.from(treeId).toString('hex')}\u0000${prefix}`;
  const walk = async (treeId: Uint8Array, prefix: string, into: number[], listing: Promise<TreeEntry[]> | undefined): Promise<void> => {
    const known = memo.get(memoKey(treeId, prefix));
    if (known) {
      for (const i of known) {
        index.touch(i, snapshot.id, snapshot.createdAt);
        into.push(i);
      }
      return;
    }
    const entries = await (listing ?? source.loadTree(treeId));
    const subdirs = entries.flatMap((e) => {
      if (e.type !== 'dir' || !e.subtree) return [];
      const path = prefix ? `${prefix}/${e.name}` : e.name;
      return memo.has(memoKey(e.subtree, path)) ? [] : [e.subtree];
    });
    const ahead = new Map<Uint8Array, Promise<TreeEntry[]>>();
    if (source.loadTrees && subdirs.length > 1) {
      const loading = source.loadTrees(subdirs);
      loading.catch(() => undefined); // a damaged listing fails where the walk reaches it
      subdirs.forEach((id, n) => ahead.set(id, loading.then((trees) => trees[n]!)));
    }
    const mine: number[] = [];
    for (const e of entries) {
      const path = prefix ? `${prefix}/${e.name}` : e.name;
      mine.push(index.add(project, path, e.type, e.size, snapshot.id, snapshot.createdAt));
      if (e.type === 'dir' && e.subtree) await walk(e.subtree, path, mine, ahead.get(e.subtree));
    }
    memo.set(memoKey(treeId, prefix), mine);
    for (const i of mine) into.push(i);
  };
  await walk(snapshot.treeId, '', [], undefined);
  index.markSnapshot(snapshot.id);
}
