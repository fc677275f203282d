import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isVaultError } from '../errors.ts';
import { decodeTree, encodeTree, indexTree } from './tree.ts';
import type { TreeEntry } from './tree.ts';

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);

function file(name: string, size = 3, extra: Partial<TreeEntry> = {}): TreeEntry {
  return { name, type: 'file', mode: 0o644, mtimeNs: 1_700_000_000_123_456_789n, size, content: size > 0 ? [id(1)] : [], ...extra };
}

/** Hand-built tree bytes, to feed the decoder what encodeTree would refuse to write. */
function rawTree(entries: Buffer[], count = entries.length, version = 1): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(version, 0);
  head.writeUInt32BE(count, 1);
  return Buffer.concat([head, ...entries]);
}

function rawEntry(opts: { type?: number; flags?: number; name?: Buffer; mode?: number; body?: Buffer }): Buffer {
  const name = opts.name ?? Buffer.from('x');
  const head = Buffer.alloc(4);
  head.writeUInt8(opts.type ?? 2, 0);
  head.writeUInt8(opts.flags ?? 0, 1);
  head.writeUInt16BE(name.length, 2);
  const tail = Buffer.alloc(10);
  tail.writeUInt16BE(opts.mode ?? 0o755, 0);
  tail.writeBigInt64BE(5n, 2);
  return Buffer.concat([head, name, tail, opts.body ?? Buffer.from(id(7))]);
}

function fileBody(size: bigint, ids: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeBigUInt64BE(size, 0);
  b.writeUInt32BE(ids, 8);
  return Buffer.concat([b, Buffer.alloc(32 * ids)]);
}

/** Both readers of tree bytes refuse them as damaged data. */
function expectDamaged(bytes: Uint8Array): void {
  for (const read of [decodeTree, indexTree]) {
    let caught: unknown;
    try {
      read(bytes);
    } catch (err) {
      caught = err;
    }
    expect(isVaultError(caught, 'damaged-data'), `${read.name}: ${String(caught)}`).toBe(true);
  }
}

/** What `indexTree` tells of each entry, as decodeTree's entries would tell it. */
function indexed(bytes: Uint8Array): { entries: TreeEntry[]; fields: unknown[] } {
  const index = indexTree(bytes);
  const entries = Array.from({ length: index.count }, (_, i) => index.entry(i));
  const fields = entries.map((_, i) => ({ name: index.names[i], type: index.type(i), size: index.sizes[i], mtimeMs: index.mtimeMs[i], subtree: index.subtree(i) }));
  return { entries, fields };
}

const fieldsOf = (entries: TreeEntry[]): unknown[] => entries.map((e) => ({ name: e.name, type: e.type, size: e.size, mtimeMs: Number(e.mtimeNs / 1_000_000n), subtree: e.subtree }));

