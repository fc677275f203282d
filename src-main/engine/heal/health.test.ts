/**
 * Health reports against real vaults: damage is told per project, a repair
 * says what it did and what was at risk before, damage beyond repair shows
 * as lost files, and a cancelled check stops with 'cancelled'.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { packPath } from '../packs/index.ts';
import { backup, Vault } from '../vault/index.ts';
import type { VaultOptions } from '../vault/index.ts';
import { checkHealth, repairHealth } from './health.ts';
import { flipByteAt } from '../../../test/flip.ts';

const root = mkdtempSync(join(tmpdir(), 'mmry-health-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const OPTIONS: VaultOptions = { kdf: { memoryKiB: 8, passes: 1, parallelism: 1 }, threads: 1, chunker: { min: 4096, avg: 16384, max: 65536 } };

/** A vault with two projects of unrelated content: alpha/big.bin and beta/other.bin. */
async function twoProjects(name: string, extra: VaultOptions = {}): Promise<Vault> {
  for (const [project, file] of [['alpha', 'big.bin'], ['beta', 'other.bin']] as const) {
    mkdirSync(join(root, name, project), { recursive: true });
    writeFileSync(join(root, name, project, file), randomBytes(200_000));
  }
  const vault = await Vault.create(join(root, name, 'vault'), 'pw', { ...OPTIONS, ...extra });
  await backup(vault, join(root, name, 'alpha'));
  await backup(vault, join(root, name, 'beta'));
  return vault;
}

/** Flips one byte in the middle of the stored blob that holds the middle chunk of alpha/big.bin. */
async function damageAlpha(vault: Vault): Promise<void> {
  const snap = vault.resolveSnapshot('latest', 'alpha');
  const content = (await vault.entryAt(snap, 'big.bin')).entry!.content!;
  const place = vault.catalog.getBlob(content[Math.floor(content.length / 2)]!)!;
  await flipByteAt(packPath(vault.packsDir, place.packId), place.offset + Math.floor(place.length / 2), 0x40);
}

async function withTarget<T>(vault: Vault, fn: (t: ReturnType<Vault['healTarget']>) => Promise<T>): Promise<T> {
  const target = vault.healTarget();
  try {
    return await fn(target);
  } finally {
    await target.close();
  }
}

describe('health reports', () => {
  it('tells which project damage within the parity touches, repairs it, and says so', async () => {
    const vault = await twoProjects('parity');
    try {
      const clean = await withTarget(vault, (t) => checkHealth(t));
      expect(clean.healthy).toBe(true);
      expect(clean.parityOff).toBe(false);
      expect(clean.projects.map((p) => [p.project, p.atRisk, p.lost])).toEqual([
        ['alpha', 0, 0],
        ['beta', 0, 0],
      ]);

      await damageAlpha(vault);
      const found = await withTarget(vault, (t) => checkHealth(t));
      expect(found.healthy).toBe(false);
      expect(found.damage).toHaveLength(1);
      expect(found.damage[0]).toMatchObject({ repairable: true });
      expect(found.damage[0]!.where).toMatch(/^packs\/[0-9a-f]{32}\.pack$/);
      const alpha = found.projects.find((p) => p.project === 'alpha')!;
      expect(alpha).toMatchObject({ snapshots: 1, atRisk: 1, lost: 0 });
      expect(alpha.examples).toEqual([{ snapshot: vault.resolveSnapshot('latest', 'alpha').id, path: 'big.bin', lost: false }]);
      expect(found.projects.find((p) => p.project === 'beta')).toMatchObject({ atRisk: 0, lost: 0 });

      const repaired = await withTarget(vault, (t) => repairHealth(t));
      expect(repaired.actions[0]).toMatch(/^repaired 1 pack file\(s\)/);
      expect(repaired.repairedFiles).toEqual([found.damage[0]!.where]);
      expect(repaired.catalogRebuilt).toBe(false);
      expect(repaired.before.find((p) => p.project === 'alpha')).toMatchObject({ atRisk: 1, lost: 0 });
      expect(repaired.after.healthy).toBe(true);
      expect(repaired.after.projects.every((p) => p.atRisk === 0)).toBe(true);

      const again = await withTarget(vault, (t) => repairHealth(t));
      expect(again.actions).toEqual([]);
      expect((await withTarget(vault, (t) => checkHealth(t, { readData: true }))).healthy).toBe(true);
    } finally {
      await vault.close();
    }
  });

  it('reports damage beyond repair as lost files of their project', async () => {
    const vault = await twoProjects('no-parity', { redundancy: 0 });
    try {
      await damageAlpha(vault);
      // Inside a blob of an unprotected pack, only reading the data finds it.
      expect((await withTarget(vault, (t) => checkHealth(t))).healthy).toBe(true);
      const full = await withTarget(vault, (t) => checkHealth(t, { readData: true }));
      expect(full.healthy).toBe(false);
      expect(full.readData).toBe(true);
      expect(full.parityOff).toBe(true);
      expect(full.damage.every((d) => !d.repairable)).toBe(true);
      expect(full.projects.find((p) => p.project === 'alpha')).toMatchObject({ atRisk: 1, lost: 1, examples: [{ path: 'big.bin', lost: true }] });
      expect(full.projects.find((p) => p.project === 'beta')).toMatchObject({ atRisk: 0, lost: 0 });
      // A quick check after the repair cannot see it; one that reads the data still does.
      expect((await withTarget(vault, (t) => repairHealth(t))).after.healthy).toBe(true);
      const repaired = await withTarget(vault, (t) => repairHealth(t, { readData: true }));
      expect(repaired.actions).toEqual([]);
      expect(repaired.after.healthy).toBe(false);
      expect(repaired.after.projects.find((p) => p.project === 'alpha')).toMatchObject({ lost: 1 });
    } finally {
      await vault.close();
    }
  });

  it('stops a cancelled check with a cancelled error', async () => {
    const vault = await twoProjects('cancel');
    try {
      const controller = new AbortController();
      controller.abort();
      const err = await withTarget(vault, (t) => checkHealth(t, { signal: controller.signal })).catch((e: unknown) => e);
      expect(isVaultError(err) && err.kind).toBe('cancelled');
    } finally {
      await vault.close();
    }
  });
});
