import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { portabilityProblems, probeTarget } from './portability.ts';
import type { TargetTraits } from './portability.ts';

const windows: TargetTraits = { caseInsensitive: true, platform: 'win32', maxName: 255, maxPath: 260 };
const linux: TargetTraits = { caseInsensitive: false, platform: 'linux', maxName: 255, maxPath: 4096 };
const mac: TargetTraits = { caseInsensitive: false, platform: 'darwin', maxName: 255, maxPath: 1024 };

describe('portabilityProblems', () => {
  const paths = ['src/Main.ts', 'src/main.ts', 'docs/aux.c', 'docs/CON', 'docs/lpt1.txt.bak', 'a:b', 'what?', 'dot.', 'fine/console.txt'];

  it('finds case clashes and reserved or invalid names for Windows', () => {
    const found = portabilityProblems(paths, windows).map((p) => [p.path, p.problem]);
    expect(found).toEqual([
      ['src/main.ts', 'case-clash'],
      ['docs/aux.c', 'reserved-name'],
      ['docs/CON', 'reserved-name'],
      ['docs/lpt1.txt.bak', 'reserved-name'],
      ['a:b', 'invalid-char'],
      ['what?', 'invalid-char'],
      ['dot.', 'invalid-char'],
    ]);
    const clash = portabilityProblems(paths, windows)[0]!;
    expect(clash.detail).toContain('src/Main.ts');
  });

  it('finds nothing for a case-sensitive Linux target', () => {
    expect(portabilityProblems(paths, linux)).toEqual([]);
  });

  it('folds Unicode normalisation on macOS and on case-insensitive targets', () => {
    const nfcNfd = ['caf\u00e9', 'cafe\u0301'];
    expect(portabilityProblems(nfcNfd, linux)).toEqual([]);
    expect(portabilityProblems(nfcNfd, mac).map((p) => p.problem)).toEqual(['case-clash']);
    expect(portabilityProblems(['CAF\u00c9', 'cafe\u0301'], { ...linux, caseInsensitive: true }).map((p) => p.problem)).toEqual(['case-clash']);
  });

  it('measures names and paths in the target units, counting the root', () => {
    const long = 'x'.repeat(200);
    expect(portabilityProblems([`${long}/${long}`], windows).map((p) => p.problem)).toEqual(['path-too-long']);
    expect(portabilityProblems(['é'.repeat(200)], linux).map((p) => p.problem)).toEqual(['name-too-long']); // 400 bytes
    expect(portabilityProblems(['é'.repeat(200)], windows)).toEqual([]); // 200 UTF-16 units
    expect(portabilityProblems(['short'], { ...linux, maxPath: 10, root: '/a/long/root' }).map((p) => p.problem)).toEqual(['path-too-long']);
  });
});

describe('probeTarget', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mmry-probe-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('detects a case-sensitive folder and leaves nothing behind', async () => {
    const traits = await probeTarget(dir);
    expect(traits).toMatchObject({ caseInsensitive: false, platform: process.platform, maxName: 255, root: dir });
    expect(await readdir(dir)).toEqual([]);
  });
});
