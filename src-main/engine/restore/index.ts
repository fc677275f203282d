/**
 * Restore: putting a snapshot's entries back on disk. The vault side (reading
 * trees, fetching and opening blobs) feeds this folder plain names, metadata
 * and content chunks; this folder owns everything that touches the target.
 *
 * - **Target** (restore folder): the one directory a restore writes below.
 *   Opened with `FileRestorer.open`, symlinks in its own path resolved once.
 * - **Relative path**: a list of segments from a tree (strings, or bytes for
 *   non-UTF-8 names). Never a joined string, so no separator can sneak in.
 * - **Conflict policy**: what happens when a destination already exists:
 *   'refuse' (fail with 'target-exists'), 'overwrite' (replace a file or
 *   link; a folder is never replaced by a file), 'skip' (leave it), or
 *   'keep-both' (restore under "name (restored 2).ext"). Existing folders are
 *   always merged into; with 'skip', a file or link where a folder should be
 *   skips that whole subtree.
 * - **Portability**: names a target cannot hold (`portability.ts`), checked
 *   before writing so the user hears of them up front.
 *
 * Invariants
 * - Never escape: every write lands below the target. Each segment is
 *   re-validated (no "", ".", "..", separator or NUL; on Windows also no
 *   "\", ":", device name or trailing dot/space), and every folder on the way
 *   is checked with lstat not to be a symlink (`TargetGuard`), whether that
 *   symlink was there before or was restored earlier in the same run.
 *   Violations throw VaultError('unsafe-path') before anything is written.
 * - Never torn: files are written to a `.mmry-partial-` name, checked against
 *   the recorded size, and renamed into place; a size mismatch leaves nothing.
 * - Not durable per file: no fsync, like restic and borg; an interrupted
 *   restore is repeated, and `removeStalePartials` tidies up after it.
 */
export { DIR_CALLS_IN_FLIGHT, FileRestorer, alternativeName, nsToSeconds, removeStalePartials } from './file-restorer.ts';
export type { ConflictPolicy, FileMeta, RestoreOutcome, RestorerOptions } from './file-restorer.ts';
export { TargetGuard, joinSegment, relKey, safeJoin, segmentProblem } from './safe-path.ts';
export type { PathSegment } from './safe-path.ts';
export { PortabilityCheck, portabilityProblems, probeTarget, win32NameProblem } from './portability.ts';
export type { PortabilityProblem, PortabilityProblemKind, TargetTraits } from './portability.ts';
