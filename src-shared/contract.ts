/**
 * The contract: every call the UI can make to the vault and every event the
 * vault can send back, with schemas. It is the single source of truth for
 * both transports (Electron IPC through the preload, and the loopback
 * WebSocket of `mmry serve`): the main-side dispatcher, the preload bridge and
 * the renderer's client are all typed from `calls` and `events` below, and
 * main validates every argument against `args` at run time.
 *
 * Adding a call means adding an entry here and its handler in
 * `src-main/ipc/handlers.ts`; nothing else changes.
 *
 * Long operations (backup, restore, verify...) answer `{ opId }` at once, then
 * report through `op.progress` events and end with one `op.finished` event;
 * `op.cancel` stops them.
 *
 * This module is shared by main and renderer: it imports no Node, Electron or
 * DOM API.
 */
import { z } from 'zod';

const empty = z.object({}).strict();
const opStarted = z.object({ opId: z.string() });
const password = z.string().min(1, 'A password is required.').max(1024);

export const ProjectSummary = z.object({
  name: z.string(),
  sourcePath: z.string(),
  snapshotCount: z.number(),
  lastSnapshotAt: z.number().nullable(),
  totalBytes: z.number(),
  /**
   * From the newest verify or repair: 'at-risk' when some of its files need
   * damaged data that repair can rebuild, 'damaged' when some cannot be.
   */
  health: z.enum(['unchecked', 'healthy', 'at-risk', 'damaged']),
});

export const SnapshotSummary = z.object({
  id: z.string(),
  project: z.string(),
  createdAt: z.number(),
  files: z.number(),
  dirs: z.number(),
  totalBytes: z.number(),
  newBytes: z.number(),
  storedBytes: z.number(),
  filesNew: z.number(),
  filesChanged: z.number(),
  warnings: z.number(),
  note: z.string().nullable(),
  tags: z.array(z.string()),
});

const snapshotId = z.string().regex(/^[0-9a-f]{64}$/, 'A snapshot id is 64 hex digits.');
const snapshotPath = z.string().max(4096);
/** A folder of a snapshot, in one of the listing orders (src-shared/listing.ts). */
const folderInOrder = {
  snapshotId,
  path: snapshotPath,
  sort: z.enum(['name', 'size', 'date']).optional(),
  dir: z.enum(['asc', 'desc']).optional(),
};
const absolutePath = z.string().min(1).max(4096);

export const ListedEntry = z.object({
  name: z.string(),
  path: z.string(),
  type: z.enum(['file', 'dir', 'symlink']),
  size: z.number(),
  mtimeMs: z.number(),
  target: z.string().optional(),
});

export const DiffEntry = z.object({
  path: z.string(),
  change: z.enum(['added', 'removed', 'changed', 'type-changed']),
  type: z.enum(['file', 'dir', 'symlink']),
  sizeBefore: z.number().nullable(),
  sizeAfter: z.number().nullable(),
});

export const SearchHit = z.object({
  project: z.string(),
  path: z.string(),
  type: z.enum(['file', 'dir', 'symlink']),
  size: z.number(),
  /** The newest snapshot that holds this path. */
  snapshotId: z.string(),
  createdAt: z.number(),
  /** How many snapshots hold it. */
  versions: z.number(),
});

export const ActivityEntry = z.object({
  id: z.number(),
  at: z.number(),
  kind: z.string(),
  outcome: z.enum(['done', 'failed', 'cancelled']),
  project: z.string().nullable(),
  detail: z.string(),
});

