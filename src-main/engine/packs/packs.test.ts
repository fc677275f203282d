import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVaultError } from '../errors.ts';
import { BlobKind, cleanupPartials, coalesceReads, listPacks, openBlob, PackReader, PackWriter, PREAMBLE_BYTES, readBlobBytes, readPackIndex, sealBlob, TRAILER_BYTES } from './index.ts';
import type { SealedPack } from './index.ts';

let dir: string;
let packsDir: string;
const blobKey = randomBytes(32);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmry-packs-'));
  packsDir = join(dir, 'packs');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Stored {
  id: Buffer;
  kind: BlobKind;
  payload: Buffer;
}

function makeBlob(size: number, kind: BlobKind = BlobKind.chunk): Stored & { sealed: Buffer } {
  const payload = randomBytes(size);
  const id = createHash('sha256').update(payload).digest();
  return { id, kind, payload, sealed: sealBlob(blobKey, kind, id, 0, payload) };
}

async function writePack(sizes: number[], options = {}): Promise<{ pack: SealedPack; blobs: Stored[] }> {
  const writer = await PackWriter.create(packsDir, blobKey, options);
  const blobs: Stored[] = [];
  for (const [i, size] of sizes.entries()) {
    const b = makeBlob(size, i % 3 === 1 ? BlobKind.tree : BlobKind.chunk);
    await writer.add(b.id, b.kind, b.sealed, b.payload.length);
    blobs.push(b);
  }
  return { pack: await writer.seal(), blobs };
}

async function expectDamaged(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVaultError(err, 'damaged-data'), String(err)).toBe(true);
  expect((err as Error).message).toMatch(pattern);
}

describe('PackWriter and readPackIndex', () => {
  it('round-trips blobs through seal, index and openBlob', async () => {
    const { pack, blobs } = await writePack([10, 0, 70_000, 3, 1_000_000], { flushBytes: 64 * 1024 });
    expect(pack.path).toBe(join(packsDir, `${pack.packId}.pack`));
    expect(statSync(pack.path).size).toBe(pack.size);
    expect(readdirSync(packsDir)).toEqual([`${pack.packId}.pack`]);

    const index = await readPackIndex(pack.path, blobKey);
    expect(index.packId).toBe(pack.packId);
    expect(index.entries).toEqual(pack.entries);
    expect(index.entries[0]!.offset).toBe(PREAMBLE_BYTES);

    const reader = new PackReader(packsDir);
    for (const [i, e] of index.entries.entries()) {
      const b = blobs[i]!;
      expect(e.id.equals(b.id)).toBe(true);
      expect(e.kind).toBe(b.kind);
      expect(e.rawLength).toBe(b.payload.length);
      const opened = await reader.readBlob(blobKey, b.id, { packId: index.packId, ...e });
      expect(opened.payload.equals(b.payload)).toBe(true);
      const raw = await readBlobBytes(pack.path, e.offset, e.length);
      expect(openBlob(blobKey, e.kind, e.id, raw).payload.equals(b.payload)).toBe(true);
    }
    await reader.close();
  });

  it('grows past the target only for a single large blob', async () => {
    const writer = await PackWriter.create(packsDir, blobKey, { targetBytes: 1000 });
    const big = makeBlob(5000);
    expect(writer.fits(big.sealed.length)).toBe(true);
    await writer.add(big.id, big.kind, big.sealed, 5000);
    expect(writer.full).toBe(true);
    expect(writer.fits(100)).toBe(false);
    const sealed = await writer.seal();
    expect(sealed.size).toBeGreaterThan(5000);
    await expect(writer.add(big.id, big.kind, big.sealed, 1)).rejects.toThrow(/takes no more writes/);
  });

  it('refuses to seal an empty pack, and abort leaves nothing behind', async () => {
    const writer = await PackWriter.create(packsDir, blobKey);
    await expect(writer.seal()).rejects.toThrow(/empty pack/);
    const b = makeBlob(100);
    const other = await PackWriter.create(packsDir, blobKey);
    await other.add(b.id, b.kind, b.sealed, 100);
    await other.abort();
    await writer.abort();
    expect(readdirSync(packsDir)).toEqual([]);
  });

  it('keeps overlapping adds in order', async () => {
    const writer = await PackWriter.create(packsDir, blobKey, { flushBytes: 1 });
    const blobs = Array.from({ length: 20 }, (_, i) => makeBlob(100 + i * 37));
    await Promise.all(blobs.map((b) => writer.add(b.id, b.kind, b.sealed, b.payload.length)));
    const pack = await writer.seal();
    const reader = new PackReader(packsDir, 1);
    for (const [i, e] of (await readPackIndex(pack.path, blobKey)).entries.entries()) {
      const opened = await reader.readBlob(blobKey, e.id, { packId: pack.packId, ...e });
      expect(opened.payload.equals(blobs[i]!.payload)).toBe(true);
    }
    await reader.close();
  });
});

