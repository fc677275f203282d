/**
 * The tree blob: one directory's listing in a canonical binary form.
 *
 * Canonical means the bytes are a function of the entries alone: entries are
 * sorted by name bytes, every field has one fixed width and one encoding, and
 * optional fields are announced by flag bits. An unchanged directory therefore
 * encodes to the same bytes, gets the same blob id and is stored once.
 *
 *   tree   = version u8 (= 1) | count u32 | entry * count
 *   entry  = type u8 (1 file, 2 dir, 3 symlink) | flags u8 (1 ino, 2 ctime)
 *            | nameLen u16 | name bytes | mode u16 | mtimeNs i64
 *            | [ino u64] | [ctimeNs i64]
 *            | file:    size u64 | n u32 | n * 32-byte content blob ids
 *            | dir:     32-byte subtree blob id
 *            | symlink: targetLen u32 | target bytes
 *   (all integers big-endian)
 *
 * Sizes are stored for files only: a directory's size is 0 and a symlink's
 * is its target's byte length, so neither can disagree with the data.
 *
 * `decodeTree` reads tree bytes as untrusted even though they were
 * authenticated: a bug or an older writer must not be able to hand the
 * restorer a name such as "..". Anything off is VaultError('damaged-data').
 */
import { isUtf8 } from 'node:buffer';
import { VaultError } from '../errors.ts';
import { compareNameBytes, isWellFormedName, nameBytesOf, nameFromBytes, nameProblem } from './names.ts';

export const TREE_FORMAT_VERSION = 1;
export const BLOB_ID_LENGTH = 32;

export type EntryType = 'file' | 'dir' | 'symlink';

export interface TreeEntry {
  /** The name; for display only when `nameBytes` is present. */
  name: string;
  /** The raw name, present only when it is not valid UTF-8. */
  nameBytes?: Uint8Array;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky: st_mode & 0o7777. */
  mode: number;
  mtimeNs: bigint;
  /** File: bytes stored in `content`. Dir: 0. Symlink: target byte length. */
  size: number;
  /** File: content blob ids in order; empty exactly when size is 0. */
  content?: Uint8Array[];
  /** Dir: the subdirectory's tree blob id. */
  subtree?: Uint8Array;
  /** Symlink: the target as stored by readlink, never resolved. */
  target?: string;
  /** Symlink: the raw target, present only when it is not valid UTF-8. */
  targetBytes?: Uint8Array;
  /** For change detection on the next backup only; never restored. */
  ino?: bigint;
  ctimeNs?: bigint;
}

/** The type byte of an entry (also `TreeIndex.types`). */
export const ENTRY_TYPE_CODE: Readonly<Record<EntryType, number>> = { file: 1, dir: 2, symlink: 3 };
const TYPE_CODE = ENTRY_TYPE_CODE;
const TYPE_OF_CODE: Record<number, EntryType | undefined> = { 1: 'file', 2: 'dir', 3: 'symlink' };
const FLAG_INO = 1;
const FLAG_CTIME = 2;
const MAX_NAME = 0xffff;
const MAX_MODE = 0o7777;
/** type + flags + nameLen + 1 name byte + mode + mtime + smallest body (symlink of 1 byte). */
const MIN_ENTRY_BYTES = 1 + 1 + 2 + 1 + 2 + 8 + 4 + 1;

/** Raw bytes of a symlink target. */
export function targetBytesOf(entry: Pick<TreeEntry, 'target' | 'targetBytes'>): Uint8Array | undefined {
  if (entry.targetBytes) return entry.targetBytes;
  return entry.target === undefined ? undefined : Buffer.from(entry.target, 'utf8');
}

// ---------------------------------------------------------------- encoding

/**
 * Checks every entry and sizes it first, then writes all of them into one
 * buffer: a backup encodes every new folder on the main thread, and a few
 * small buffers per entry (then concatenated) made this one of its larger
 * sources of garbage.
 */
