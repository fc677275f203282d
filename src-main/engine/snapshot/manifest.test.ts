import { describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { decodeManifest, encodeManifest } from './manifest.ts';
import type { SnapshotManifest } from './manifest.ts';

const manifest: SnapshotManifest = {
  v: 1,
  project: 'website',
  sourcePath: '/home/me/website',
  hostname: 'laptop',
  createdAt: 1_760_000_000_000,
  tree: 'ab'.repeat(32),
  parent: 'cd'.repeat(32),
  counts: { files: 3, dirs: 2, symlinks: 1, bytes: 12345 },
  warnings: [{ path: 'sock', message: 'Skipped: a socket cannot be backed up.' }],
};

function damaged(json: unknown): boolean {
  try {
    decodeManifest(json instanceof Uint8Array ? json : Buffer.from(typeof json === 'string' ? json : JSON.stringify(json)));
  } catch (err) {
    return isVaultError(err, 'damaged-data');
  }
  return false;
}

describe('snapshot manifest', () => {
  it('round-trips with the same bytes whatever the key order', () => {
    const bytes = encodeManifest(manifest);
    expect(decodeManifest(bytes)).toEqual(manifest);
    const reordered = Object.fromEntries(Object.entries(manifest).reverse()) as unknown as SnapshotManifest;
    reordered.counts = { bytes: 12345, symlinks: 1, dirs: 2, files: 3 };
    expect(Object.keys(reordered)[0]).toBe('warnings');
    expect(Buffer.from(encodeManifest(reordered))).toEqual(Buffer.from(bytes));
    const { parent: _parent, ...first } = manifest;
    expect(decodeManifest(encodeManifest(first))).toEqual(first);
  });

  it('rejects anything but the documented shape', () => {
    expect(damaged('not json')).toBe(true);
    expect(damaged(Buffer.from([0x22, 0xff, 0x22]))).toBe(true); // "\xff": not UTF-8
    expect(damaged([])).toBe(true);
    expect(damaged({ ...manifest, v: 2 })).toBe(true);
    expect(damaged({ ...manifest, extra: 1 })).toBe(true);
    expect(damaged({ ...manifest, tree: 'AB'.repeat(32) })).toBe(true);
    expect(damaged({ ...manifest, parent: 'ab' })).toBe(true);
    expect(damaged({ ...manifest, createdAt: -1 })).toBe(true);
    expect(damaged({ ...manifest, counts: { ...manifest.counts, bytes: 1.5 } })).toBe(true);
    expect(damaged({ ...manifest, counts: { ...manifest.counts, more: 1 } })).toBe(true);
    expect(damaged({ ...manifest, warnings: [{ path: 1, message: 'x' }] })).toBe(true);
    expect(damaged({ ...manifest, hostname: null })).toBe(true);
    expect(damaged(manifest)).toBe(false);
  });
});