describe('damage', () => {
  it('detects a flipped byte in the header', async () => {
    const { pack } = await writePack([100, 200]);
    const bytes = readFileSync(pack.path);
    bytes[bytes.length - TRAILER_BYTES - 20]! ^= 0x40;
    writeFileSync(pack.path, bytes);
    await expectDamaged(readPackIndex(pack.path, blobKey), new RegExp(`Pack ${pack.packId} is damaged: its header failed authentication`));
  });

  it('detects the wrong key as damage, not as success', async () => {
    const { pack } = await writePack([100]);
    await expectDamaged(readPackIndex(pack.path, randomBytes(32)), /failed authentication/);
  });

  it('detects truncation', async () => {
    const { pack } = await writePack([100, 200]);
    truncateSync(pack.path, pack.size - 1);
    await expectDamaged(readPackIndex(pack.path, blobKey), /end is missing/);
    truncateSync(pack.path, 10);
    await expectDamaged(readPackIndex(pack.path, blobKey), /truncated/);
    const reader = new PackReader(packsDir);
    await expectDamaged(reader.read(pack.packId, 25, 100), /shorter than the catalog says/);
    await reader.close();
  });

  it('detects a pack renamed to another pack id', async () => {
    const { pack } = await writePack([100]);
    const other = join(packsDir, `${'ab'.repeat(16)}.pack`);
    writeFileSync(other, readFileSync(pack.path));
    await expectDamaged(readPackIndex(other, blobKey), new RegExp(`holds pack ${pack.packId}`));
  });

  it('detects a header moved into another pack', async () => {
    const a = await writePack([100]);
    const b = await writePack([100]);
    const bytesA = readFileSync(a.pack.path);
    const bytesB = readFileSync(b.pack.path);
    const headerA = bytesA.subarray(PREAMBLE_BYTES + a.pack.entries[0]!.length);
    const forged = Buffer.concat([bytesB.subarray(0, PREAMBLE_BYTES + b.pack.entries[0]!.length), headerA]);
    writeFileSync(b.pack.path, forged);
    await expectDamaged(readPackIndex(b.pack.path, blobKey), /header failed authentication/);
  });

  it('refuses a blob copied to another offset under a different id', async () => {
    const { pack, blobs } = await writePack([100, 100]);
    const [first, second] = pack.entries;
    const bytes = readFileSync(pack.path);
    bytes.copy(bytes, second!.offset, first!.offset, first!.offset + first!.length);
    writeFileSync(pack.path, bytes);
    const reader = new PackReader(packsDir);
    const place = { packId: pack.packId, ...second! };
    await expectDamaged(reader.readBlob(blobKey, blobs[1]!.id, place), /failed authentication/);
    await expectDamaged(reader.readBlob(blobKey, blobs[0]!.id, { ...place, kind: blobs[1]!.kind }), /failed authentication/);
    await reader.close();
  });

  it('names a missing pack', async () => {
    const reader = new PackReader(packsDir);
    await expectDamaged(reader.read('cd'.repeat(16), 25, 10), /Pack (cd){16} is missing from the vault/);
    expect(reader.openFiles).toBe(0);
  });
});