describe('encodeTree / decodeTree', () => {
  it('round-trips every entry type, sorted by name bytes', () => {
    const entries: TreeEntry[] = [
      file('b.txt', 10, { content: [id(1), id(2)], ino: 42n, ctimeNs: -5n }),
      { name: 'A-dir', type: 'dir', mode: 0o2755, mtimeNs: 0n, size: 0, subtree: id(3) },
      { name: 'link', type: 'symlink', mode: 0o777, mtimeNs: -1_000n, size: 9, target: '../../etc' },
      file('empty', 0, { mode: 0o4755 }),
      file('a\\b'), // a legal POSIX name
    ];
    const bytes = encodeTree(entries);
    const decoded = decodeTree(bytes);
    expect(decoded.map((e) => e.name)).toEqual(['A-dir', 'a\\b', 'b.txt', 'empty', 'link']);
    expect(decoded).toEqual([...entries].sort((x, y) => Buffer.compare(Buffer.from(x.name), Buffer.from(y.name))));
    expect(Buffer.from(encodeTree(decoded))).toEqual(Buffer.from(bytes));
  });

  it('writes the same bytes as every earlier version (an unchanged folder must keep its blob id)', () => {
    const entries: TreeEntry[] = [
      file('b.txt', 10, { content: [id(1), id(2)], ino: 42n, ctimeNs: -5n }),
      { name: 'A-dir', type: 'dir', mode: 0o2755, mtimeNs: 0n, size: 0, subtree: id(3) },
      { name: 'link', type: 'symlink', mode: 0o777, mtimeNs: -1_000n, size: 9, target: '../../etc' },
      { name: 'raw', nameBytes: new Uint8Array([0x72, 0xff]), type: 'symlink', mode: 0o777, mtimeNs: 7n, size: 2, target: '\ufffd', targetBytes: new Uint8Array([0xfe, 0x41]) },
      file('empty', 0, { mode: 0o4755, mtimeNs: 1n, ino: 2n ** 64n - 1n }),
    ];
    const bytes = Buffer.from(encodeTree(entries));
    // Pinned from the encoder as it was before it wrote into one buffer (format version 1).
    expect([bytes.length, createHash('sha256').update(bytes).digest('hex')]).toEqual([259, '7276d1054dd5db6a7d12a1169b3c6ddfeecc46ae57cd25d8e4690d6be0753adf']);
  });

  it('keeps non-UTF-8 names and targets byte-exact', () => {
    const rawName = Buffer.from([0x66, 0xff, 0x6f]);
    const rawTarget = Buffer.from([0x2e, 0x2e, 0x2f, 0xc3]);
    const entries: TreeEntry[] = [
      file('f\uFFFDo', 3, { nameBytes: rawName }),
      { name: 'l', type: 'symlink', mode: 0o777, mtimeNs: 1n, size: 4, target: '', targetBytes: rawTarget },
    ];
    const decoded = decodeTree(encodeTree(entries));
    const f = decoded.find((e) => e.type === 'file')!;
    expect(Buffer.from(f.nameBytes!)).toEqual(rawName);
    const l = decoded.find((e) => e.type === 'symlink')!;
    expect(Buffer.from(l.targetBytes!)).toEqual(rawTarget);
    expect(decoded.find((e) => e.name === 'l')!.nameBytes).toBeUndefined();
  });

  it('keeps NFC and NFD spellings as two names', () => {
    const nfc = 'caf\u00e9';
    const nfd = 'cafe\u0301';
    const decoded = decodeTree(encodeTree([file(nfc), file(nfd)]));
    expect(decoded.map((e) => e.name).sort()).toEqual([nfc, nfd].sort());
  });

  it('gives the same bytes for any order of the same entries', () => {
    const names = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '.' && s !== '..' && !/[\0/]/.test(s) && !/\p{Cs}/u.test(s)), {
      maxLength: 12,
      selector: (s) => Buffer.from(s).toString('hex'),
    });
    fc.assert(
      fc.property(names, fc.integer(), (ns, seed) => {
        const entries = ns.map((n, i) => file(n, i));
        const shuffled = [...entries].sort(() => ((seed = (seed * 1103515245 + 12345) | 0) & 1 ? 1 : -1));
        expect(Buffer.from(encodeTree(shuffled))).toEqual(Buffer.from(encodeTree(entries)));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses to encode entries that could not be restored safely', () => {
    const bad: TreeEntry[][] = [
      [file('')],
      [file('..')],
      [file('a/b')],
      [file('a\0b')],
      [file('x'), file('x')],
      [file('\ud800')],
      [file('x', 5, { content: [] })],
      [file('x', 1, { content: [new Uint8Array(31)] })],
      [file('x', -1, { content: [] })],
      [{ name: 'd', type: 'dir', mode: 0o755, mtimeNs: 0n, size: 0 }],
      [{ name: 'l', type: 'symlink', mode: 0o777, mtimeNs: 0n, size: 3, target: 'abcd' }],
      [file('x', 1, { mode: 0o10644 })],
    ];
    for (const entries of bad) expect(() => encodeTree(entries), entries[0]!.name).toThrow(expect.objectContaining({ kind: 'internal' }));
  });
});

describe('indexTree', () => {
  const mixed: TreeEntry[] = [
    file('b.txt', 10, { content: [id(1), id(2)], ino: 42n, ctimeNs: -5n }),
    { name: 'A-dir', type: 'dir', mode: 0o2755, mtimeNs: 0n, size: 0, subtree: id(3) },
    { name: 'link', type: 'symlink', mode: 0o777, mtimeNs: -1_999_999n, size: 9, target: '../../etc' },
    { name: 'l2', type: 'symlink', mode: 0o777, mtimeNs: 1n, size: 4, target: '', targetBytes: Buffer.from([0x2e, 0x2e, 0x2f, 0xc3]) },
    file('empty', 0, { mode: 0o4755, mtimeNs: -(2n ** 63n) }),
    file('huge', Number.MAX_SAFE_INTEGER, { mtimeNs: 2n ** 63n - 1n }),
    file('f\uFFFDo', 3, { nameBytes: Buffer.from([0x66, 0xff, 0x6f]) }),
    file('Ärger-\u{1F600}.txt'),
    file('cafe\u0301'),
  ];

  it('locates every entry as decodeTree decodes it, without decoding the rest', () => {
    const bytes = encodeTree(mixed);
    const decoded = decodeTree(bytes);
    const { entries, fields } = indexed(bytes);
    expect(entries).toEqual(decoded);
    expect(fields).toEqual(fieldsOf(decoded));
    expect(indexTree(bytes).count).toBe(mixed.length);
  });

  it('turns any int64 of nanoseconds into the milliseconds BigInt division gives', () => {
    const edges = [0n, 1n, -1n, 999_999n, 1_000_000n, -999_999n, -1_000_000n, -1_000_001n, 2n ** 32n, -(2n ** 32n), 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];
    const ns = fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(10n ** 7n), max: 10n ** 7n }));
    fc.assert(
      fc.property(ns, (mtimeNs) => {
        const index = indexTree(encodeTree([file('x', 1, { mtimeNs })]));
        expect(Object.is(index.mtimeMs[0], Number(mtimeNs / 1_000_000n) + 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps its own copy of the bytes unless told to adopt them', () => {
    const bytes = Buffer.from(encodeTree([file('a'), file('b')]));
    const copied = indexTree(bytes);
    const adopted = indexTree(bytes, undefined, { adopt: true });
    bytes.fill(0x7a, 9, 10); // the first entry's name: "a" becomes "z"
    expect(copied.entry(0).name).toBe('a');
    expect(adopted.entry(0).name).toBe('z');
    expect(() => copied.entry(2)).toThrow(RangeError);
    expect(() => copied.entry(-1)).toThrow(RangeError);
  });
});

describe('decodeTree and indexTree on untrusted bytes', () => {
  it('rejects illegal names', () => {
    for (const name of ['', '.', '..', 'a/b', '/', 'a\0']) expectDamaged(rawTree([rawEntry({ name: Buffer.from(name) })]));
  });

  it('rejects duplicate and unsorted names', () => {
    expectDamaged(rawTree([rawEntry({ name: Buffer.from('a') }), rawEntry({ name: Buffer.from('a') })]));
    expectDamaged(rawTree([rawEntry({ name: Buffer.from('b') }), rawEntry({ name: Buffer.from('a') })]));
  });

  it('rejects unknown types, flags, versions and modes', () => {
    expectDamaged(rawTree([rawEntry({ type: 4 })]));
    expectDamaged(rawTree([rawEntry({ type: 0 })]));
    expectDamaged(rawTree([rawEntry({ flags: 4 })]));
    expectDamaged(rawTree([rawEntry({})], 1, 2));
    expectDamaged(rawTree([rawEntry({ mode: 0o10000 })]));
  });

  it('rejects truncated ids, trailing bytes and impossible counts', () => {
    const good = rawTree([rawEntry({})]);
    expect(decodeTree(good)).toHaveLength(1);
    expectDamaged(good.subarray(0, good.length - 1));
    expectDamaged(Buffer.concat([good, Buffer.of(0)]));
    expectDamaged(rawTree([rawEntry({})], 2));
    expectDamaged(rawTree([], 0xffffffff));
    expectDamaged(new Uint8Array(0));
  });

  it('rejects impossible file sizes', () => {
    expectDamaged(rawTree([rawEntry({ type: 1, body: fileBody(0xffffffffffffffffn, 1) })])); // "negative" as u64
    expectDamaged(rawTree([rawEntry({ type: 1, body: fileBody(BigInt(Number.MAX_SAFE_INTEGER) + 1n, 1) })]));
    expectDamaged(rawTree([rawEntry({ type: 1, body: fileBody(5n, 0) })]));
    expectDamaged(rawTree([rawEntry({ type: 1, body: fileBody(1n, 2) })]));
    const claimsMore = fileBody(100n, 1);
    claimsMore.writeUInt32BE(3, 8);
    expectDamaged(rawTree([rawEntry({ type: 1, body: claimsMore })]));
    expect(decodeTree(rawTree([rawEntry({ type: 1, body: fileBody(0n, 0) })]))[0]).toMatchObject({ size: 0, content: [] });
  });

  it('rejects empty and NUL-containing link targets', () => {
    const target = (t: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, t.length]), t]);
    expectDamaged(rawTree([rawEntry({ type: 3, body: target(Buffer.alloc(0)) })]));
    expectDamaged(rawTree([rawEntry({ type: 3, body: target(Buffer.from('a\0b')) })]));
  });

  it('only ever returns canonical entries or throws damaged-data, whatever the bytes', () => {
    const valid = Buffer.from(
      encodeTree([
        file('b', 10, { content: [id(1), id(2)], ino: 1n, ctimeNs: 2n }),
        { name: 'd', type: 'dir', mode: 0o755, mtimeNs: 0n, size: 0, subtree: id(3) },
        { name: 's', type: 'symlink', mode: 0o777, mtimeNs: 0n, size: 1, target: 't' },
      ]),
    );
    const mutation = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(mutation, fc.nat(valid.length), (changes, cut) => {
        const bytes = Buffer.from(valid);
        for (const [at, v] of changes) bytes[at] = v;
        for (const input of [bytes, bytes.subarray(0, cut)]) {
          let entries: TreeEntry[];
          try {
            entries = decodeTree(input);
          } catch (err) {
            expect(isVaultError(err, 'damaged-data'), String(err)).toBe(true);
            continue;
          }
          // Accepted bytes are exactly what the encoder writes for those entries.
          expect(Buffer.from(encodeTree(entries))).toEqual(Buffer.from(input));
          // And the index accepts them too, telling the same entries.
          const { entries: located, fields } = indexed(input);
          expect(located).toEqual(entries);
          expect(fields).toEqual(fieldsOf(entries));
        }
      }),
      { numRuns: 500 },
    );
  });
});