export const VaultStatistics = z.object({
  projects: z.number(),
  snapshots: z.number(),
  packs: z.number(),
  /** Sealed blobs in the packs (a bundle counts once). */
  blobs: z.number(),
  /** Unique chunks of file content, alone or in bundles: what dedup works on. */
  chunks: z.number(),
  originalBytes: z.number(),
  uniqueBytes: z.number(),
  storedBytes: z.number(),
  dedupSavedBytes: z.number(),
  compressionSavedBytes: z.number(),
  fileTypes: z.array(
    z.object({ typeKey: z.string(), strategy: z.string(), samples: z.number(), bytesIn: z.number(), bytesOut: z.number(), mbPerSecond: z.number().nullable() }),
  ),
  /** Per snapshot, oldest first: for growth charts. */
  growth: z.array(z.object({ at: z.number(), project: z.string(), totalBytes: z.number(), storedBytes: z.number() })),
  /** Reed-Solomon parity kept beside the packs, so the vault can heal itself. */
  parityBytes: z.number(),
  /**
   * Per file type, what the engine now does with its next blob: `choice` is the
   * strategy it settled on, or null while it still tries every codec.
   */
  learned: z.array(z.object({ typeKey: z.string(), samples: z.number(), choice: z.string().nullable(), bytesIn: z.number(), bytesOut: z.number() })),
});

export const ConflictChoice = z.enum(['skip', 'overwrite', 'keep-both']);

/** The most entries one page of `snapshot.list-dir` holds. */
export const MAX_LIST_PAGE = 5000;

/** The most bytes one `snapshot.read-file` call returns. */
export const MAX_READ_BYTES = 4 << 20;

// Settings, keychain and locking: schemas
/**
 * The user's preferences for this computer, kept in a settings file in the
 * app's data folder (never in the vault). 0 minutes or 0 days means never.
 */
export const Preferences = z.object({
  /** Lock after this many minutes with no calls from the page and no running job; 0 = never. */
  autoLockMinutes: z.number().int('Whole minutes only.').min(0).max(1440, 'At most 1440 minutes (a day).'),
  lockOnSuspend: z.boolean(),
  lockOnScreenLock: z.boolean(),
  /** A system notification when a long job ends while the window is not focused (desktop app). */
  notifications: z.boolean(),
  /** Verify the vault when the last verify is this many days old; 0 = never. */
  verifyEveryDays: z.number().int('Whole days only.').min(0).max(365, 'At most 365 days.'),
});

export const DEFAULT_PREFERENCES: z.output<typeof Preferences> = {
  autoLockMinutes: 15,
  lockOnSuspend: true,
  lockOnScreenLock: true,
  notifications: true,
  verifyEveryDays: 30,
};

export const ContextMenuItem = z.union([
  z.object({ id: z.string().min(1).max(64), label: z.string().min(1).max(200), enabled: z.boolean().optional() }).strict(),
  z.object({ separator: z.literal(true) }).strict(),
]);
// End of settings, keychain and locking: schemas

// Health, snapshot notes and file history: schemas
export const Damage = z.object({
  /** The vault file, relative to the vault folder. */
  where: z.string(),
  what: z.string(),
  repairable: z.boolean(),
});

/** Per project: files of its snapshots that need damaged data (at risk), and those beyond repair (lost). */
export const ProjectHealth = z.object({
  project: z.string(),
  snapshots: z.number(),
  atRisk: z.number(),
  lost: z.number(),
  examples: z.array(z.object({ snapshot: z.string(), path: z.string(), lost: z.boolean() })),
});

export const HealthReport = z.object({
  healthy: z.boolean(),
  readData: z.boolean(),
  damage: z.array(Damage),
  projects: z.array(ProjectHealth),
  unprotectedPacks: z.number(),
  parityOff: z.boolean(),
  headerRepaired: z.string().nullable(),
  packsChecked: z.number(),
  bytesChecked: z.number(),
  blobsChecked: z.number(),
});

/** One verify or repair run, as recorded when it ended. A repair's report is the check made after it. */
export const HealthCheck = z.object({
  id: z.number(),
  at: z.number(),
  kind: z.enum(['verify', 'repair']),
  readData: z.boolean(),
  healthy: z.boolean(),
  report: HealthReport,
  /** Repair only: what it did, one sentence each. */
  actions: z.array(z.string()),
  /** Repair only: per project, what was at risk when it started. */
  before: z.array(ProjectHealth),
});

export const FileVersion = z.object({
  number: z.number(),
  change: z.enum(['added', 'changed', 'returned']),
  type: z.enum(['file', 'dir', 'symlink']),
  size: z.number(),
  mtimeMs: z.number(),
  snapshotId: z.string(),
  createdAt: z.number(),
  lastSnapshotId: z.string(),
  lastAt: z.number(),
  snapshots: z.number(),
  sameAs: z.number().nullable(),
});

