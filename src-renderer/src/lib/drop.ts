/**
 * What dropping things on the window does, kept apart from the component so
 * it is tested alone.
 *
 * - A folder becomes a project and is backed up; a folder that already is a
 *   project's folder gets a new snapshot of that project.
 * - A file is not a project on its own: the folder that holds it is backed up
 *   instead (as a new project, or again), and the page says so.
 * - Several items from one folder back it up once.
 * - A browser cannot tell where a dropped item is on disk (only the desktop
 *   app can, through `webUtils.getPathForFile` in the preload), so there the
 *   page asks for the path instead.
 */

/** One item dropped on the window, as the page can see it. */
export interface DroppedItem {
  name: string;
  /** Where it is on disk; null in a browser, which cannot tell. */
  path: string | null;
  /** From the drag's file-system entry; null when the browser does not say. */
  isFolder: boolean | null;
}

export interface DropBackup {
  sourcePath: string;
  /** The existing project this folder already is. */
  project?: string;
  /** What will happen, in a sentence. */
  note: string;
}

export interface DropPlan {
  backups: DropBackup[];
  problems: string[];
}

export const NO_PATHS_IN_BROWSER = 'This browser cannot tell where dropped items are on your computer. Type the folder’s full path in the field above instead (dropping works in the desktop app).';

export function planDrop(items: readonly DroppedItem[], projects: readonly { name: string; sourcePath: string }[]): DropPlan {
  const backups: DropBackup[] = [];
  const problems: string[] = [];
  const planned = new Set<string>();
  const known = new Map(projects.map((p) => [withoutTrailingSeparator(p.sourcePath), p.name]));
  for (const item of items) {
    if (item.path === null || item.path === '') {
      if (!problems.includes(NO_PATHS_IN_BROWSER)) problems.push(NO_PATHS_IN_BROWSER);
      continue;
    }
    const isFile = item.isFolder === false;
    const folder = withoutTrailingSeparator(isFile ? parentFolder(item.path) : item.path);
    if (planned.has(folder)) continue;
    planned.add(folder);
    const project = known.get(folder);
    backups.push({ sourcePath: folder, ...(project !== undefined ? { project } : {}), note: noteFor(item.name, isFile, folder, project) });
  }
  return { backups, problems };
}

function noteFor(name: string, isFile: boolean, folder: string, project: string | undefined): string {
  if (!isFile) return project === undefined ? `${folder} becomes a new project and is backed up.` : `${folder} is already the project “${project}”: taking a new snapshot.`;
  const holder = `${name} is a file, so the folder that holds it, ${folder}`;
  return project === undefined ? `${holder}, becomes a new project and is backed up.` : `${holder} (the project “${project}”), gets a new snapshot.`;
}

/** The folder that holds `path`, for '/'- and '\'-separated paths ('/a/b.txt' → '/a', 'C:\x.txt' → 'C:\'). */
export function parentFolder(path: string): string {
  const trimmed = withoutTrailingSeparator(path);
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  if (cut < 0) return trimmed;
  const head = trimmed.slice(0, cut);
  return head === '' || /^[A-Za-z]:$/.test(head) ? trimmed.slice(0, cut + 1) : head;
}

/** '/a/b/' → '/a/b'; a root ('/', 'C:\') stays as it is. */
export function withoutTrailingSeparator(path: string): string {
  let end = path.length;
  while (end > 1 && (path[end - 1] === '/' || path[end - 1] === '\\') && !/^[A-Za-z]:$/.test(path.slice(0, end - 1))) end--;
  return path.slice(0, end);
}

/** The parts of a DataTransfer this reads (the DOM's own, in the page). */
export interface DropData {
  readonly items?: ArrayLike<{ kind: string; getAsFile(): File | null; webkitGetAsEntry?(): { isDirectory: boolean } | null }>;
  readonly files: ArrayLike<File>;
}

/**
 * The dropped items of a drop event. Must run inside the event handler: the
 * browser empties the DataTransfer once the handler returns.
 */
export function readDrop(data: DropData, pathForFile?: (file: File) => string): DroppedItem[] {
  const pathOf = (f: File) => (pathForFile ? pathForFile(f) || null : null);
  const items = data.items ? Array.from(data.items).filter((i) => i.kind === 'file') : [];
  if (items.length === 0) return Array.from(data.files, (f) => ({ name: f.name, path: pathOf(f), isFolder: null }));
  const out: DroppedItem[] = [];
  for (const item of items) {
    const file = item.getAsFile();
    if (!file) continue;
    const entry = item.webkitGetAsEntry?.() ?? null;
    out.push({ name: file.name, path: pathOf(file), isFolder: entry ? entry.isDirectory : null });
  }
  return out;
}