export function encodeTree(entries: readonly TreeEntry[]): Uint8Array {
  const named = entries.map((entry) => ({ entry, bytes: nameBytesOf(entry) }));
  named.sort((a, b) => compareNameBytes(a.bytes, b.bytes));
  let size = TREE_HEADER_BYTES;
  for (let i = 0; i < named.length; i++) {
    const { entry, bytes } = named[i]!;
    if (i > 0 && compareNameBytes(named[i - 1]!.bytes, bytes) === 0) {
      throw invalid(entry, 'appears twice in one directory');
    }
    size += checkedEntryBytes(entry, bytes);
  }
  const out = Buffer.alloc(size);
  let at = out.writeUInt8(TREE_FORMAT_VERSION, 0);
  at = out.writeUInt32BE(named.length, at);
  for (const { entry, bytes } of named) at = writeEntry(out, at, entry, bytes);
  if (at !== size) throw new VaultError('internal', `A tree encoded to ${at} bytes instead of the ${size} it was sized at.`);
  return out;
}

const TREE_HEADER_BYTES = 1 + 4;
/** type + flags + nameLen, then after the name: mode + mtimeNs. */
const ENTRY_HEAD_BYTES = 1 + 1 + 2;
const ENTRY_TAIL_BYTES = 2 + 8;

/** The encoded length of an entry, once it has passed every check `encodeTree` makes. */
function checkedEntryBytes(entry: TreeEntry, name: Uint8Array): number {
  if (!isWellFormedName(entry.name)) throw invalid(entry, 'has a name with a lone surrogate');
  const problem = nameProblem(name);
  if (problem !== undefined) throw invalid(entry, `is not a legal name: ${problem}`);
  if (name.length > MAX_NAME) throw invalid(entry, 'has a name that is too long');
  if (TYPE_CODE[entry.type] === undefined) throw invalid(entry, `has an unknown type ${String(entry.type)}`);
  if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > MAX_MODE) throw invalid(entry, 'has mode bits out of range');
  checkInt64(entry, entry.mtimeNs, 'mtimeNs');
  let bytes = ENTRY_HEAD_BYTES + name.length + ENTRY_TAIL_BYTES;
  if (entry.ino !== undefined) {
    if (typeof entry.ino !== 'bigint' || BigInt.asUintN(64, entry.ino) !== entry.ino) throw invalid(entry, 'has an inode number out of range');
    bytes += 8;
  }
  if (entry.ctimeNs !== undefined) {
    checkInt64(entry, entry.ctimeNs, 'ctimeNs');
    bytes += 8;
  }
  return bytes + checkedBodyBytes(entry);
}

function checkedBodyBytes(entry: TreeEntry): number {
  switch (entry.type) {
    case 'file': {
      if (entry.subtree !== undefined || entry.target !== undefined || entry.targetBytes !== undefined) throw invalid(entry, 'is a file with directory or link fields');
      const content = entry.content ?? [];
      checkFileSize(entry, entry.size, content.length, invalid);
      for (let i = 0; i < content.length; i++) checkId(entry, content[i]!);
      return 8 + 4 + content.length * BLOB_ID_LENGTH;
    }
    case 'dir': {
      if (entry.content !== undefined || entry.target !== undefined || entry.targetBytes !== undefined) throw invalid(entry, 'is a directory with file or link fields');
      if (entry.size !== 0) throw invalid(entry, 'is a directory with a size other than 0');
      if (entry.subtree === undefined) throw invalid(entry, 'is a directory without a subtree id');
      checkId(entry, entry.subtree);
      return BLOB_ID_LENGTH;
    }
    case 'symlink': {
      if (entry.content !== undefined || entry.subtree !== undefined) throw invalid(entry, 'is a symlink with file or directory fields');
      if (entry.target !== undefined && !isWellFormedName(entry.target)) throw invalid(entry, 'has a link target with a lone surrogate');
      const target = targetBytesOf(entry);
      if (target === undefined) throw invalid(entry, 'is a symlink without a target');
      const problem = targetProblem(target);
      if (problem !== undefined) throw invalid(entry, problem);
      if (entry.size !== target.length) throw invalid(entry, 'is a symlink whose size is not its target length');
      return 4 + target.length;
    }
  }
}

