/**
 * The Statistics screen's numbers, from `vault.stats`, kept out of the
 * component so they are tested alone: growth over time, the codec mix, and
 * names a person reads for the engine's strategies and file type keys.
 */
import type { CallResult } from '../../../src-shared/contract.ts';

type Stats = CallResult<'vault.stats'>;

export interface GrowthPoint {
  at: number;
  /** Every snapshot so far, counted as a full copy of its files. */
  originalBytes: number;
  /** What the vault's packs hold after those snapshots. */
  storedBytes: number;
}

/** Running totals after each snapshot, oldest first. */
export function growthSeries(growth: Stats['growth']): GrowthPoint[] {
  let originalBytes = 0;
  let storedBytes = 0;
  return [...growth]
    .sort((a, b) => a.at - b.at)
    .map((g) => {
      originalBytes += g.totalBytes;
      storedBytes += g.storedBytes;
      return { at: g.at, originalBytes, storedBytes };
    });
}

export interface CodecShare {
  strategy: string;
  label: string;
  blobs: number;
  bytesIn: number;
  bytesOut: number;
  /** Of all bytes the codecs were given, 0..1. */
  share: number;
}

/** How much data went through each codec, largest first. */
export function codecMix(fileTypes: Stats['fileTypes']): CodecShare[] {
  const by = new Map<string, { blobs: number; bytesIn: number; bytesOut: number }>();
  for (const t of fileTypes) {
    const row = by.get(t.strategy) ?? { blobs: 0, bytesIn: 0, bytesOut: 0 };
    row.blobs += t.samples;
    row.bytesIn += t.bytesIn;
    row.bytesOut += t.bytesOut;
    by.set(t.strategy, row);
  }
  const total = [...by.values()].reduce((n, r) => n + r.bytesIn, 0);
  return [...by]
    .map(([strategy, r]) => ({ strategy, label: strategyLabel(strategy), ...r, share: total > 0 ? r.bytesIn / total : 0 }))
    .sort((a, b) => b.bytesIn - a.bytesIn || a.strategy.localeCompare(b.strategy));
}

const STRATEGY_LABELS: Record<string, string> = {
  store: 'stored as is',
  zstd: 'zstd',
  'shuffle4-zstd': 'zstd after a 4-byte shuffle',
  'shuffle2-zstd': 'zstd after a 2-byte shuffle',
};

export function strategyLabel(strategy: string): string {
  return STRATEGY_LABELS[strategy] ?? strategy;
}

/** What the engine will do with the next blob of a type: its choice, or still trying. */
export function choiceLabel(choice: string | null): string {
  return choice === null ? 'still comparing codecs' : strategyLabel(choice);
}

const MAGIC_LABELS: Record<string, string> = { none: '' };
const INTERNAL_KEYS: Record<string, string> = { tree: 'folder listings', snapshot: 'snapshot manifests' };

/** '.ts|none' → '.ts', '.bin|gzip' → '.bin (gzip)', '|png' → 'no extension (png)', 'tree' → 'folder listings'. */
export function typeLabel(typeKey: string): string {
  const bar = typeKey.indexOf('|');
  if (bar < 0) return INTERNAL_KEYS[typeKey] ?? typeKey;
  const ext = typeKey.slice(0, bar) || 'no extension';
  const magicKey = typeKey.slice(bar + 1);
  const magic = MAGIC_LABELS[magicKey] ?? magicKey;
  return magic ? `${ext} (${magic})` : ext;
}

/** A share as a whole percentage, '<1%' for a small non-zero one. */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return '0%';
  const p = (part / whole) * 100;
  return p > 0 && p < 1 ? '<1%' : `${Math.round(p)}%`;
}
