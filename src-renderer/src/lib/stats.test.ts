import { describe, expect, it } from 'vitest';
import { choiceLabel, codecMix, growthSeries, percent, typeLabel } from './stats.ts';

describe('growthSeries', () => {
  it('runs totals over the snapshots in time order', () => {
    const points = growthSeries([
      { at: 30, project: 'b', totalBytes: 500, storedBytes: 200 },
      { at: 10, project: 'a', totalBytes: 1000, storedBytes: 400 },
      { at: 20, project: 'a', totalBytes: 1100, storedBytes: 50 },
    ]);
    expect(points).toEqual([
      { at: 10, originalBytes: 1000, storedBytes: 400 },
      { at: 20, originalBytes: 2100, storedBytes: 450 },
      { at: 30, originalBytes: 2600, storedBytes: 650 },
    ]);
    expect(growthSeries([])).toEqual([]);
  });
});

describe('codecMix', () => {
  it('adds up each codec over every file type, largest first, with its share', () => {
    const mix = codecMix([
      { typeKey: '.ts|none', strategy: 'zstd', samples: 10, bytesIn: 600, bytesOut: 150, mbPerSecond: null },
      { typeKey: '.png|png', strategy: 'store', samples: 2, bytesIn: 300, bytesOut: 300, mbPerSecond: null },
      { typeKey: '.json|none', strategy: 'zstd', samples: 5, bytesIn: 100, bytesOut: 20, mbPerSecond: 50 },
    ]);
    expect(mix).toEqual([
      { strategy: 'zstd', label: 'zstd', blobs: 15, bytesIn: 700, bytesOut: 170, share: 0.7 },
      { strategy: 'store', label: 'stored as is', blobs: 2, bytesIn: 300, bytesOut: 300, share: 0.3 },
    ]);
    expect(codecMix([{ typeKey: 'tree', strategy: 'shuffle4-zstd', samples: 1, bytesIn: 0, bytesOut: 0, mbPerSecond: null }])[0]).toMatchObject({ label: 'zstd after a 4-byte shuffle', share: 0 });
  });
});

describe('labels', () => {
  it('names file type keys and choices for a person', () => {
    expect(typeLabel('.ts|none')).toBe('.ts');
    expect(typeLabel('.bin|gzip')).toBe('.bin (gzip)');
    expect(typeLabel('|png')).toBe('no extension (png)');
    expect(typeLabel('tree')).toBe('folder listings');
    expect(typeLabel('snapshot')).toBe('snapshot manifests');
    expect(choiceLabel(null)).toBe('still comparing codecs');
    expect(choiceLabel('store')).toBe('stored as is');
    expect(choiceLabel('brotli')).toBe('brotli');
  });

  it('writes shares as whole percentages', () => {
    expect(percent(1, 3)).toBe('33%');
    expect(percent(1, 1000)).toBe('<1%');
    expect(percent(0, 10)).toBe('0%');
    expect(percent(5, 0)).toBe('0%');
  });
});