export const MAX_TAGS = 12;
const tag = z
  .string()
  .trim()
  .min(1, 'A tag cannot be empty.')
  .max(40, 'A tag is at most 40 characters.')
  .regex(/^[^,\n]+$/, 'A tag cannot contain a comma or a line break.');
// End of health, snapshot notes and file history: schemas

export const calls = {
  /** Who is answering: version, platform and which transport carries the call. */
  'app.info': {
    args: empty,
    result: z.object({
      name: z.string(),
      version: z.string(),
      platform: z.string(),
      nodeVersion: z.string(),
      transport: z.enum(['electron', 'serve']),
      /** Native dialogs (folder picker) are available: Electron only. */
      nativeDialogs: z.boolean(),
      /** `app.show-folder` can open a folder in the OS file manager: Electron only. */
      openFolders: z.boolean(),
    }),
  },
  /** Where the vault is, whether it exists yet, and whether it is unlocked. */
  'vault.status': {
    args: empty,
    result: z.object({ path: z.string(), exists: z.boolean(), unlocked: z.boolean() }),
  },
  'vault.create': {
    args: z.object({ password }).strict(),
    result: z.object({ path: z.string() }),
  },
  'vault.unlock': {
    args: z.object({ password }).strict(),
    result: z.object({ path: z.string() }),
  },
  'vault.lock': {
    args: empty,
    result: z.object({}),
  },
  'projects.list': {
    args: empty,
    result: z.array(ProjectSummary),
  },
  'snapshots.list': {
    args: z.object({ project: z.string().min(1).max(200).optional() }).strict(),
    result: z.array(SnapshotSummary),
  },
  /** Snapshot a folder as a project (new, or again). Long operation. */
  'backup.start': {
    args: z.object({ sourcePath: z.string().min(1).max(4096), project: z.string().min(1).max(200).optional() }).strict(),
    result: opStarted,
  },
  /**
   * The entries of one folder of a snapshot ('' is its root), in the order of
   * src-shared/listing.ts for `sort` and `dir` (default name, ascending). With
   * `limit`, one page of them from `offset`: a huge folder's first rows travel
   * without the rest. Without it, all of them. `total` counts the whole folder.
   */
  'snapshot.list-dir': {
    args: z
      .object({
        ...folderInOrder,
        offset: z.number().int().min(0).optional(),
        limit: z.number().int().min(1).max(MAX_LIST_PAGE, `A page holds at most ${MAX_LIST_PAGE} entries.`).optional(),
      })
      .strict(),
    result: z.object({ path: z.string(), entries: z.array(ListedEntry), total: z.number(), offset: z.number() }),
  },
  /** Type-ahead over a whole folder in one order: the row of the next entry after `from` (-1: the top) whose name starts with `prefix`, wrapping; null when none. */
  'snapshot.find-in-dir': {
    args: z
      .object({
        ...folderInOrder,
        from: z.number().int().min(-1),
        prefix: z.string().min(1).max(255),
      })
      .strict(),
    result: z.object({ row: z.number().int().nullable() }),
  },
  /** A bounded byte range of a file in a snapshot, as base64; large files are read range by range. */
  'snapshot.read-file': {
    args: z.object({ snapshotId, path: snapshotPath.min(1), offset: z.number().int().min(0), length: z.number().int().min(0).max(MAX_READ_BYTES) }).strict(),
    result: z.object({ size: z.number(), offset: z.number(), base64: z.string() }),
  },
  /** What changed from one snapshot to another (entries capped at `limit`). */
  'snapshots.diff': {
    args: z.object({ from: snapshotId, to: snapshotId, limit: z.number().int().min(1).max(100_000).optional() }).strict(),
    result: z.object({
      from: z.string(),
      to: z.string(),
      added: z.number(),
      removed: z.number(),
      changed: z.number(),
      sizeDelta: z.number(),
      entries: z.array(DiffEntry),
      truncated: z.boolean(),
    }),
  },
  /** Files and folders whose path contains `query`, across every snapshot of every project. */
  'search.paths': {
    args: z.object({ query: z.string().max(1024), limit: z.number().int().min(1).max(1000).optional() }).strict(),
    result: z.object({ results: z.array(SearchHit), total: z.number(), more: z.boolean(), tookMs: z.number() }),
  },
  /** How far the search index is being built (the first search after unlock, or after a backup); null when no build is under way. */
  'search.status': {
    args: empty,
    result: z.object({ building: z.object({ indexed: z.number(), snapshots: z.number(), folders: z.number(), paths: z.number() }).nullable() }),
  },
  /** Restore a snapshot, or some of its paths, into a folder. Long operation. */
  'restore.start': {
    args: z.object({ snapshotId, paths: z.array(snapshotPath.min(1)).max(1000).optional(), target: absolutePath, conflict: ConflictChoice }).strict(),
    result: opStarted,
  },
  /** Export a snapshot, or some of its paths, as a .zip file. Long operation. */
  'export.start': {
    args: z.object({ snapshotId, paths: z.array(snapshotPath.min(1)).max(1000).optional(), target: absolutePath }).strict(),
    result: opStarted,
  },
  'vault.stats': {
    args: empty,
    result: VaultStatistics,
  },
  /** The activity log, newest first. */
  'activity.list': {
    args: z.object({ limit: z.number().int().min(1).max(5000).optional() }).strict(),
    result: z.array(ActivityEntry),
  },
  /** Electron only: the native folder picker. `path` is null when the user cancels. */
  'dialog.pick-folder': {
    args: z.object({ title: z.string().max(200).optional() }).strict(),
    result: z.object({ path: z.string().nullable() }),
  },
  /**
   * Electron only: opens a folder in the OS file manager. Only a project's
   * source folder or a folder this app restored into, and only an existing
   * folder: never a file or a URL.
   */
  'app.show-folder': {
    args: z.object({ path: absolutePath }).strict(),
    result: z.object({ shown: z.literal(true) }),
  },
  /** Ask a long operation to stop; it ends with op.finished { outcome: 'cancelled' }. */
  'op.cancel': {
    args: z.object({ opId: z.string().min(1).max(64) }).strict(),
    result: z.object({ cancelled: z.boolean() }),
  },
  // Settings, keychain and locking
  'settings.get': {
    args: empty,
    result: Preferences,
  },
  /** Changes some preferences; answers all of them as saved. */
  'settings.set': {
    args: Preferences.partial().strict(),
    result: Preferences,
  },
  /** Where the vault is and where the default one would be (the app's data folder). */
  'vault.location': {
    args: empty,
    result: z.object({ path: z.string(), defaultPath: z.string(), isDefault: z.boolean() }),
  },
  /**
   * Works on the vault in another folder (an external drive), or on the default
   * one when `path` is null; the choice is remembered. The folder must be an
   * existing vault, an empty folder, or a new folder inside an existing one.
   */
  'vault.choose': {
    args: z.object({ path: absolutePath.nullable() }).strict(),
    result: z.object({ path: z.string(), exists: z.boolean(), unlocked: z.boolean() }),
  },
  /** Whether this computer can remember the vault password (OS keychain) and whether it does. */
  'keychain.status': {
    args: empty,
    result: z.object({
      available: z.boolean(),
      /** Why it is unavailable, in plain words; null when available. */
      reason: z.string().nullable(),
      remembered: z.boolean(),
      /** True once per app run, before any lock: the page may unlock with the saved password on its own. */
      unlockOnStart: z.boolean(),
    }),
  },
  /** Saves the password, encrypted by the OS keychain, after checking that it opens this vault. */
  'keychain.remember': {
    args: z.object({ password }).strict(),
    result: z.object({ remembered: z.literal(true) }),
  },
  /** Unlocks with the saved password; `problem` says in plain words why it could not (then type the password). */
  'keychain.unlock': {
    args: empty,
    result: z.object({ unlocked: z.boolean(), problem: z.string().nullable() }),
  },
  'keychain.forget': {
    args: empty,
    result: z.object({ forgotten: z.boolean() }),
  },
  /** Electron only: a native context menu at the pointer; `chosen` is the picked item's id, null when dismissed. */
  'app.context-menu': {
    args: z.object({ items: z.array(ContextMenuItem).min(1).max(40) }).strict(),
    result: z.object({ chosen: z.string().nullable() }),
  },
  // End of settings, keychain and locking
  // Health, snapshot notes and file history
  /** When the vault was last verified, the newest check's full report, and the recent ones. */
  'health.status': {
    args: empty,
    result: z.object({ lastVerifiedAt: z.number().nullable(), latest: HealthCheck.nullable(), history: z.array(HealthCheck.omit({ report: true, before: true })) }),
  },
  /** Verify the vault: quick (every stripe checksum) or with `readData` (every blob authenticated). Long operation. */
  'health.verify': {
    args: z.object({ readData: z.boolean() }).strict(),
    result: opStarted,
  },
  /** Repair everything parity can rebuild, then check again. Long operation. */
  'health.repair': {
    args: empty,
    result: opStarted,
  },
  /** Sets a snapshot's note (null or blank clears it) and replaces its tags. */
  'snapshot.set-labels': {
    args: z
      .object({
        snapshotId,
        note: z.string().max(2000, 'A note is at most 2000 characters.').nullable(),
        tags: z.array(tag).max(MAX_TAGS, `At most ${MAX_TAGS} tags.`),
      })
      .strict(),
    result: z.object({ note: z.string().nullable(), tags: z.array(z.string()) }),
  },
  /** Every version of one file or folder across a project's snapshots, oldest first. */
  'file.history': {
    args: z.object({ project: z.string().min(1).max(200), path: snapshotPath.min(1) }).strict(),
    result: z.object({ project: z.string(), path: z.string(), versions: z.array(FileVersion), snapshotsChecked: z.number(), inLatest: z.boolean() }),
  },
  // End of health, snapshot notes and file history
} as const;

