/**
 * File history: every version of one path across the snapshots of a project.
 *
 * A *version* is a run of consecutive snapshots (oldest first) in which the
 * path holds the same thing: the same content blobs for a file, the same
 * target for a symlink, the same subtree for a folder. A touched but
 * identical file is not a new version; a path that disappears ends its
 * version, and when it comes back it starts a new one (which may equal an
 * earlier version: `sameAs` says which). Read-only; listings are located,
 * not decoded, and cached by id (browse.ts `entryBelow`), so a path under
 * unchanged folders costs one lookup per snapshot.
 */
import { timingSafeEqual } from 'node:crypto';
import { VaultError } from '../errors.ts';
import { targetBytesOf } from '../snapshot/index.ts';
import type { TreeEntry } from '../snapshot/index.ts';
import { entryBelow } from './browse.ts';
import type { Vault } from './vault.ts';

export interface FileVersion {
  /** 1 for the oldest version. */
  number: number;
  /** 'added' the first time, 'changed' when it follows another version directly, 'returned' after snapshots without it. */
  change: 'added' | 'changed' | 'returned';
  type: TreeEntry['type'];
  size: number;
  mtimeMs: number;
  /** The oldest snapshot holding this version. */
  snapshotId: string;
  createdAt: number;
  /** The newest consecutive snapshot still holding it. */
  lastSnapshotId: string;
  lastAt: number;
  /** How many snapshots hold it. */
  snapshots: number;
  /** An earlier version with identical content, when the path went back to it. */
  sameAs: number | null;
}

export interface FileHistory {
  project: string;
  path: string;
  /** Oldest first. */
  versions: FileVersion[];
  /** Snapshots of the project looked at. */
  snapshotsChecked: number;
  /** Whether the project's newest snapshot holds the path. */
  inLatest: boolean;
}

export async function fileHistory(vault: Vault, project: string, path: string): Promise<FileHistory> {
  const p = vault.catalog.getProject(project);
  if (!p) throw new VaultError('not-found', `There is no project named '${project}'.`);
  const segments = path.split('/').filter((s) => s.length > 0);
  if (segments.length === 0) throw new VaultError('invalid-argument', "Give the path of a file or folder inside the project, not its root.");
  if (segments.some((s) => s === '.' || s === '..')) throw new VaultError('invalid-argument', `Paths inside a snapshot cannot contain '.' or '..'.`);

  const snapshots = vault.catalog.listSnapshots(p.id);
  const versions: FileVersion[] = [];
  /** The entry of each version, to tell a change from a return to earlier content. */
  const seen: TreeEntry[] = [];
  let previous: TreeEntry | null = null;
  for (const snap of snapshots) {
    const entry = await entryBelow(vault, snap.treeId, segments);
    if (!entry) {
      previous = null;
      continue;
    }
    const current = versions.at(-1);
    if (previous && current && sameThing(previous, entry)) {
      current.lastSnapshotId = snap.id;
      current.lastAt = snap.createdAt;
      current.snapshots++;
    } else {
      const earlier = seen.findIndex((e) => sameThing(e, entry));
      versions.push({
        number: versions.length + 1,
        change: versions.length === 0 ? 'added' : previous ? 'changed' : 'returned',
        type: entry.type,
        size: entry.size,
        mtimeMs: Number(entry.mtimeNs / 1_000_000n),
        snapshotId: snap.id,
        createdAt: snap.createdAt,
        lastSnapshotId: snap.id,
        lastAt: snap.createdAt,
        snapshots: 1,
        sameAs: earlier >= 0 ? earlier + 1 : null,
      });
      seen.push(entry);
    }
    previous = entry;
  }
  const latest = snapshots.at(-1);
  return { project, path: segments.join('/'), versions, snapshotsChecked: snapshots.length, inLatest: latest !== undefined && versions.at(-1)?.lastSnapshotId === latest.id };
}

function sameThing(a: TreeEntry, b: TreeEntry): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'symlink') return Buffer.compare(targetBytesOf(a) ?? Buffer.alloc(0), targetBytesOf(b) ?? Buffer.alloc(0)) === 0;
  if (a.type === 'dir') return a.subtree !== undefined && b.subtree !== undefined && sameId(a.subtree, b.subtree);
  const ca = a.content ?? [];
  const cb = b.content ?? [];
  return a.size === b.size && ca.length === cb.length && ca.every((id, i) => sameId(id, cb[i]!));
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
