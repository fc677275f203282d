/**
 * Self-healing: find every damaged byte in a vault and put it back, bit for
 * bit, from Reed-Solomon parity; rebuild the catalog from the packs.
 *
 * Terms: a *parity group* protects up to 10 sealed packs (*members*) with p
 * *parity files* (one at 10% redundancy); every file of a group (a *shard*)
 * is cut into 512-byte *stripes*, each with a CRC-32 in the group's
 * *descriptor*, and the same 1 KiB of every shard (two stripes each) forms a
 * *row*, an independent RS codeword (layout.ts, which also describes the
 * version 1 layout older groups keep). A row with at most 2p erased stripes
 * is repairable.
 *
 * What heals what:
 * - bit rot, a lost sector, a truncated or deleted pack or parity file:
 *   parity (repair.ts), within 2p erased stripes per row;
 * - a damaged or deleted catalog: rebuilt from the encrypted checkpoint and
 *   the self-describing packs (catalog-heal.ts);
 * - a damaged header copy: rewritten from the other on unlock (keys/);
 * - a blob that fails while being read (restore, browse, preview): its rows
 *   rebuilt in memory from parity, nothing written (on-read.ts).
 * Invariants: nothing repaired replaces a file until its every stripe
 * matches the descriptor; every write is atomic; wrong bytes are never
 * returned (blob reads authenticate and re-check ids regardless).
 */
export { openForHealing } from './target.ts';
export type { HealTarget } from './target.ts';
export { inspect } from './inspect.ts';
export type { Inspection } from './inspect.ts';
export { repair } from './repair.ts';
export type { RepairReport } from './repair.ts';
export { buildReport } from './report.ts';
export type { AffectedFile, Damage, VerifyReport } from './report.ts';
export { catalogProblems, rebuildCatalog, writeCheckpoint, CHECKPOINT_FILE } from './catalog-heal.ts';
export { readSettings, writeSettings } from './parity-store.ts';
export { DEFAULT_REDUNDANCY, PARITY_DIR, parityShardsFor } from './layout.ts';
export { verify } from './verify.ts';
export { checkHealth, repairActions, repairHealth } from './health.ts';
export type { HealthRepair, HealthReport, ProjectHealth } from './health.ts';
export { healTargetFor } from './target.ts';
export { healRange } from './on-read.ts';
export type { HealSource } from './on-read.ts';
