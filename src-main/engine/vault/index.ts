/**
 * The vault: the engine's front door. `Vault` opens or creates a vault
 * directory; `backup`, `restore`, `listPath`, `diffSnapshots` and
 * `vaultStats` are the operations the CLI and the desktop app drive.
 *
 * Terms (see ../README.md for the vault's nouns):
 * - a *run* is one backup or restore; it owns a PackSink and a BlobWriter
 *   (backup) or a BlobFetcher (restore) for its duration;
 * - the *write lock* is held for a whole run that writes, never for reads.
 *
 * Invariants: a snapshot row is committed only after every pack it needs is
 * sealed and fsynced; a restore writes only bytes that passed
 * authentication and the id check, and only inside its target.
 */
export { Vault, PACKS_DIR, splitPath } from './vault.ts';
export type { ProjectInfo, VaultOptions } from './vault.ts';
export { backup, prepareSource } from './backup.ts';
export type { BackupOptions, BackupProgress, BackupSummary, PreparedSource } from './backup.ts';
export { restore, planRestore } from './restore-run.ts';
export type { RestoreOptions, RestoreProgress, RestoreSummary } from './restore-run.ts';
export { diffSnapshots, findInFolder, listPage, listPath, vaultStats } from './browse.ts';
export type { DiffEntry, ListedEntry, SnapshotDiff, VaultStats } from './browse.ts';
export { defaultVaultDir, userDataDir } from './location.ts';
export { readFileRange, fileContent, MAX_RANGE_BYTES } from './preview.ts';
export type { FileRange } from './preview.ts';
export { exportZip } from './export-zip.ts';
export { fileHistory } from './history.ts';
export type { FileHistory, FileVersion } from './history.ts';
export type { ExportOptions, ExportSummary } from './export-zip.ts';
