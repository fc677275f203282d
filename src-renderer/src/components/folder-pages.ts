/**
 * A snapshot folder as pages of `snapshot.list-dir`, in the engine's order
 * for the chosen sort: the first page tells the folder's size, the list asks
 * for the pages its visible rows fall in, and each page is a cached query of
 * its own. The renderer never sorts a partial listing; a new sort is new
 * pages. A folder of up to `LIST_PAGE` entries is a single call.
 */
import { useRef } from 'react';
import type { CallArgs } from '../../../src-shared/contract.ts';
import { useCall, useCalls } from '../api.tsx';
import type { ClientError } from '../client.ts';
import type { Entry, SortDir, SortKey } from '../lib/tree-model.ts';

/** Rows per page: a screenful many times over, and a small fraction of a 100,000-entry folder's JSON. */
export const LIST_PAGE = 200;

export interface FolderOrder {
  snapshotId: string;
  path: string;
  sort: SortKey;
  dir: SortDir;
}

function pageArgs(order: FolderOrder, page: number): CallArgs<'snapshot.list-dir'> {
  return { snapshotId: order.snapshotId, path: order.path, sort: order.sort, dir: order.dir, offset: page * LIST_PAGE, limit: LIST_PAGE };
}

/**
 * The folder's entry count from its first page; while another sort's first
 * page is on its way, the count already known for the same folder, so the
 * list keeps its height and shows placeholder rows instead of emptying.
 */
export function useFolderHead(order: FolderOrder): { total: number | null; error: ClientError | null } {
  const head = useCall('snapshot.list-dir', pageArgs(order, 0));
  const folder = `${order.snapshotId}\0${order.path}`;
  const known = useRef<{ folder: string; total: number } | null>(null);
  if (head.data) known.current = { folder, total: head.data.total };
  const total = head.data?.total ?? (known.current?.folder === folder ? known.current.total : null);
  return { total, error: head.error };
}

export interface FolderRows {
  /** Row index → entry, with holes where a page has not arrived (or was not asked for). */
  rows: readonly (Entry | undefined)[];
  /** A loaded entry's row, or -1. */
  indexOf: (path: string | null) => number;
  error: ClientError | null;
}

/** The entries of the given pages, placed at their rows among `total`. */
export function useFolderRows(order: FolderOrder, total: number, pages: readonly number[]): FolderRows {
  const results = useCalls('snapshot.list-dir', pages.map((p) => pageArgs(order, p)));
  const rows: (Entry | undefined)[] = [];
  rows.length = total;
  const byPath = new Map<string, number>();
  let error: ClientError | null = null;
  for (const r of results) {
    if (r.error) error = r.error as ClientError;
    if (!r.data) continue;
    r.data.entries.forEach((e, k) => {
      const i = r.data.offset + k;
      if (i >= total) return;
      rows[i] = e;
      byPath.set(e.path, i);
    });
  }
  return { rows, indexOf: (path) => (path === null ? -1 : (byPath.get(path) ?? -1)), error };
}