export const OpProgress = z.object({
  opId: z.string(),
  kind: z.string(),
  phase: z.string(),
  files: z.number(),
  filesTotal: z.number().nullable(),
  bytes: z.number(),
  bytesTotal: z.number().nullable(),
  /** Bytes per second over the last few seconds. */
  rate: z.number(),
  /** Seconds left, when it can be estimated. */
  etaSeconds: z.number().nullable(),
  current: z.string().nullable(),
});

export const events = {
  /** A long operation began (from any page, or on its own like a scheduled verify); `title` says what it is. */
  'op.started': z.object({ opId: z.string(), kind: z.string(), title: z.string().nullable() }),
  'op.progress': OpProgress,
  'op.finished': z.object({
    opId: z.string(),
    kind: z.string(),
    outcome: z.enum(['done', 'failed', 'cancelled']),
    error: z.object({ kind: z.string(), message: z.string() }).nullable(),
    summary: z.record(z.string(), z.unknown()).nullable(),
  }),
  'vault.locked': z.object({ reason: z.enum(['user', 'idle', 'suspend', 'screen-lock']) }),
  /** A command from the native app menu (Electron), for the page to carry out. */
  'app.command': z.object({ command: z.enum(['add-folder', 'search', 'projects', 'statistics', 'health', 'activity', 'lock', 'settings']) }),
} as const;

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallArgs<N extends CallName> = z.input<Calls[N]['args']>;
export type CallResult<N extends CallName> = z.output<Calls[N]['result']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

/** Error kinds that only the wire produces; the engine's own kinds travel as they are. */
export type WireErrorKind = 'invalid-request' | 'unknown-call' | 'forbidden' | 'internal' | 'transport';

export interface ContractError {
  kind: string;
  message: string;
}

/** What travels back for every call, on either transport. */
export type CallOutcome<T = unknown> = { ok: true; value: T } | { ok: false; error: ContractError };

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.hasOwn(calls, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/** The object the preload exposes as `window.mmry`, typed from the contract. */
export interface MmryBridge {
  call<N extends CallName>(name: N, args: CallArgs<N>): Promise<CallOutcome<CallResult<N>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** Electron only: the file-system path of a dropped File (webUtils.getPathForFile). */
  pathForFile?(file: unknown): string;
}