describe('PackReader', () => {
  it('keeps at most maxOpen files open', async () => {
    const packs = [];
    for (let i = 0; i < 5; i++) packs.push(await writePack([50]));
    const reader = new PackReader(packsDir, 2);
    for (const { pack, blobs } of [...packs, ...packs]) {
      const e = pack.entries[0]!;
      expect((await reader.readBlob(blobKey, blobs[0]!.id, { packId: pack.packId, ...e })).payload.equals(blobs[0]!.payload)).toBe(true);
      expect(reader.openFiles).toBeLessThanOrEqual(2);
    }
    await reader.close();
    expect(reader.openFiles).toBe(0);
  });
});

describe('pack files', () => {
  it('lists sealed packs and removes leftover partials only', async () => {
    const { pack } = await writePack([10]);
    const interrupted = await PackWriter.create(packsDir, blobKey);
    const b = makeBlob(10);
    await interrupted.add(b.id, b.kind, b.sealed, 10);
    writeFileSync(join(packsDir, 'notes.txt'), 'keep');
    expect((await listPacks(packsDir)).map((p) => p.packId)).toEqual([pack.packId]);

    const removed = await cleanupPartials(packsDir);
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatch(/^tmp-[0-9a-f]+\.partial$/);
    expect(readdirSync(packsDir).sort()).toEqual([`${pack.packId}.pack`, 'notes.txt']);
    await interrupted.abort();
    expect(await listPacks(join(dir, 'nope'))).toEqual([]);
    expect(existsSync(pack.path)).toBe(true);
  });
});

describe('sealBlob nonces', () => {
  it('never repeats a nonce across many seals (pool refills included), and every seal opens', () => {
    const key = randomBytes(32);
    const id = randomBytes(32);
    const payload = Buffer.from('same bytes every time');
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const sealed = sealBlob(key, BlobKind.chunk, id, 0, payload);
      seen.add(sealed.subarray(0, 12).toString('hex'));
      expect(Buffer.from(openBlob(key, BlobKind.chunk, id, sealed).payload).equals(payload)).toBe(true);
    }
    expect(seen.size).toBe(2000);
  });
});

describe('coalesceReads', () => {
  const at = (packId: string, offset: number, length: number) => ({ packId, offset, length });

  it('reads places of one pack that lie close together in one span, and no others', () => {
    const places = [at('b', 0, 100), at('a', 5_000, 10), at('a', 0, 1_000), at('a', 1_500, 200), at('a', 900_000, 50)];
    expect(coalesceReads(places, 1_024, 1 << 20)).toEqual([
      { packId: 'a', offset: 0, length: 1_700, members: [2, 3] },
      { packId: 'a', offset: 5_000, length: 10, members: [1] },
      { packId: 'a', offset: 900_000, length: 50, members: [4] },
      { packId: 'b', offset: 0, length: 100, members: [0] },
    ]);
  });

  it('keeps each span within its limit, gives a long place a read of its own, and covers overlaps', () => {
    const places = [at('a', 0, 600), at('a', 600, 600), at('a', 1_200, 5_000), at('a', 1_300, 100)];
    const spans = coalesceReads(places, 0, 1_000);
    expect(spans.map((s) => [s.offset, s.length, s.members])).toEqual([
      [0, 600, [0]],
      [600, 600, [1]],
      [1_200, 5_000, [2, 3]], // the last lies inside the long one
    ]);
  });

  it('puts every place in exactly one span that covers it, for any places', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ packId: fc.constantFrom('p', 'q'), offset: fc.nat(10_000), length: fc.integer({ min: 1, max: 3_000 }) }), { maxLength: 40 }), fc.nat(2_000), fc.integer({ min: 1, max: 8_000 }), (places, gap, span) => {
        const spans = coalesceReads(places, gap, span);
        expect(spans.flatMap((s) => s.members).sort((a, b) => a - b)).toEqual(places.map((_, i) => i));
        for (const s of spans) {
          for (const m of s.members) {
            const p = places[m]!;
            expect(p.packId).toBe(s.packId);
            expect(p.offset).toBeGreaterThanOrEqual(s.offset);
            expect(p.offset + p.length).toBeLessThanOrEqual(s.offset + s.length);
          }
          expect(s.length).toBeLessThanOrEqual(Math.max(span, ...s.members.map((m) => places[m]!.length)));
        }
      }),
    );
  });
});
