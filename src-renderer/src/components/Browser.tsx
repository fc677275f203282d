/**
 * One folder of a snapshot as a virtualized list (TanStack Virtual: only the
 * rows on screen exist, so 100,000 entries scroll smoothly), with sortable
 * columns, breadcrumbs, and the keyboard: arrows/Home/End/PageUp/PageDown
 * move, Enter or → opens, Backspace or ← goes up, a letter jumps. The rows
 * arrive in pages, in the engine's order for the chosen sort (folder-pages.ts):
 * the first rows paint without waiting for the whole folder, and a row whose
 * page is still on its way shows a placeholder.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import * as Menu from '@radix-ui/react-dropdown-menu';
import { ArrowDown, ArrowUp, ChevronRight, File, Folder, Link2, MoreHorizontal } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { errorText, useServices } from '../api.tsx';
import { formatBytes, formatDate, plural } from '../lib/format.ts';
import { breadcrumbs, keyAction, nextSort, pagesCovering, parentPath, typeAhead } from '../lib/tree-model.ts';
import type { Entry, SortDir, SortKey } from '../lib/tree-model.ts';
import { useNativeMenu } from './ContextMenu.tsx';
import { LIST_PAGE, useFolderHead, useFolderRows } from './folder-pages.ts';
import type { FolderOrder } from './folder-pages.ts';

const ROW = 30;

export interface BrowserProps {
  snapshotId: string;
  rootLabel: string;
  path: string;
  selected: string | null;
  onNavigate: (path: string, select?: string | null) => void;
  onSelect: (entry: Entry | null) => void;
  onOpenFile: (entry: Entry) => void;
  onRestore: (paths: string[], label: string) => void;
  onExport: (paths: string[], label: string) => void;
  /** Every version of the entry across the project's snapshots. */
  onHistory?: (entry: Entry) => void;
}

/** Rows either side of the view whose pages are asked for before they scroll in. */
const LOOKAHEAD = 60;

/**
 * A move made in the list (click, keys, type-ahead): the row it went to and
 * the path it told the parent, or null while that row's page is on its way.
 * It belongs to one folder in one order.
 */
interface Cursor {
  order: string;
  index: number;
  told: string | null;
}

