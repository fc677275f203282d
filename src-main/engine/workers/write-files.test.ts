import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChunkerParams } from '../chunking/index.ts';
import { encode } from '../codecs/index.ts';
import { packPath } from '../packs/files.ts';
import { BlobKind, sealBlob } from '../packs/seal.ts';
import type { WriteFileItem } from './protocol.ts';
import { makeContext } from './tasks.ts';
import { writeFiles } from './write-files.ts';

const chunker: ChunkerParams = { min: 2 * 1024, avg: 8 * 1024, max: 32 * 1024 };
const keys = { blobKey: randomBytes(32), idKey: randomBytes(32), gearSeed: randomBytes(32), chunker };
const ctx = makeContext(keys);
const PACK = 'ab'.repeat(16);
const dirs: string[] = [];

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A fake pack file: blobs sealed back to back (the task reads by offset; headers do not matter to it). */
async function packOf(chunks: Buffer[]): Promise<{ packsDir: string; places: WriteFileItem['chunks'] }> {
  const packsDir = await mkdtemp(join(tmpdir(), 'mmry-wf-packs-'));
  dirs.push(packsDir);
  const places: WriteFileItem['chunks'] = [];
  const sealed: Buffer[] = [];
  let offset = 0;
  for (const c of chunks) {
    const id = createHmac('sha256', keys.idKey).update(c).digest();
    const enc = encode(c, undefined);
    const s = sealBlob(keys.blobKey, BlobKind.chunk, id, enc.codec, enc.payload);
    places.push({ packId: PACK, offset, length: s.length, rawLength: c.length, id });
    sealed.push(s);
    offset += s.length;
  }
  await writeFile(packPath(packsDir, PACK), Buffer.concat(sealed));
  return { packsDir, places };
}

async function outDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'mmry-wf-out-'));
  dirs.push(d);
  return d;
}

describe('the write-files task', () => {
  it('writes each file from its blobs, with mode and mtime, under its final name only', async () => {
    const a = Buffer.from('first chunk of text\n'.repeat(500));
    const b = randomBytes(10_000);
    const { packsDir, places } = await packOf([a, b]);
    const out = await outDir();
    const item: WriteFileItem = { temp: join(out, '.f.partial'), dest: join(out, 'f.bin'), display: 'f.bin', mode: 0o640, mtimeSeconds: 1_600_000_000.25, size: a.length + b.length, chunks: places };
    const res = writeFiles(ctx, packsDir, [item], Date.now() / 1000);
    expect(res.value).toEqual([null]);
    expect(await readFile(join(out, 'f.bin'))).toEqual(Buffer.concat([a, b]));
    const st = await stat(join(out, 'f.bin'));
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.mtimeMs).toBeCloseTo(1_600_000_000_250, 0);
    expect(await readdir(out)).toEqual(['f.bin']);
  });

  it('answers a damaged blob with damaged-data for that file alone and leaves nothing of it', async () => {
    const good = Buffer.from('good file\n'.repeat(100));
    const bad = Buffer.from('bad file\n'.repeat(100));
    const { packsDir, places } = await packOf([good, bad]);
    const pack = await readFile(packPath(packsDir, PACK));
    pack[places[1]!.offset + 20]! ^= 0x01;
    await writeFile(packPath(packsDir, PACK), pack);
    const out = await outDir();
    const items: WriteFileItem[] = [
      { temp: join(out, '.bad.partial'), dest: join(out, 'bad'), display: 'bad', mode: 0o644, mtimeSeconds: 1, size: bad.length, chunks: [places[1]!] },
      { temp: join(out, '.good.partial'), dest: join(out, 'good'), display: 'good', mode: 0o644, mtimeSeconds: 1, size: good.length, chunks: [places[0]!] },
    ];
    const [badResult, goodResult] = writeFiles(ctx, packsDir, items, 1).value as unknown[];
    expect(badResult).toMatchObject({ kind: 'damaged-data' });
    expect(goodResult).toBeNull();
    expect(await readdir(out)).toEqual(['good']);
  });

  it('refuses a file whose blobs do not add up to its recorded size, and a missing pack', async () => {
    const c = Buffer.from('x'.repeat(3000));
    const { packsDir, places } = await packOf([c]);
    const out = await outDir();
    const short: WriteFileItem = { temp: join(out, '.s.partial'), dest: join(out, 's'), display: 's', mode: 0o644, mtimeSeconds: 1, size: c.length + 1, chunks: places };
    const gone: WriteFileItem = { ...short, temp: join(out, '.g.partial'), dest: join(out, 'g'), size: c.length, chunks: [{ ...places[0]!, packId: 'cd'.repeat(16) }] };
    const results = writeFiles(ctx, packsDir, [short, gone], 1).value as { kind: string; message: string }[];
    expect(results.map((r) => r.kind)).toEqual(['damaged-data', 'damaged-data']);
    expect(results[0]!.message).toMatch(/does not add up/);
    expect(await readdir(out)).toEqual([]);
  });

  it('never writes through an existing temporary name (a planted link)', async () => {
    const c = Buffer.from('y'.repeat(100));
    const { packsDir, places } = await packOf([c]);
    const out = await outDir();
    await writeFile(join(out, 'victim'), 'keep me');
    const { symlink } = await import('node:fs/promises');
    await symlink(join(out, 'victim'), join(out, '.t.partial'));
    const item: WriteFileItem = { temp: join(out, '.t.partial'), dest: join(out, 't'), display: 't', mode: 0o644, mtimeSeconds: 1, size: c.length, chunks: places };
    const [r] = writeFiles(ctx, packsDir, [item], 1).value as { kind: string }[];
    expect(r).not.toBeNull();
    expect(await readFile(join(out, 'victim'), 'utf8')).toBe('keep me');
  });
});
