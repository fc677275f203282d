/**
 * The search index of one unlocked vault: built from its snapshots' trees on
 * first use, then kept up to date as backups add snapshots.
 */
import { VaultError } from '../errors.ts';
import { BlobKind } from '../packs/index.ts';
import { indexTree } from '../snapshot/index.ts';
import type { TreeIndex } from '../snapshot/index.ts';
import type { Vault } from '../vault/vault.ts';
import { indexSnapshot, PathIndex } from './index.ts';
import type { Listings, SubtreeMemo, TreeSource } from './index.ts';

/** Entries of the listings one refresh keeps for trees shared between snapshots and projects; past it they are dropped and read again if met again. */
const KEPT_LISTING_ENTRIES = 1_000_000;

export interface IndexProgress {
  /** Snapshots indexed so far in this refresh, of `snapshots`. */
  indexed: number;
  snapshots: number;
  /** Folder listings read from the vault so far in this refresh. */
  folders: number;
  /** Path records in the index. */
  paths: number;
}

export class VaultPathIndex {
  readonly index = new PathIndex();
  readonly #vault: Vault;
  /** Per project: subtrees already indexed (see indexSnapshot). */
  readonly #memos = new Map<number, SubtreeMemo>();
  #updating: Promise<void> = Promise.resolve();
  #progress: IndexProgress | null = null;

  constructor(vault: Vault) {
    this.#vault = vault;
  }

  /** How far the refresh under way has got, or null when none is. */
  get progress(): IndexProgress | null {
    return this.#progress && { ...this.#progress };
  }

  /** Indexes every snapshot not indexed yet, oldest first; concurrent calls share one pass. */
  refresh(): Promise<void> {
    this.#updating = this.#updating.then(async () => {
      const names = new Map(this.#vault.catalog.listProjects().map((p) => [p.id, p.name]));
      const todo = this.#vault.catalog.listSnapshots().filter((s) => !this.index.hasSnapshot(s.id));
      if (todo.length === 0) return;
      const progress: IndexProgress = { indexed: 0, snapshots: todo.length, folders: 0, paths: this.index.size };
      const source = treeIndexes(this.#vault, { onLoaded: (n) => (progress.folders += n) });
      const listings: Listings = new Map();
      this.#progress = progress;
      try {
        for (const s of todo) {
          let memo = this.#memos.get(s.projectId);
          if (!memo) this.#memos.set(s.projectId, (memo = new Map()));
          await indexSnapshot(this.index, source, names.get(s.projectId) ?? '?', s, memo, listings);
          if (entriesOf(listings) > KEPT_LISTING_ENTRIES) listings.clear();
          progress.indexed++;
          progress.paths = this.index.size;
        }
      } finally {
        this.#progress = null;
      }
    });
    return this.#updating;
  }
}

function entriesOf(listings: Listings): number {
  let n = 0;
  for (const t of listings.values()) n += t.count;
  return n;
}

/**
 * Trees located, not decoded (`indexTree`): opened in the vault's worker
 * pool (authenticated, decompressed, id-checked, healed from parity when
 * damaged, as `Vault.openBlobs` does), then indexed here without building
 * an entry object per name.
 */
export function treeIndexes(vault: Vault, options: { onLoaded?: (trees: number) => void; openBytes?: number } = {}): TreeSource {
  const { onLoaded, openBytes = OPEN_BYTES } = options;
  return {
    async loadTreeIndexes(ids: readonly Uint8Array[]): Promise<TreeIndex[]> {
      const blobs = ids.map((id) => {
        const place = vault.catalog.getBlob(id);
        const short = Buffer.from(id).toString('hex').slice(0, 12);
        if (!place) throw new VaultError('damaged-data', `Blob ${short} is missing from the vault.`);
        if (place.kind !== BlobKind.tree) throw new VaultError('damaged-data', `Blob ${short} is not of the expected kind.`);
        return { id, place };
      });
      const out: TreeIndex[] = [];
      for (const part of byPlainBytes(blobs, openBytes)) {
        const plains = await vault.openBlobs(part);
        onLoaded?.(plains.length);
        plains.forEach((plain, n) => out.push(indexTree(plain, `tree ${Buffer.from(part[n]!.id).toString('hex').slice(0, 12)}`, { adopt: true })));
      }
      return out;
    },
  };
}

/** Plaintext bytes opened at once by default: a batch of huge folders is opened a few at a time, not all together. */
const OPEN_BYTES = 32 * 1024 * 1024;

/** Consecutive runs of `blobs` whose plaintext adds up to at most `limit` bytes (or one blob larger than it). */
function byPlainBytes<T extends { place: { rawLength: number } }>(blobs: readonly T[], limit: number): T[][] {
  const parts: T[][] = [];
  let part: T[] = [];
  let bytes = 0;
  for (const b of blobs) {
    if (part.length > 0 && bytes + b.place.rawLength > limit) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(b);
    bytes += b.place.rawLength;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}
