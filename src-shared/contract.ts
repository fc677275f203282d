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
});

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
  /** Ask a long operation to stop; it ends with op.finished { outcome: 'cancelled' }. */
  'op.cancel': {
    args: z.object({ opId: z.string().min(1).max(64) }).strict(),
    result: z.object({ cancelled: z.boolean() }),
  },
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
  'op.progress': OpProgress,
  'op.finished': z.object({
    opId: z.string(),
    kind: z.string(),
    outcome: z.enum(['done', 'failed', 'cancelled']),
    error: z.object({ kind: z.string(), message: z.string() }).nullable(),
    summary: z.record(z.string(), z.unknown()).nullable(),
  }),
  'vault.locked': z.object({ reason: z.enum(['user', 'idle', 'suspend', 'screen-lock']) }),
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
