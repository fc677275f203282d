import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadSpec } from './protocol.ts';
import { readFileInto } from './read-files.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mmry-rf-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function specOf(path: string): Promise<ReadSpec> {
  const s = await stat(path, { bigint: true });
  return { path, scan: { size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, ino: s.ino } };
}

describe('reading a small file in a worker', () => {
  it('reads exactly the scanned bytes of an unchanged file', async () => {
    const p = join(dir, 'a.txt');
    await writeFile(p, 'hello, vault');
    const into = new Uint8Array(12);
    expect(readFileInto(await specOf(p), into)).toEqual({ status: 'read', changed: false });
    expect(Buffer.from(into).toString()).toBe('hello, vault');
  });

  it('hands back a file whose size moved since the scan', async () => {
    const p = join(dir, 'grew.txt');
    await writeFile(p, 'short');
    const spec = await specOf(p);
    await writeFile(p, 'much longer now');
    expect(readFileInto(spec, new Uint8Array(5))).toEqual({ status: 'retry' });
  });

  it('flags a file whose times moved while it was read (same size)', async () => {
    const p = join(dir, 'touched.txt');
    await writeFile(p, 'same size');
    const spec = await specOf(p);
    await utimes(p, new Date(), new Date(Date.now() + 5000));
    expect(readFileInto(spec, new Uint8Array(9))).toEqual({ status: 'read', changed: true });
  });

  it('leaves out a link swapped in after the scan and a FIFO, without following or blocking', async () => {
    const target = join(dir, 'target.txt');
    await writeFile(target, 'secret');
    const link = join(dir, 'link');
    await symlink(target, link);
    const linkSpec: ReadSpec = { ...(await specOf(target)), path: link };
    expect(readFileInto(linkSpec, new Uint8Array(6))).toMatchObject({ status: 'left-out', message: expect.stringMatching(/could not be opened/) });
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fifoSpec: ReadSpec = { ...(await specOf(target)), path: fifo };
    expect(readFileInto(fifoSpec, new Uint8Array(6))).toEqual({ status: 'left-out', message: 'Left out: it is no longer a regular file.' });
  });

  it('leaves out a file that vanished', async () => {
    const spec: ReadSpec = { path: join(dir, 'gone'), scan: { size: 3n, mtimeNs: 0n, ctimeNs: 0n, ino: 0n } };
    expect(readFileInto(spec, new Uint8Array(3))).toMatchObject({ status: 'left-out' });
  });
});
