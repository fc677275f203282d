import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCuts, makeGearTable, type ChunkerParams } from '../chunking/index.ts';
import { isVaultError, type VaultErrorKind } from '../errors.ts';
import { BlobKind } from '../packs/seal.ts';
import { INLINE_TASK_BYTES, INLINE_TOTAL_BYTES } from './pool.ts';
import { WorkerPool, type WorkerPoolOptions, type SealResult } from './index.ts';
import { checkItems, makeContext, openItems, sealItems } from './tasks.ts';

const chunker: ChunkerParams = { min: 2 * 1024, avg: 8 * 1024, max: 32 * 1024 };
const keys: WorkerPoolOptions = { blobKey: randomBytes(32), idKey: randomBytes(32), gearSeed: randomBytes(32), chunker, threads: 2 };

function shared(bytes: Uint8Array): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(bytes.length);
  new Uint8Array(sab).set(bytes);
  return sab;
}

function idOf(bytes: Uint8Array): Buffer {
  return createHmac('sha256', keys.idKey).update(bytes).digest();
}

async function rejectionKind(p: Promise<unknown>): Promise<VaultErrorKind | string> {
  try {
    await p;
  } catch (err) {
    return isVaultError(err) ? err.kind : `not a VaultError: ${String(err)}`;
  }
  return 'resolved';
}

const text = Buffer.from('const answer = () => 42; // the meaning of it all\n'.repeat(3000));
const random = randomBytes(200 * 1024);
const data = Buffer.concat([text, random]);
const buffer = shared(data);

describe('task results', () => {
  it('own their ArrayBuffers, which are listed for transfer instead of copying', () => {
    const ctx = makeContext(keys);
    const items = [{ offset: text.length, length: random.length, id: idOf(random), kind: BlobKind.chunk, strategy: undefined }];
    const sealed = sealItems(ctx, buffer, items);
    const [s] = sealed.value as SealResult[];
    expect(sealed.transfer).toEqual([s!.sealed.buffer]);
    expect(s!.sealed.buffer.byteLength).toBe(s!.sealed.length);
    const opened = openItems(ctx, [{ sealed: s!.sealed, id: items[0]!.id, kind: BlobKind.chunk, rawLength: random.length }]);
    const [plain] = opened.value as Uint8Array[];
    expect(opened.transfer).toEqual([plain!.buffer]);
    expect(Buffer.from(plain!)).toEqual(random);
  });
});