/** Writes a checked entry at `at`; returns the offset after it. */
function writeEntry(out: Buffer, at: number, entry: TreeEntry, name: Uint8Array): number {
  const hasIno = entry.ino !== undefined;
  const hasCtime = entry.ctimeNs !== undefined;
  at = out.writeUInt8(TYPE_CODE[entry.type], at);
  at = out.writeUInt8((hasIno ? FLAG_INO : 0) | (hasCtime ? FLAG_CTIME : 0), at);
  at = out.writeUInt16BE(name.length, at);
  out.set(name, at);
  at += name.length;
  at = out.writeUInt16BE(entry.mode, at);
  at = out.writeBigInt64BE(entry.mtimeNs, at);
  if (hasIno) at = out.writeBigUInt64BE(entry.ino!, at);
  if (hasCtime) at = out.writeBigInt64BE(entry.ctimeNs!, at);
  switch (entry.type) {
    case 'file': {
      const content = entry.content ?? [];
      at = out.writeBigUInt64BE(BigInt(entry.size), at);
      at = out.writeUInt32BE(content.length, at);
      for (let i = 0; i < content.length; i++) {
        out.set(content[i]!, at);
        at += BLOB_ID_LENGTH;
      }
      return at;
    }
    case 'dir':
      out.set(entry.subtree!, at);
      return at + BLOB_ID_LENGTH;
    case 'symlink': {
      const target = targetBytesOf(entry)!;
      at = out.writeUInt32BE(target.length, at);
      out.set(target, at);
      return at + target.length;
    }
  }
}

function checkInt64(entry: TreeEntry, v: bigint, field: string): void {
  if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) throw invalid(entry, `has ${field} out of range`);
}

function checkId(entry: TreeEntry, id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length !== BLOB_ID_LENGTH) throw invalid(entry, `has a blob id that is not ${BLOB_ID_LENGTH} bytes`);
}

function checkFileSize(entry: TreeEntry, size: number, blobs: number, fail: (e: TreeEntry, why: string) => VaultError): void {
  const problem = fileSizeProblem(size, blobs);
  if (problem !== undefined) throw fail(entry, problem);
}

/** Every content blob holds at least one byte, so 0 < blobs <= size, or both are 0. */
function fileSizeProblem(size: number, blobs: number): string | undefined {
  if (!Number.isSafeInteger(size) || size < 0) return 'has a size that is negative or too large';
  if (blobs > size) return 'has more content blobs than bytes';
  if (size > 0 && blobs === 0) return 'has bytes but no content blobs';
  return undefined;
}

function targetProblem(target: Uint8Array): string | undefined {
  if (target.length === 0) return 'is a symlink with an empty target';
  if (target.includes(0)) return 'is a symlink whose target contains a NUL byte';
  return undefined;
}

function invalid(entry: TreeEntry, why: string): VaultError {
  return new VaultError('internal', `Cannot record the entry "${String(entry.name)}" in a tree: it ${why}.`);
}

// ---------------------------------------------------------------- decoding

/**
 * Reads a tree written by `encodeTree`. `label` (e.g. the blob id in hex)
 * goes into the error message.
 */
export function decodeTree(bytes: Uint8Array, label?: string): TreeEntry[] {
  const r = new Reader(ownCopy(bytes), label);
  const version = r.u8();
  if (version !== TREE_FORMAT_VERSION) throw r.damaged(`unknown format version ${version}`);
  const count = r.u32();
  if (count * MIN_ENTRY_BYTES > r.remaining()) throw r.damaged(`it claims ${count} entries, more than its length allows`);
  const entries: TreeEntry[] = [];
  let previous: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const entry = decodeEntry(r, i);
    const nameBytes = r.lastName!;
    if (previous !== undefined && compareNameBytes(previous, nameBytes) >= 0) {
      throw r.damaged(`entry ${i} is out of order or repeats a name`);
    }
    previous = nameBytes;
    entries.push(entry);
  }
  if (r.remaining() !== 0) throw r.damaged('it has bytes after its last entry');
  return entries;
}

