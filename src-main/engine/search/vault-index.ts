/**
 * The search index of one unlocked vault: built from its snapshots' trees on
 * first use, then kept up to date as backups add snapshots.
 */
import type { Vault } from '../vault/vault.ts';
import { indexSnapshot, PathIndex } from './index.ts';

export class VaultPathIndex {
  readonly index = new PathIndex();
  readonly #vault: Vault;
  /** Per project: subtrees already indexed (see indexSnapshot). */
  readonly #memos = new Map<number, Map<string, number[]>>();
  #updating: Promise<void> = Promise.resolve();

  constructor(vault: Vault) {
    this.#vault = vault;
  }

  /** Indexes every snapshot not indexed yet, oldest first; concurrent calls share one pass. */
  refresh(): Promise<void> {
    this.#updating = this.#updating.then(async () => {
      const names = new Map(this.#vault.catalog.listProjects().map((p) => [p.id, p.name]));
      for (const s of this.#vault.catalog.listSnapshots()) {
        if (this.index.hasSnapshot(s.id)) continue;
        let memo = this.#memos.get(s.projectId);
        if (!memo) this.#memos.set(s.projectId, (memo = new Map()));
        await indexSnapshot(this.index, this.#vault, names.get(s.projectId) ?? '?', s, memo);
      }
    });
    return this.#updating;
  }
}
