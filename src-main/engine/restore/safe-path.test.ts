import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { isVaultError } from '../errors.ts';
import { nameProblem, stringNameProblem } from '../snapshot/names.ts';
import { TargetGuard, relKey, safeJoin, segmentProblem } from './safe-path.ts';

function unsafePath(fn: () => unknown): boolean {
  try {
    fn();
  } catch (err) {
    return isVaultError(err, 'unsafe-path');
  }
  return false;
}

describe('safeJoin', () => {
  const root = path.resolve('/restore/target');

  it('joins plain names below the root', () => {
    expect(safeJoin(root, [])).toBe(root);
    expect(safeJoin(root, ['a', 'b.txt'])).toBe(path.join(root, 'a', 'b.txt'));
    expect(safeJoin(`${root}/`, ['...', '..a', 'a\\b'])).toBe(`${root}/.../..a/a\\b`); // legal POSIX names
  });

  it('keeps a non-UTF-8 name byte-exact as a Buffer', () => {
    const joined = safeJoin(root, ['dir', Buffer.from([0x66, 0xff])]);
    expect(Buffer.isBuffer(joined)).toBe(true);
    expect(joined).toEqual(Buffer.concat([Buffer.from(`${root}/dir/`), Buffer.from([0x66, 0xff])]));
    expect(safeJoin(root, [Buffer.from('plain')])).toBe(path.join(root, 'plain'));
  });

  it('refuses every segment that is not one plain name', () => {
    for (const bad of [[''], ['.'], ['..'], ['a', '..', '..', 'etc'], ['/etc/passwd'], ['a/b'], ['a\0b'], ['\ud800'], [Buffer.from('..')], [Buffer.from('x/y')]]) {
      expect(unsafePath(() => safeJoin(root, bad)), String(bad)).toBe(true);
    }
  });

  it('refuses Windows-only separators, streams and device names when restoring on Windows', () => {
    for (const bad of ['a\\..\\..\\x', 'c:', 'file:stream', 'CON', 'nul.txt', 'trailing.', 'space ']) {
      expect(segmentProblem(bad, 'win32'), bad).toBeDefined();
      expect(segmentProblem(bad, 'linux'), bad).toBeUndefined();
    }
  });
});

describe('names without encoding them', () => {
  const risky = fc.constantFrom('', '.', '..', '/', '\0', 'a/b', 'a\0b', '\0/', '/\0', 'é', '日本', '..a', '.a.');
  const names = fc.oneof(risky, fc.string({ unit: 'grapheme', maxLength: 6 }), fc.array(risky, { maxLength: 3 }).map((p) => p.join('x')));

  it("judge a string as its UTF-8 bytes would be judged", () => {
    fc.assert(fc.property(names, (s) => stringNameProblem(s) === nameProblem(Buffer.from(s, 'utf8'))), { numRuns: 2000 });
  });

  it('key a path by its bytes, whether a name is a string or bytes', () => {
    fc.assert(
      fc.property(fc.array(names, { maxLength: 4 }), fc.array(fc.boolean(), { maxLength: 4 }), (parts, asBytes) => {
        const segments = parts.map((p, i) => (asBytes[i] ? new Uint8Array(Buffer.from(p, 'utf8')) : p));
        return relKey(segments) === parts.map((p) => Buffer.from(p, 'utf8').toString('latin1')).join('/');
      }),
      { numRuns: 1000 },
    );
    expect(relKey(['é', new Uint8Array([0xc3, 0xa9])])).toBe('\u00c3\u00a9/\u00c3\u00a9');
  });
});

describe('TargetGuard', () => {
  let base: string;
  let target: string;
  let outside: string;

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'mmry-guard-'));
    target = path.join(base, 'target');
    outside = path.join(base, 'outside');
    await mkdir(target);
    await mkdir(outside);
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('creates and caches real directories', async () => {
    const guard = new TargetGuard(target);
    expect(await guard.dir(['a', 'b'], true)).toBe(path.join(target, 'a', 'b'));
    expect(await readdir(path.join(target, 'a'))).toEqual(['b']);
    await expect(guard.dir(['missing'], false)).rejects.toSatisfy((e) => isVaultError(e, 'not-found'));
  });

  it('refuses to pass through a symlink, wherever it points', async () => {
    await symlink(outside, path.join(target, 'escape'));
    await mkdir(path.join(target, 'real'));
    await symlink('../real', path.join(target, 'inner'));
    const guard = new TargetGuard(target);
    await expect(guard.dir(['escape', 'sub'], true)).rejects.toSatisfy((e) => isVaultError(e, 'unsafe-path'));
    await expect(guard.dir(['inner'], true)).rejects.toSatisfy((e) => isVaultError(e, 'unsafe-path'));
    expect(await readdir(outside)).toEqual([]);
  });

  it('checks again after forget', async () => {
    const guard = new TargetGuard(target);
    await guard.dir(['d'], true);
    await rm(path.join(target, 'd'), { recursive: true });
    await symlink(outside, path.join(target, 'd'));
    guard.forget(['d']);
    await expect(guard.dir(['d', 'x'], true)).rejects.toSatisfy((e) => isVaultError(e, 'unsafe-path'));
    expect(await readdir(outside)).toEqual([]);
  });
});
