import { describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { decodeManifest, encodeManifest } from './manifest.ts';
import type { SnapshotManifest } from './manifest.ts';

const manifest: SnapshotManifest = {
  v: 2,
  project: 'website',
  sourcePath: '/home/me/website',
  hostname: 'laptop',
  createdAt: 1_760_000_000_000,
  tree: 'ab'.repeat(32),
  parent: 'cd'.repeat(32),
  counts: { files: 3, dirs: 2, symlinks: 1, bytes: 12345 },
  warnings: [{ path: 'sock', message: 'Skipped: a socket cannot be backed up.' }],
  figures: { newBytes: 9000, storedBytes: 4000, filesNew: 2, filesChanged: 1, filesUnmodified: 0, durationMs: 250 },
};
const { figures: _figures, ...version1 } = { ...manifest, v: 1 as const };

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
    reordered.figures = Object.fromEntries(Object.entries(manifest.figures!).reverse()) as unknown as typeof manifest.figures;
    expect(Object.keys(reordered)[0]).toBe('figures');
    expect(Buffer.from(encodeManifest(reordered))).toEqual(Buffer.from(bytes));
    const { parent: _parent, ...first } = manifest;
    expect(decodeManifest(encodeManifest(first))).toEqual(first);
  });

  it('still reads version 1, which has no figures', () => {
    expect(decodeManifest(Buffer.from(JSON.stringify(version1)))).toEqual(version1);
    expect(decodeManifest(encodeManifest(version1))).toEqual(version1);
  });

  it('tells a manifest of a newer version from a damaged one', () => {
    let err: unknown;
    try {
      decodeManifest(Buffer.from(JSON.stringify({ ...manifest, v: 3, more: 'fields' })), 'ab12cd34ef56ff');
    } catch (e) {
      err = e;
    }
    expect(isVaultError(err, 'not-a-vault') && err.message).toBe('Snapshot ab12cd34ef56 was written by a newer version of MMRY Vault (manifest version 3); update the app to read it.');
  });

  it('rejects anything but the documented shape', () => {
    expect(damaged('not json')).toBe(true);
    expect(damaged(Buffer.from([0x22, 0xff, 0x22]))).toBe(true); // "\xff": not UTF-8
    expect(damaged([])).toBe(true);
    expect(damaged({ ...manifest, v: 0 })).toBe(true);
    expect(damaged({ ...manifest, v: '2' })).toBe(true);
    expect(damaged({ ...manifest, v: 1 })).toBe(true); // figures came with version 2
    expect(damaged({ ...version1, v: 2 })).toBe(true); // and it needs them
    expect(damaged({ ...manifest, figures: { ...manifest.figures, durationMs: -1 } })).toBe(true);
    expect(damaged({ ...manifest, figures: { ...manifest.figures, extra: 1 } })).toBe(true);
    expect(damaged({ ...manifest, figures: [] })).toBe(true);
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
