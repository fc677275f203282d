/**
 * One writer at a time, across processes: while another process holds the
 * vault's write lock, `mmry backup` refuses with exit code 5 and one line
 * naming the holder; once that holder is killed with SIGKILL its stale lock
 * is cleared by the next writer and the backup goes through.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { isVaultError } from '../../src-main/engine/errors.ts';
import { backup, Vault } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, PASSWORD } from './config.ts';
import { expectOneErrorLine, killHard, prose, runCli, startFixture, useScratch, waitForLine } from './helpers.ts';

const scratch = useScratch('lock');
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killHard(c);
});

describe('the write lock between processes', () => {
  it('refuses a concurrent backup with exit 5 naming the holder, and recovers after the holder is SIGKILLed', async () => {
    const vaultDir = join(await scratch('vault'), 'v');
    const src = join(await scratch('src'), 'src');
    await mkdir(src);
    await writeFile(join(src, 'a.txt'), prose(3, 30_000));
    const v = await Vault.create(vaultDir, PASSWORD, FAST_OPTIONS);
    await backup(v, src);

    const holder = startFixture('hold-lock.ts', [vaultDir]);
    children.push(holder);
    const [, pid] = await waitForLine(holder, /^locked (\d+)$/);
    expect(Number(pid)).toBe(holder.pid);
    expect(existsSync(join(vaultDir, 'lock'))).toBe(true);

    const refused = await runCli(['backup', vaultDir, src]);
    expect(refused.code).toBe(5);
    expect(refused.stdout).toBe('');
    const line = expectOneErrorLine(refused, /in use by process (\d+)/);
    expect(line).toContain(`process ${holder.pid}`);

    // The engine in this process sees the same holder; reading still works meanwhile.
    await expect(backup(v, src)).rejects.toSatisfy((err: unknown) => isVaultError(err, 'vault-in-use') && (err as Error).message.includes(String(holder.pid)));
    expect(v.catalog.listSnapshots()).toHaveLength(1);
    const listed = await runCli(['snapshots', vaultDir, '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(1);

    await killHard(holder);
    // The killed holder could not clean up: its lock file is still there, now stale.
    expect(existsSync(join(vaultDir, 'lock'))).toBe(true);

    const after = await runCli(['backup', vaultDir, src]);
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
    expect(existsSync(join(vaultDir, 'lock'))).toBe(false);
    expect(v.catalog.listSnapshots()).toHaveLength(2);
    await v.close();
  });
});