/** One entry; its name's bytes are left in `r.lastName` (for the order check). */
function decodeEntry(r: Reader, i: number): TreeEntry {
  const type = TYPE_OF_CODE[r.u8()];
  if (type === undefined) throw r.damaged(`entry ${i} has an unknown type`);
  const flags = r.u8();
  if ((flags & ~(FLAG_INO | FLAG_CTIME)) !== 0) throw r.damaged(`entry ${i} has unknown flags`);
  const nameBytes = r.bytes(r.u16());
  r.lastName = nameBytes;
  const problem = nameProblem(nameBytes);
  if (problem !== undefined) throw r.damaged(`entry ${i} has an illegal name: ${problem}`);
  const mode = r.u16();
  if (mode > MAX_MODE) throw r.damaged(`entry ${i} has mode bits out of range`);
  // Most names are ASCII: read them straight from the tree's bytes, no UTF-8 validation pass.
  const name = isAscii(nameBytes) ? r.latin1(nameBytes) : nameFromBytes(nameBytes);
  const entry: TreeEntry = typeof name === 'string' ? { name, type, mode, mtimeNs: r.i64(), size: 0 } : { ...name, type, mode, mtimeNs: r.i64(), size: 0 };
  if (flags & FLAG_INO) entry.ino = r.u64();
  if (flags & FLAG_CTIME) entry.ctimeNs = r.i64();

  switch (type) {
    case 'file': {
      const size = r.u64();
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw r.damaged(`entry ${i} has a size that is too large`);
      entry.size = Number(size);
      const n = r.u32();
      if (n * BLOB_ID_LENGTH > r.remaining()) throw r.damaged(`entry ${i} claims more content ids than the tree holds`);
      checkFileSize(entry, entry.size, n, (_e, why) => r.damaged(`entry ${i} ${why}`));
      const content: Uint8Array[] = [];
      for (let k = 0; k < n; k++) content.push(r.bytes(BLOB_ID_LENGTH));
      entry.content = content;
      break;
    }
    case 'dir':
      entry.subtree = r.bytes(BLOB_ID_LENGTH);
      break;
    case 'symlink': {
      const target = r.bytes(r.u32());
      const why = targetProblem(target);
      if (why !== undefined) throw r.damaged(`entry ${i} ${why}`);
      entry.size = target.length;
      entry.target = Buffer.from(target).toString('utf8');
      if (!isUtf8(target)) entry.targetBytes = target;
      break;
    }
  }
  return entry;
}

// ---------------------------------------------------------------- indexing

/**
 * A tree located rather than decoded: one validating pass over its bytes
 * records where each entry starts and the fields a folder listing sorts and
 * counts by (name, type, size, mtime in milliseconds) in flat arrays, with no
 * entry objects and no BigInt. A page of a 100,000-entry folder then builds
 * its 200 entries (`entry`), not 100,000 of them: browsing a huge folder
 * costs one pass over the blob plus the sort, and little garbage.
 *
 * The pass refuses exactly what `decodeTree` refuses, and `entry(i)` is
 * `decodeTree(bytes)[i]` (tree.test.ts holds both to that), so the index is
 * only a faster way to read the same canonical tree, not a second format.
 */
export class TreeIndex {
  readonly count: number;
  /** Each entry's `TreeEntry.name` (display name), in tree order. */
  readonly names: string[];
  /** Each entry's type code: 1 file, 2 dir, 3 symlink. */
  readonly types: Uint8Array;
  /** Each entry's `TreeEntry.size`. */
  readonly sizes: Float64Array;
  /** Each entry's mtime in milliseconds, `Number(mtimeNs / 1_000_000n)` (truncated toward zero). */
  readonly mtimeMs: Float64Array;
  readonly #buf: Buffer;
  readonly #starts: Uint32Array;
  readonly #label: string | undefined;

  constructor(buf: Buffer, label: string | undefined, starts: Uint32Array, names: string[], types: Uint8Array, sizes: Float64Array, mtimeMs: Float64Array) {
    this.#buf = buf;
    this.#label = label;
    this.#starts = starts;
    this.count = starts.length;
    this.names = names;
    this.types = types;
    this.sizes = sizes;
    this.mtimeMs = mtimeMs;
  }

  type(i: number): EntryType {
    return TYPE_OF_CODE[this.types[i]!]!;
  }