describe('WorkerPool', () => {
  let pool: WorkerPool;
  beforeAll(() => {
    pool = WorkerPool.create(keys);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('starts no thread before the first task', () => {
    expect(pool.size).toBe(2);
    expect(pool.liveThreads).toBe(0);
  });

  it('hashes like the main thread does', async () => {
    const items = [
      { offset: 0, length: data.length, chunked: true, final: true },
      { offset: text.length, length: random.length, chunked: true, final: false },
      { offset: 100, length: 5000, chunked: false, final: true },
    ];
    const results = await pool.hash(buffer, items);
    expect(pool.liveThreads).toBeGreaterThan(0);
    const gear = makeGearTable(keys.gearSeed);
    results.forEach((r, k) => {
      const item = items[k]!;
      const bytes = data.subarray(item.offset, item.offset + item.length);
      const cuts = item.chunked ? findCuts(bytes, gear, chunker, item.final) : [item.length];
      expect(r.cuts).toEqual(cuts);
      expect(r.ids.map((id) => Buffer.from(id).toString('hex'))).toEqual(
        cuts.map((end, i) => idOf(bytes.subarray(i === 0 ? 0 : cuts[i - 1]!, end)).toString('hex')),
      );
    });
    expect(results[1]!.cuts.at(-1)).toBeLessThan(random.length);
  });

  it('seals and opens back the same bytes, choosing codecs per blob', async () => {
    const ranges = [[0, text.length], [text.length, random.length], [0, 10], [5, 0]] as const;
    const items = ranges.map(([offset, length]) => ({ offset, length, id: idOf(data.subarray(offset, offset + length)), kind: BlobKind.chunk, strategy: undefined }));
    const sealed = await pool.seal(buffer, items);
    expect(sealed.map((s) => s.strategy)).toEqual(['zstd', 'store', 'store', 'store']);
    expect(sealed[0]!.sealed.length).toBeLessThan(text.length / 10);
    expect(sealed.every((s, k) => s.rawLength === items[k]!.length && s.nanos >= 0)).toBe(true);
    const opened = await pool.open(sealed.map((s, k) => ({ sealed: s.sealed, id: items[k]!.id, kind: BlobKind.chunk, rawLength: s.rawLength })));
    opened.forEach((plain, k) => expect(Buffer.from(plain)).toEqual(data.subarray(ranges[k]![0], ranges[k]![0] + ranges[k]![1])));
  });

  it('rejects a tampered blob, a wrong id and a wrong kind as damaged data', async () => {
    const id = idOf(text);
    const [s] = await pool.seal(buffer, [{ offset: 0, length: text.length, id, kind: BlobKind.tree, strategy: 'zstd' }]);
    const good = { sealed: s!.sealed, id, kind: BlobKind.tree, rawLength: text.length };
    const tampered = Uint8Array.from(s!.sealed);
    tampered[40]! ^= 1;
    expect(await rejectionKind(pool.open([{ ...good, sealed: tampered }]))).toBe('damaged-data');
    expect(await rejectionKind(pool.open([{ ...good, id: idOf(random) }]))).toBe('damaged-data');
    expect(await rejectionKind(pool.open([{ ...good, kind: BlobKind.chunk }]))).toBe('damaged-data');
    expect(await rejectionKind(pool.open([{ ...good, rawLength: text.length + 1 }]))).toBe('damaged-data');
    // Sealed under a wrong id: authentication passes, the id re-check must not.
    const wrongId = idOf(random);
    const [w] = await pool.seal(buffer, [{ offset: 0, length: text.length, id: wrongId, kind: BlobKind.chunk, strategy: 'zstd' }]);
    expect(await rejectionKind(pool.open([{ sealed: w!.sealed, id: wrongId, kind: BlobKind.chunk, rawLength: text.length }]))).toBe('damaged-data');
    expect(await rejectionKind(pool.open([good]))).toBe('resolved');
  });

  it('reports bad input as a typed error', async () => {
    expect(await rejectionKind(pool.hash(buffer, [{ offset: data.length, length: 1, chunked: false, final: true }]))).toBe('internal');
  });

  it('rejects with cancelled when the signal aborts, before or during a task, and keeps working', async () => {
    expect(await rejectionKind(pool.hash(buffer, [], { signal: AbortSignal.abort() }))).toBe('cancelled');
    const big = new SharedArrayBuffer(64 * 1024 * 1024);
    const items = Array.from({ length: 16 }, () => ({ offset: 0, length: big.byteLength, chunked: true, final: true }));
    const controller = new AbortController();
    const running = pool.hash(big, items, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await rejectionKind(running)).toBe('cancelled');
    const [again] = await pool.hash(buffer, [{ offset: 0, length: 10, chunked: false, final: true }]);
    expect(Buffer.from(again!.ids[0]!)).toEqual(idOf(data.subarray(0, 10)));
  });

  it('ends its threads on close and refuses work afterwards', async () => {
    const other = WorkerPool.create({ ...keys, threads: 1 });
    await other.hash(buffer, [{ offset: 0, length: data.length, chunked: false, final: true }]);
    expect(other.liveThreads).toBe(1);
    await other.close();
    expect(other.liveThreads).toBe(0);
    expect(await rejectionKind(other.hash(buffer, []))).toBe('internal');
  });

  it('refuses keys of the wrong size at creation', () => {
    expect(() => WorkerPool.create({ ...keys, idKey: new Uint8Array(16) })).toThrow(/32-byte idKey/);
  });
});

describe('the check task (verify --read-data)', () => {
  it('passes a sound blob and fails a flipped byte, a blob under another id and one of another kind', () => {
    const ctx = makeContext(keys);
    const items = [{ offset: 0, length: text.length, id: idOf(text), kind: BlobKind.chunk, strategy: undefined }];
    const [sealed] = (sealItems(ctx, buffer, items).value as SealResult[]).map((r) => r.sealed);
    const flipped = new Uint8Array(sealed!);
    flipped[40]! ^= 0x10;
    const outcomes = checkItems(ctx, [
      { sealed: sealed!, id: idOf(text), kind: BlobKind.chunk, rawLength: text.length },
      { sealed: flipped, id: idOf(text), kind: BlobKind.chunk, rawLength: text.length },
      { sealed: sealed!, id: idOf(random), kind: BlobKind.chunk, rawLength: text.length },
      { sealed: sealed!, id: idOf(text), kind: BlobKind.tree, rawLength: text.length },
    ]);
    expect(outcomes[0]).toBeNull();
    for (const o of outcomes.slice(1)) expect(o).toMatch(/failed authentication/);
  });

  it('fails a flip in the nonce, the codec byte or the tag, and a blob cut short, read from shared memory', () => {
    const ctx = makeContext(keys);
    const items = [{ offset: 0, length: random.length, id: idOf(random), kind: BlobKind.chunk, strategy: undefined }];
    const [sealed] = (sealItems(ctx, shared(random), items).value as SealResult[]).map((r) => r.sealed);
    const copies = [0, 12, sealed!.length - 1].map((at) => {
      const copy = new Uint8Array(shared(sealed!));
      copy[at]! ^= 0x01;
      return copy;
    });
    const id = new Uint8Array(shared(idOf(random)));
    const outcomes = checkItems(ctx, [
      { sealed: new Uint8Array(shared(sealed!)), id, kind: BlobKind.chunk, rawLength: random.length },
      ...[...copies, sealed!.subarray(0, sealed!.length - 1), sealed!.subarray(0, 20)].map((bytes) => ({ sealed: bytes, id, kind: BlobKind.chunk, rawLength: random.length })),
    ]);
    expect(outcomes[0]).toBeNull();
    expect(outcomes.slice(1)).toHaveLength(5);
    for (const o of outcomes.slice(1)) expect(o).toMatch(/failed authentication/);
  });
});

describe('a pool with no thread yet', () => {
  it('runs small tasks on the calling thread, with the same results and errors as a worker', async () => {
    const inline = WorkerPool.create(keys);
    const threaded = WorkerPool.create(keys);
    try {
      threaded.warmUp();
      const small = [{ offset: 0, length: 5000, id: idOf(data.subarray(0, 5000)), kind: BlobKind.chunk, strategy: undefined }];
      const [s] = await inline.seal(buffer, small);
      expect(s!.strategy).toBe('zstd');
      const [h] = await inline.hash(buffer, [{ offset: 0, length: 5000, chunked: false, final: true }]);
      expect(Buffer.from(h!.ids[0]!)).toEqual(small[0]!.id);
      expect(await rejectionKind(inline.hash(buffer, [{ offset: data.length, length: 1, chunked: false, final: true }]))).toBe('internal');
      const tampered = Uint8Array.from(s!.sealed);
      tampered[40]! ^= 1;
      const item = { sealed: s!.sealed, id: small[0]!.id, kind: BlobKind.chunk, rawLength: 5000 };
      expect(await rejectionKind(inline.open([{ ...item, sealed: tampered }]))).toBe('damaged-data');
      expect(inline.liveThreads).toBe(0);
      // What one seals the other opens, either way.
      expect(Buffer.from((await threaded.open([item]))[0]!)).toEqual(data.subarray(0, 5000));
      const [t] = await threaded.seal(buffer, small);
      expect(Buffer.from((await inline.open([{ ...item, sealed: t!.sealed }]))[0]!)).toEqual(data.subarray(0, 5000));
      expect(inline.liveThreads).toBe(0);
      expect(threaded.liveThreads).toBe(2);
    } finally {
      await Promise.all([inline.close(), threaded.close()]);
    }
  });

  it('starts its threads for a task over INLINE_TASK_BYTES, or one that reads a file, and then runs every task there', async () => {
    const file = join(tmpdir(), `mmry-inline-${process.pid}.txt`);
    writeFileSync(file, 'small file');
    const scanned = statSync(file, { bigint: true });
    const scan = { size: scanned.size, mtimeNs: scanned.mtimeNs, ctimeNs: scanned.ctimeNs, ino: scanned.ino };
    const byRead = WorkerPool.create(keys);
    const bySize = WorkerPool.create(keys);
    try {
      const arena = new SharedArrayBuffer(64);
      const [r] = await byRead.hash(arena, [{ offset: 0, length: 10, chunked: false, final: true, read: { path: file, scan } }]);
      expect(Buffer.from(r!.ids[0]!)).toEqual(idOf(Buffer.from('small file')));
      expect(byRead.liveThreads).toBeGreaterThan(0);

      await bySize.hash(buffer, [{ offset: 0, length: INLINE_TASK_BYTES, chunked: false, final: true }]);
      expect(bySize.liveThreads).toBe(0);
      await bySize.hash(buffer, [{ offset: 0, length: INLINE_TASK_BYTES + 1, chunked: false, final: true }]);
      expect(bySize.liveThreads).toBeGreaterThan(0);
      // From here on even a small task goes to a thread: a thread that runs it leaves the main thread free.
      const before = bySize.completedTasks;
      await bySize.hash(buffer, [{ offset: 0, length: 10, chunked: false, final: true }]);
      expect(bySize.completedTasks).toBe(before + 1);
    } finally {
      await Promise.all([byRead.close(), bySize.close()]);
      rmSync(file, { force: true });
    }
  });

  it('starts its threads once INLINE_TOTAL_BYTES have run inline, for a long run of small tasks', async () => {
    const pool = WorkerPool.create(keys);
    try {
      const small = [{ offset: 0, length: INLINE_TASK_BYTES, chunked: false, final: true }];
      for (let n = INLINE_TASK_BYTES; n <= INLINE_TOTAL_BYTES; n += INLINE_TASK_BYTES) await pool.hash(buffer, small);
      expect([pool.liveThreads, pool.completedTasks]).toEqual([0, 0]);
      await pool.hash(buffer, small);
      expect(pool.liveThreads).toBeGreaterThan(0);
      expect(pool.completedTasks).toBe(1);
    } finally {
      await pool.close();
    }
  });
});

describe('a pool warmed before its keys', () => {
  it('starts its threads at once, refuses tasks until it has keys, then works like any pool', async () => {
    const pool = WorkerPool.warm({ threads: 2 });
    try {
      expect(pool.liveThreads).toBeGreaterThan(0);
      expect(await rejectionKind(pool.hash(buffer, [{ offset: 0, length: 100, chunked: false, final: true }]))).toBe('internal');
      pool.setKeys(keys);
      expect(() => pool.setKeys(keys)).toThrow(/already has its keys/);
      const [h] = await pool.hash(buffer, [{ offset: 0, length: 100, chunked: false, final: true }]);
      expect(Buffer.from(h!.ids[0]!).equals(idOf(data.subarray(0, 100)))).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('closes cleanly when it never gets keys (a wrong password)', async () => {
    const pool = WorkerPool.warm({ threads: 1 });
    await pool.close();
    expect(pool.liveThreads).toBe(0);
  });
});
