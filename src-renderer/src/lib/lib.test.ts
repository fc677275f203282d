import { describe, expect, it } from 'vitest';
import { hexRows, looksLikeText, previewKind, trimPartialUtf8 } from './content.ts';
import { formatBytes, formatDate, formatDelta, formatEta, formatRelative } from './format.ts';
import { passwordStrength } from './password.ts';
import { breadcrumbs, keyAction, nextSort, pagesCovering, parentPath, sortEntries, typeAhead } from './tree-model.ts';
import type { Entry } from './tree-model.ts';

describe('format', () => {
  it('formats dates as toLocaleString does, with one formatter per locale', () => {
    const options = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' } as const;
    for (const ms of [0, 1_700_000_000_123, -86_400_000, 8.64e15, 8.64e15 + 1, NaN, Infinity]) {
      for (const locale of [undefined, 'en-US', 'de-DE', 'ja-JP']) expect(formatDate(ms, locale)).toBe(new Date(ms).toLocaleString(locale, options));
    }
  });

  it('formats sizes, deltas, ETAs and relative times', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.50 KB');
    expect(formatBytes(25_300_000)).toBe('25.3 MB');
    expect(formatDelta(2000)).toBe('+2.00 KB');
    expect(formatDelta(-300)).toBe('−300 B');
    expect(formatEta(null)).toBe('');
    expect(formatEta(12.4)).toBe('12 s left');
    expect(formatEta(600)).toBe('about 10 min left');
    expect(formatRelative(1_000_000, 1_010_000)).toBe('just now');
    expect(formatRelative(0, 3 * 3600_000)).toBe('3 h ago');
  });
});

describe('password strength', () => {
  it('ranks passwords from very weak to strong', () => {
    expect(passwordStrength('').score).toBe(0);
    expect(passwordStrength('password1').score).toBe(0);
    expect(passwordStrength('abcdefgh').score).toBe(0);
    expect(passwordStrength('aaaaaaaaaaaa').score).toBe(0);
    expect(passwordStrength('Tr0ub4dor&3').score).toBeGreaterThanOrEqual(2);
    expect(passwordStrength('correct horse battery staple').score).toBe(4);
    expect(passwordStrength('password1').hint).toMatch(/common/);
    expect(passwordStrength('short').hint).toMatch(/8 characters/);
  });
});

describe('tree model', () => {
  const e = (name: string, type: Entry['type'], size: number, mtimeMs: number): Entry => ({ name, path: name, type, size, mtimeMs });
  const entries = [e('b.txt', 'file', 10, 3), e('file10', 'file', 5, 1), e('src', 'dir', 0, 2), e('file2', 'file', 50, 4), e('A', 'dir', 0, 9)];

  it('sorts folders first, names naturally, and by size or date', () => {
    expect(sortEntries(entries, 'name', 'asc').map((x) => x.name)).toEqual(['A', 'src', 'b.txt', 'file2', 'file10']);
    expect(sortEntries(entries, 'name', 'desc').map((x) => x.name)).toEqual(['src', 'A', 'file10', 'file2', 'b.txt']);
    expect(sortEntries(entries, 'size', 'desc').map((x) => x.name)).toEqual(['A', 'src', 'file2', 'b.txt', 'file10']);
    expect(sortEntries(entries, 'date', 'asc').map((x) => x.name)).toEqual(['src', 'A', 'file10', 'b.txt', 'file2']);
    expect(nextSort({ key: 'name', dir: 'asc' }, 'name')).toEqual({ key: 'name', dir: 'desc' });
    expect(nextSort({ key: 'name', dir: 'asc' }, 'size')).toEqual({ key: 'size', dir: 'desc' });
  });

  it('maps keys to moves, open and up, within bounds', () => {
    expect(keyAction('ArrowDown', -1, 5, 10)).toEqual({ move: 0 });
    expect(keyAction('ArrowDown', 4, 5, 10)).toEqual({ move: 4 });
    expect(keyAction('ArrowUp', 0, 5, 10)).toEqual({ move: 0 });
    expect(keyAction('PageDown', 1, 100, 10)).toEqual({ move: 11 });
    expect(keyAction('End', 1, 100, 10)).toEqual({ move: 99 });
    expect(keyAction('Enter', 3, 5, 10)).toEqual({ open: true });
    expect(keyAction('Enter', -1, 5, 10)).toBeNull();
    expect(keyAction('Backspace', 2, 5, 10)).toEqual({ up: true });
    expect(keyAction('Backspace', -1, 0, 10)).toEqual({ up: true });
    expect(keyAction('x', 1, 5, 10)).toBeNull();
    expect(typeAhead(sortEntries(entries, 'name', 'asc'), 0, 'f')).toBe(3);
  });

  it('passes over rows whose page has not arrived when typing ahead', () => {
    const sorted = sortEntries(entries, 'name', 'asc');
    const holey: (Entry | undefined)[] = [...sorted];
    holey[3] = undefined;
    // A, src, b.txt, (file2 not yet arrived), file10.
    expect(typeAhead(holey, 0, 'f')).toBe(4);
    expect(typeAhead(holey, 4, 'f')).toBe(4);
  });

  it('names the pages that hold a range of rows and the extra rows', () => {
    expect(pagesCovering(0, 19, 100_000, 200)).toEqual([0]);
    expect(pagesCovering(190, 230, 100_000, 200)).toEqual([0, 1]);
    expect(pagesCovering(-50, 10, 100_000, 200, [99_999])).toEqual([0, 499]);
    expect(pagesCovering(99_950, 100_100, 100_000, 200)).toEqual([499]);
    expect(pagesCovering(0, 19, 0, 200, [0])).toEqual([]);
    expect(pagesCovering(0, 19, 30, 200, [5, -1, 30])).toEqual([0]);
  });

  it('builds breadcrumbs and parent paths', () => {
    expect(breadcrumbs('src/lib/x', 'site')).toEqual([
      { label: 'site', path: '' },
      { label: 'src', path: 'src' },
      { label: 'lib', path: 'src/lib' },
      { label: 'x', path: 'src/lib/x' },
    ]);
    expect(parentPath('src/lib')).toBe('src');
    expect(parentPath('src')).toBe('');
  });
});

describe('content', () => {
  it('tells text from binary and images by name', () => {
    const enc = new TextEncoder();
    expect(looksLikeText(enc.encode('héllo wörld'))).toBe(true);
    expect(looksLikeText(new Uint8Array([0x68, 0, 0x69]))).toBe(false);
    expect(looksLikeText(new Uint8Array([0xff, 0xfe, 0x41]))).toBe(false);
    // A range cut in the middle of "é" still counts as text.
    expect(looksLikeText(enc.encode('caf\u00e9').subarray(0, 4))).toBe(true);
    expect(trimPartialUtf8(enc.encode('caf\u00e9').subarray(0, 4))).toHaveLength(3);
    expect(previewKind('logo.PNG', new Uint8Array([0]))).toBe('image');
    expect(previewKind('data.bin', new Uint8Array([1, 0, 2]))).toBe('binary');
  });

  it('lays out a hex view 16 bytes per row', () => {
    const rows = hexRows(new TextEncoder().encode('Hello, hex view!\n\u0001'), 32);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({ offset: '00000020', hex: '48 65 6c 6c 6f 2c 20 68  65 78 20 76 69 65 77 21', ascii: 'Hello, hex view!' });
    expect(rows[1]!.ascii).toBe('··');
  });
});