export function Browser(props: BrowserProps) {
  const { snapshotId, path, selected } = props;
  const [sort, setSort] = useState<{ key: SortKey; dir: SortDir }>({ key: 'name', dir: 'asc' });
  const order: FolderOrder = { snapshotId, path, sort: sort.key, dir: sort.dir };
  const orderKey = `${snapshotId}\0${path}\0${sort.key}\0${sort.dir}`;
  const head = useFolderHead(order);
  const count = head.total ?? 0;
  const [cursor, setCursor] = useState<Cursor | null>(null);
  const { client } = useServices();
  const moved = cursor?.order === orderKey ? cursor : null;
  const [menuOpen, setMenuOpen] = useState(false);
  // In the desktop app a right click shows a native menu of the same actions; in a browser, the Actions menu.
  const nativeMenu = useNativeMenu();
  const scroller = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 12 });
  const shown = virtual.getVirtualItems();
  const first = shown[0]?.index ?? 0;
  const last = shown.at(-1)?.index ?? 0;
  const folder = useFolderRows(order, count, pagesCovering(first - LOOKAHEAD, last + LOOKAHEAD, count, LIST_PAGE, moved ? [moved.index] : []));
  const { rows } = folder;
  const index = moved ? moved.index : folder.indexOf(selected);
  const current = index >= 0 ? (rows[index] ?? null) : null;

  useEffect(() => {
    if (index >= 0) virtual.scrollToIndex(index, { align: 'auto' });
  }, [index, virtual]);

  // Another folder or order, or a selection made elsewhere (the route, another screen), ends the list's own move.
  useEffect(() => {
    setCursor((c) => (c && (c.order !== orderKey || (c.told !== null && c.told !== selected)) ? null : c));
  }, [selected, orderKey]);

  // A move to a row whose page was still on its way selects it once it arrives.
  const waitingFor = moved && moved.told === null ? rows[moved.index] : undefined;
  useEffect(() => {
    if (!moved || !waitingFor) return;
    setCursor({ ...moved, told: waitingFor.path });
    props.onSelect(waitingFor);
  }, [waitingFor]);

  // Entering a folder with the keyboard keeps the focus in the list: select its first entry, as Finder does.
  const firstRow = rows[0];
  useEffect(() => {
    if (index < 0 && firstRow && list.current && list.current === document.activeElement) props.onSelect(firstRow);
  }, [firstRow]);

  const open = (e: Entry) => {
    if (e.type === 'dir') props.onNavigate(e.path, null);
    else props.onOpenFile(e);
  };
  const up = () => {
    if (path) props.onNavigate(parentPath(path), path);
  };
  const select = (i: number) => {
    if (i < 0) return;
    const e = rows[i];
    setCursor({ order: orderKey, index: i, told: e?.path ?? null });
    if (e) props.onSelect(e);
  };

  const onKey = (ev: KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 300) / ROW) - 1);
    const action = keyAction(ev.key, index, count, page);
    if (action) {
      ev.preventDefault();
      if ('move' in action) select(action.move);
      else if ('up' in action) up();
      else if (current) open(current);
      return;
    }
    if (current && (ev.key === 'ContextMenu' || (ev.key === 'F10' && ev.shiftKey))) {
      ev.preventDefault();
      setMenuOpen(true);
      return;
    }
    if (ev.key.length === 1 && /\S/.test(ev.key) && !ev.ctrlKey && !ev.metaKey && !ev.altKey) jumpTo(ev.key);
  };

  // Type-ahead: a folder held whole is searched here; a paged one by the engine, which has every
  // name (the pages here are only those asked for). An answer that comes after another key, or
  // for another folder or order, is dropped.
  const typed = useRef(0);
  const jumpTo = (letter: string) => {
    if (count <= LIST_PAGE) {
      select(typeAhead(rows, index, letter));
      return;
    }
    const asked = ++typed.current;
    const askedFor = orderKey;
    client
      .call('snapshot.find-in-dir', { snapshotId, path, sort: sort.key, dir: sort.dir, from: index, prefix: letter })
      .then(({ row }) => {
        if (row !== null && asked === typed.current && askedFor === currentOrder.current) select(row);
      })
      .catch((err: unknown) => console.warn(errorText(err)));
  };
  const currentOrder = useRef(orderKey);
  currentOrder.current = orderKey;

  const crumbs = breadcrumbs(path, props.rootLabel);
  const column = (key: SortKey, label: string, className = '') => (
    <button type="button" className={`col ${className}`} onClick={() => setSort(nextSort(sort, key))} aria-label={`Sort by ${label}`} aria-pressed={sort.key === key}>
      {label} {sort.key === key && (sort.dir === 'asc' ? <ArrowUp size={12} aria-hidden /> : <ArrowDown size={12} aria-hidden />)}
    </button>
  );
  const activeId = index >= 0 ? `row-${index}` : undefined;

  return (
    <div className="browser">
      <nav className="crumbs" aria-label="Folder path">
        <ol>
          {crumbs.map((c, i) => (
            <li key={c.path}>
              {i > 0 && <ChevronRight size={14} aria-hidden />}
              {i === crumbs.length - 1 ? (
                <span aria-current="location">{c.label}</span>
              ) : (
                <button type="button" className="link" onClick={() => props.onNavigate(c.path, crumbs[i + 1]?.path ?? null)}>
                  {c.label}
                </button>
              )}
            </li>
          ))}
        </ol>
        <span className="muted count">{head.total !== null ? plural(head.total, 'item') : ''}</span>
        {current && (
          <EntryMenu
            entry={current}
            open={menuOpen}
            onOpenChange={(o) => {
              setMenuOpen(o);
              if (!o) list.current?.focus();
            }}
            onOpen={() => open(current)}
            onRestore={() => props.onRestore([current.path], current.name)}
            onExport={() => props.onExport([current.path], current.name)}
            {...(props.onHistory ? { onHistory: () => props.onHistory!(current) } : {})}
          />
        )}
      </nav>
      <div className="list-head" role="presentation">
        {column('name', 'Name', 'name')}
        {column('size', 'Size', 'num')}
        {column('date', 'Modified', 'date')}
      </div>
      {(head.error ?? folder.error) && <p className="form-error">{errorText(head.error ?? folder.error)}</p>}
      <div className="list-scroll" ref={scroller}>
        <div
          ref={list}
          className="list"
          role="listbox"
          tabIndex={0}
          aria-label={`Contents of ${crumbs.at(-1)!.label}`}
          aria-activedescendant={activeId}
          onKeyDown={onKey}
          onFocus={() => index < 0 && count > 0 && select(0)}
          style={{ height: virtual.getTotalSize() }}
        >
          {shown.map((v) => {
            const e = rows[v.index];
            const isSel = v.index === index;
            if (!e) return <PlaceholderRow key={`row-${v.index}`} index={v.index} start={v.start} selected={isSel} />;
            return (
              <div
                key={e.path}
                id={`row-${v.index}`}
                role="option"
                aria-selected={isSel}
                className={`row${isSel ? ' selected' : ''}`}
                style={{ transform: `translateY(${v.start}px)`, height: ROW }}
                onClick={() => select(v.index)}
                onContextMenu={(ev) => {
                  ev.preventDefault();
                  select(v.index);
                  const native = nativeMenu([
                    { id: 'open', label: e.type === 'dir' ? 'Open' : 'Preview', run: () => open(e) },
                    ...(props.onHistory ? [{ id: 'history', label: 'History', run: () => props.onHistory!(e) }] : []),
                    'separator',
                    { id: 'restore', label: 'Restore…', run: () => props.onRestore([e.path], e.name) },
                    { id: 'export', label: 'Export as zip…', run: () => props.onExport([e.path], e.name) },
                  ]);
                  if (!native) setMenuOpen(true);
                }}
                onDoubleClick={() => open(e)}
              >
                <span className="name">
                  {e.type === 'dir' ? <Folder size={16} aria-hidden className="ic-dir" /> : e.type === 'symlink' ? <Link2 size={16} aria-hidden /> : <File size={16} aria-hidden />}
                  <span className="label">{e.name}</span>
                </span>
                <span className="num">{e.type === 'file' ? formatBytes(e.size) : e.type === 'dir' ? '—' : ''}</span>
                <span className="date">{formatDate(e.mtimeMs)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

/** A row whose page has not arrived yet: it holds its place (and the selection) until it does. */
function PlaceholderRow(props: { index: number; start: number; selected: boolean }) {
  return (
    <div
      id={`row-${props.index}`}
      role="option"
      aria-selected={props.selected}
      aria-busy
      className={`row placeholder${props.selected ? ' selected' : ''}`}
      style={{ transform: `translateY(${props.start}px)`, height: ROW }}
    >
      <span className="name">
        <span className="label muted">Loading…</span>
      </span>
    </div>
  );
}

/**
 * The selected entry's actions: from this button, a right click on a row, or
 * the context-menu key (Shift+F10) in the list.
 */
function EntryMenu(props: { entry: Entry; open: boolean; onOpenChange: (open: boolean) => void; onOpen: () => void; onRestore: () => void; onExport: () => void; onHistory?: () => void }) {
  const { entry, onOpen, onRestore, onExport } = props;
  return (
    <Menu.Root open={props.open} onOpenChange={props.onOpenChange} modal={false}>
      <Menu.Trigger asChild>
        <button type="button" aria-label={`Actions for ${entry.name}`}>
          <MoreHorizontal size={16} aria-hidden /> Actions
        </button>
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content className="menu" align="end" sideOffset={4}>
          <Menu.Item className="menu-item" onSelect={onOpen}>
            {entry.type === 'dir' ? 'Open' : 'Preview'}
          </Menu.Item>
          {props.onHistory && (
            <Menu.Item className="menu-item" onSelect={props.onHistory}>
              History
            </Menu.Item>
          )}
          <Menu.Item className="menu-item" onSelect={onRestore}>
            Restore…
          </Menu.Item>
          <Menu.Item className="menu-item" onSelect={onExport}>
            Export as zip…
          </Menu.Item>
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}
