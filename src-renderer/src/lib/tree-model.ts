/**
 * The browse list's logic, kept out of the component so it is tested alone:
 * sorting (folders first, then by the chosen column), the keyboard model,
 * which pages of a large folder to ask for, and paths/breadcrumbs inside a
 * snapshot ('' is the root, '/'-separated).
 * The sort order itself is shared with the engine (src-shared/listing.ts),
 * which pages large folders in the same order.
 */
import type { SortDir, SortKey } from '../../../src-shared/listing.ts';

export type { SortDir, SortKey } from '../../../src-shared/listing.ts';
export { sortEntries } from '../../../src-shared/listing.ts';

export interface Entry {
  name: string;
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mtimeMs: number;
}

/** Clicking a column: same column flips the direction; a new one starts ascending (size and date: largest/newest first). */
export function nextSort(current: { key: SortKey; dir: SortDir }, clicked: SortKey): { key: SortKey; dir: SortDir } {
  if (current.key === clicked) return { key: clicked, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key: clicked, dir: clicked === 'name' ? 'asc' : 'desc' };
}

export type KeyAction = { move: number } | { open: true } | { up: true } | null;

/** What a key does in the list; `index` is the selected row (-1 for none). */
export function keyAction(key: string, index: number, count: number, pageSize: number): KeyAction {
  if (count === 0) return key === 'Backspace' || key === 'ArrowLeft' ? { up: true } : null;
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  switch (key) {
    case 'ArrowDown':
      return { move: clamp(index + 1) };
    case 'ArrowUp':
      return { move: clamp(index < 0 ? 0 : index - 1) };
    case 'Home':
      return { move: 0 };
    case 'End':
      return { move: count - 1 };
    case 'PageDown':
      return { move: clamp(index + pageSize) };
    case 'PageUp':
      return { move: clamp(index - pageSize) };
    case 'Enter':
    case 'ArrowRight':
      return index >= 0 ? { open: true } : null;
    case 'Backspace':
    case 'ArrowLeft':
      return { up: true };
    default:
      return null;
  }
}

/**
 * Typing a letter jumps to the next entry starting with it (wrapping). A
 * paged folder has holes where its pages have not arrived: they are passed over.
 */
export function typeAhead(entries: readonly (Entry | undefined)[], from: number, letter: string): number {
  const l = letter.toLowerCase();
  for (let k = 1; k <= entries.length; k++) {
    const i = (from + k) % entries.length;
    if (entries[i]?.name.toLowerCase().startsWith(l)) return i;
  }
  return from;
}

/** The pages (of `pageSize` rows) that hold rows `first` to `last` of a list of `count` rows, and the page of each extra row. */
export function pagesCovering(first: number, last: number, count: number, pageSize: number, extra: readonly number[] = []): number[] {
  const pages = new Set<number>();
  if (count > 0) {
    const from = Math.floor(Math.max(0, first) / pageSize);
    const to = Math.floor(Math.min(count - 1, Math.max(first, last)) / pageSize);
    for (let p = from; p <= to; p++) pages.add(p);
    for (const row of extra) if (row >= 0 && row < count) pages.add(Math.floor(row / pageSize));
  }
  return [...pages].sort((a, b) => a - b);
}

export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** Breadcrumbs from the root: [{ label: root, path: '' }, { label: 'src', path: 'src' }, ...]. */
export function breadcrumbs(path: string, rootLabel: string): { label: string; path: string }[] {
  const crumbs = [{ label: rootLabel, path: '' }];
  let at = '';
  for (const seg of path.split('/').filter(Boolean)) {
    at = joinPath(at, seg);
    crumbs.push({ label: seg, path: at });
  }
  return crumbs;
}
