/**
 * The order of a folder listing, shared by the engine (which sorts and pages
 * a large folder) and the renderer (which sorts what it already holds), so
 * both agree on where every entry falls: folders first, then by the chosen
 * column, ties by name (natural order, case and accents aside) so the order
 * is stable. Runtime-neutral: only the language's own Intl.
 */
export interface SortableEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mtimeMs: number;
}

export type SortKey = 'name' | 'size' | 'date';
export type SortDir = 'asc' | 'desc';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** A comparator for `Array.prototype.sort`. */
export function entryOrder<T extends SortableEntry>(key: SortKey, dir: SortDir): (a: T, b: T) => number {
  const sign = dir === 'asc' ? 1 : -1;
  return (a, b) => {
    const folders = Number(b.type === 'dir') - Number(a.type === 'dir');
    if (folders !== 0) return folders;
    if (key === 'size' && a.size !== b.size) return (a.size - b.size) * sign;
    if (key === 'date' && a.mtimeMs !== b.mtimeMs) return (a.mtimeMs - b.mtimeMs) * sign;
    const n = collator.compare(a.name, b.name);
    return key === 'name' ? n * sign : n;
  };
}

/** A sorted copy. */
export function sortEntries<T extends SortableEntry>(entries: readonly T[], key: SortKey, dir: SortDir): T[] {
  return [...entries].sort(entryOrder(key, dir));
}
