/**
 * The snapshot manifest: the small blob that makes a root tree a snapshot.
 * Stored as UTF-8 JSON with a fixed key order, so the same manifest always
 * gives the same bytes. Decoding treats the bytes as untrusted and accepts
 * exactly the documented shape.
 *
 * Versions: 1 has no `figures`; 2 (written since) adds them, so a catalog
 * rebuilt from the packs gives each snapshot its figures back, and the
 * catalog checkpoint need not be rewritten after every backup
 * (heal/catalog-heal.ts). Both are read.
 */
import { VaultError } from '../errors.ts';

export interface SnapshotCounts {
  files: number;
  dirs: number;
  symlinks: number;
  /** Sum of file sizes. */
  bytes: number;
}

/** Something left out of, or uncertain in, the snapshot. `path` is relative to the source, '/'-separated. */
export interface SnapshotWarning {
  path: string;
  message: string;
}

/**
 * What the backup that made the snapshot did, as of just before its manifest
 * was stored (the manifest's own sealed blob is not in the byte figures: a
 * rebuild adds it from the pack, which knows its size).
 */
export interface SnapshotFigures {
  /** Plaintext bytes of blobs that were new to the vault. */
  newBytes: number;
  /** Sealed bytes those blobs added to packs. */
  storedBytes: number;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  /** From the start of the run to its manifest: what the catalog and the summary show too. */
  durationMs: number;
}

export interface SnapshotManifest {
  v: 1 | 2;
  project: string;
  /** The source folder as the user chose it. */
  sourcePath: string;
  hostname: string;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  /** Root tree blob id, 64 lowercase hex digits. */
  tree: string;
  /** The snapshot this one was compared against for change detection, 64 hex digits. */
  parent?: string;
  counts: SnapshotCounts;
  warnings: SnapshotWarning[];
  /** Version 2 only, where it is required. */
  figures?: SnapshotFigures;
}

const HEX_ID = /^[0-9a-f]{64}$/;
const KEYS = new Set(['v', 'project', 'sourcePath', 'hostname', 'createdAt', 'tree', 'parent', 'counts', 'warnings', 'figures']);
const COUNT_KEYS = ['files', 'dirs', 'symlinks', 'bytes'] as const;
const FIGURE_KEYS = ['newBytes', 'storedBytes', 'filesNew', 'filesChanged', 'filesUnmodified', 'durationMs'] as const;
const LATEST_VERSION = 2;

export function encodeManifest(m: SnapshotManifest): Uint8Array {
  const problem = manifestProblem(m);
  if (problem !== undefined) throw new VaultError('internal', `Cannot record the snapshot manifest: ${problem}.`);
  // Built key by key so the order, and therefore the bytes, never depend on how `m` was assembled.
  const canonical = {
    v: m.v,
    project: m.project,
    sourcePath: m.sourcePath,
    hostname: m.hostname,
    createdAt: m.createdAt,
    tree: m.tree,
    ...(m.parent === undefined ? {} : { parent: m.parent }),
    counts: { files: m.counts.files, dirs: m.counts.dirs, symlinks: m.counts.symlinks, bytes: m.counts.bytes },
    warnings: m.warnings.map((w) => ({ path: w.path, message: w.message })),
    ...(m.figures === undefined ? {} : { figures: Object.fromEntries(FIGURE_KEYS.map((k) => [k, m.figures![k]])) }),
  };
  return Buffer.from(JSON.stringify(canonical), 'utf8');
}

export function decodeManifest(bytes: Uint8Array, label?: string): SnapshotManifest {
  const which = label === undefined ? 'A snapshot manifest' : `Snapshot ${label.slice(0, 12)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new VaultError('damaged-data', `${which} in the vault is damaged: it is not readable JSON.`);
  }
  if (isRecord(parsed) && typeof parsed.v === 'number' && Number.isSafeInteger(parsed.v) && parsed.v > LATEST_VERSION) {
    throw new VaultError('not-a-vault', `${which} was written by a newer version of MMRY Vault (manifest version ${parsed.v}); update the app to read it.`);
  }
  const problem = manifestProblem(parsed);
  if (problem !== undefined) throw new VaultError('damaged-data', `${which} in the vault is damaged: ${problem}.`);
  return parsed as SnapshotManifest;
}

function manifestProblem(x: unknown): string | undefined {
  if (!isRecord(x)) return 'it is not an object';
  for (const key of Object.keys(x)) if (!KEYS.has(key)) return `it has an unknown field "${key}"`;
  if (x.v !== 1 && x.v !== 2) return 'its version is not 1 or 2';
  if ((x.v === 2) !== (x.figures !== undefined)) return x.v === 2 ? 'it has no figures' : 'a version 1 manifest has no figures';
  if (x.figures !== undefined) {
    const figures = x.figures;
    if (!isRecord(figures) || Object.keys(figures).length !== FIGURE_KEYS.length) return 'its figures are malformed';
    for (const key of FIGURE_KEYS) if (!isCount(figures[key])) return `its ${key} figure is malformed`;
  }
  for (const key of ['project', 'sourcePath', 'hostname'] as const) {
    if (typeof x[key] !== 'string') return `its ${key} is not text`;
  }
  if (!isCount(x.createdAt)) return 'its creation time is not a valid time';
  if (typeof x.tree !== 'string' || !HEX_ID.test(x.tree)) return 'its tree id is malformed';
  if (x.parent !== undefined && (typeof x.parent !== 'string' || !HEX_ID.test(x.parent))) return 'its parent id is malformed';
  const counts = x.counts;
  if (!isRecord(counts) || Object.keys(counts).length !== COUNT_KEYS.length) return 'its counts are malformed';
  for (const key of COUNT_KEYS) if (!isCount(counts[key])) return `its ${key} count is malformed`;
  if (!Array.isArray(x.warnings)) return 'its warnings are not a list';
  for (const w of x.warnings) {
    if (!isRecord(w) || Object.keys(w).length !== 2 || typeof w.path !== 'string' || typeof w.message !== 'string') {
      return 'a warning is malformed';
    }
  }
  return undefined;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