  /** A directory entry's subtree id (a view into the tree's bytes: its last 32 bytes), else undefined. */
  subtree(i: number): Uint8Array | undefined {
    if (this.types[i] !== TYPE_DIR) return undefined;
    const end = i + 1 < this.count ? this.#starts[i + 1]! : this.#buf.length;
    return new Uint8Array(this.#buf.buffer, this.#buf.byteOffset + end - BLOB_ID_LENGTH, BLOB_ID_LENGTH);
  }

  /** The whole entry at position `i` (0 ≤ i < count), decoded from the tree's bytes. */
  entry(i: number): TreeEntry {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`entry ${i} of a tree of ${this.count}`);
    return decodeEntry(new Reader(this.#buf, this.#label, this.#starts[i]!), i);
  }
}

const TYPE_DIR = TYPE_CODE.dir;
const TYPE_SYMLINK = TYPE_CODE.symlink;
const SLASH = 0x2f;
const DOT = 0x2e;
const TWO_32 = 2 ** 32;

/**
 * Locates the entries of tree bytes written by `encodeTree`, checking them as
 * `decodeTree` does. The index keeps a copy of the bytes unless `adopt` says
 * the caller hands them over (a buffer it made and no one else holds).
 */
export function indexTree(bytes: Uint8Array, label?: string, options: { adopt?: boolean } = {}): TreeIndex {
  const buf = options.adopt ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : ownCopy(bytes);
  const end = buf.length;
  const fail = (why: string): VaultError => damagedTree(label, why);
  const need = (at: number, n: number): void => {
    if (at + n > end) throw fail('it ends in the middle of an entry');
  };
  need(0, 5);
  const version = buf[0]!;
  if (version !== TREE_FORMAT_VERSION) throw fail(`unknown format version ${version}`);
  const count = buf.readUInt32BE(1);
  if (count * MIN_ENTRY_BYTES > end - 5) throw fail(`it claims ${count} entries, more than its length allows`);
  const starts = new Uint32Array(count);
  const names = new Array<string>(count);
  const types = new Uint8Array(count);
  const sizes = new Float64Array(count);
  const mtimeMs = new Float64Array(count);
  let pos = 5;
  let previousAt = 0;
  let previousEnd = 0;
  for (let i = 0; i < count; i++) {
    starts[i] = pos;
    need(pos, 4);
    const code = buf[pos]!;
    if (TYPE_OF_CODE[code] === undefined) throw fail(`entry ${i} has an unknown type`);
    if ((buf[pos + 1]! & ~(FLAG_INO | FLAG_CTIME)) !== 0) throw fail(`entry ${i} has unknown flags`);
    const flags = buf[pos + 1]!;
    const nameAt = pos + 4;
    const nameEnd = nameAt + ((buf[pos + 2]! << 8) | buf[pos + 3]!);
    need(nameAt, nameEnd - nameAt + 10);
    // One look at each name byte: ASCII or not, and whether `nameProblem` needs asking.
    let high = 0;
    let suspect = nameEnd === nameAt || (nameEnd - nameAt <= 2 && buf[nameAt] === DOT);
    for (let k = nameAt; k < nameEnd; k++) {
      const b = buf[k]!;
      high |= b;
      if (b === SLASH || b === 0) suspect = true;
    }
    if (suspect) {
      const problem = nameProblem(buf.subarray(nameAt, nameEnd));
      if (problem !== undefined) throw fail(`entry ${i} has an illegal name: ${problem}`);
    }
    if (i > 0 && !bytesBefore(buf, previousAt, previousEnd, nameAt, nameEnd)) throw fail(`entry ${i} is out of order or repeats a name`);
    previousAt = nameAt;
    previousEnd = nameEnd;
    names[i] = high < 0x80 ? buf.toString('latin1', nameAt, nameEnd) : nameFromBytes(buf.subarray(nameAt, nameEnd)).name;
    if (buf.readUInt16BE(nameEnd) > MAX_MODE) throw fail(`entry ${i} has mode bits out of range`);
    mtimeMs[i] = msOfNs(buf.readInt32BE(nameEnd + 2), buf.readUInt32BE(nameEnd + 6));
    pos = nameEnd + 10;
    if (flags & FLAG_INO) pos += 8;
    if (flags & FLAG_CTIME) pos += 8;
    types[i] = code;
    if (code === TYPE_DIR) {
      need(pos, BLOB_ID_LENGTH);
      pos += BLOB_ID_LENGTH;
    } else if (code === TYPE_SYMLINK) {
      need(pos, 4);
      const length = buf.readUInt32BE(pos);
      need(pos + 4, length);
      const why = targetProblem(buf.subarray(pos + 4, pos + 4 + length));
      if (why !== undefined) throw fail(`entry ${i} ${why}`);
      sizes[i] = length;
      pos += 4 + length;
    } else {
      need(pos, 12);
      const high32 = buf.readUInt32BE(pos);
      if (high32 > 0x1fffff) throw fail(`entry ${i} has a size that is too large`);
      const size = high32 * TWO_32 + buf.readUInt32BE(pos + 4);
      const blobs = buf.readUInt32BE(pos + 8);
      pos += 12;
      if (blobs * BLOB_ID_LENGTH > end - pos) throw fail(`entry ${i} claims more content ids than the tree holds`);
      const why = fileSizeProblem(size, blobs);
      if (why !== undefined) throw fail(`entry ${i} ${why}`);
      sizes[i] = size;
      pos += blobs * BLOB_ID_LENGTH;
    }
  }
  if (pos !== end) throw fail(pos > end ? 'it ends in the middle of an entry' : 'it has bytes after its last entry');
  return new TreeIndex(buf, label, starts, names, types, sizes, mtimeMs);
}

/** buf[a, aEnd) sorts strictly before buf[b, bEnd) in byte order (`compareNameBytes`), without a view per name. */
function bytesBefore(buf: Buffer, a: number, aEnd: number, b: number, bEnd: number): boolean {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let k = 0; k < n; k++) {
    const d = buf[a + k]! - buf[b + k]!;
    if (d !== 0) return d < 0;
  }
  return aEnd - a < bEnd - b;
}

/**
 * Nanoseconds given as the high (signed) and low 32 bits of an i64, to
 * milliseconds truncated toward zero, exactly: the i64 itself may exceed
 * 2^53, but 2^32 = 4294 * 10^6 + 967296 splits it into parts that do not.
 */
function msOfNs(high: number, low: number): number {
  const whole = high * 4294;
  const rest = high * 967296 + low; // |rest| < 2^52
  // The i64 is negative exactly when its high word is; `whole` is an integer, so truncating the sum truncates `rest`.
  const ms = whole + (high >= 0 ? Math.floor(rest / 1e6) : Math.ceil(rest / 1e6));
  return ms === 0 ? 0 : ms; // no -0
}

/**
 * One copy of the whole tree; names and ids are views into it. Decoded entries
 * so never alias the caller's buffer, and a 100,000-entry tree costs one
 * allocation, not 200,000.
 */
function ownCopy(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

function isAscii(bytes: Uint8Array): boolean {
  for (let k = 0; k < bytes.length; k++) if (bytes[k]! >= 0x80) return false;
  return true;
}

class Reader {
  private readonly buf: Buffer;
  private pos = 0;
  private readonly label: string | undefined;
  /** The name bytes of the entry decoded last. */
  lastName: Uint8Array | undefined;

  /**
   * `buf` must be the tree's own copy (see `ownCopy`): names and ids are views
   * into it. `pos` starts the reader at an entry (`TreeIndex.entry`).
   */
  constructor(buf: Buffer, label: string | undefined, pos = 0) {
    this.buf = buf;
    this.label = label;
    this.pos = pos;
  }

  remaining(): number {
    return this.buf.length - this.pos;
  }

  private take(n: number): number {
    if (n > this.remaining()) throw this.damaged('it ends in the middle of an entry');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }

  u16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  u32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  u64(): bigint {
    return this.buf.readBigUInt64BE(this.take(8));
  }

  i64(): bigint {
    return this.buf.readBigInt64BE(this.take(8));
  }

  /** Bytes that `bytes` returned, as a string: for ASCII, the same as UTF-8. */
  latin1(view: Uint8Array): string {
    const at = view.byteOffset - this.buf.byteOffset;
    return this.buf.toString('latin1', at, at + view.length);
  }

  /** A view into this reader's own copy of the tree (see the constructor). */
  bytes(n: number): Uint8Array {
    const at = this.take(n);
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + at, n);
  }

  damaged(why: string): VaultError {
    return damagedTree(this.label, why);
  }
}

function damagedTree(label: string | undefined, why: string): VaultError {
  const which = label === undefined ? 'A tree' : `Tree ${label.slice(0, 12)}`;
  return new VaultError('damaged-data', `${which} in the vault is damaged: ${why}.`);
}
