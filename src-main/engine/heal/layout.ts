/**
 * The parity layout.
 *
 * A *parity group* protects up to K sealed pack files (its *members*) with m
 * parity shards. Each member is one data shard of a Reed-Solomon code
 * RS(K, m) over GF(2^8), zero-padded to the group's shard length (the
 * longest member); slots without a member are zero shards, known to be zero,
 * so a group can grow one pack at a time: RS is linear, and adding member i
 * only adds coef(j, i) · member to parity shard j.
 *
 * Shards are cut into *stripes* of STRIPE_BYTES, and row r (stripe r of
 * every shard) is an independent codeword. Every stripe of every member and
 * parity shard has a CRC-32 in the group's *descriptor*, so damage is
 * located to the stripe: a stripe whose CRC fails is an erasure, and a row
 * with at most m erasures is rebuilt bit for bit. A deleted or truncated
 * pack is m erasures' worth only in the rows it covers, so it is rebuilt
 * whole while scattered flips elsewhere in the group are rebuilt too.
 *
 * Packs join groups by size class, so the many tiny packs that small
 * backups write do not inflate the parity of a group of full-size packs.
 *
 * On disk, in `parity/`:
 *   <group>.group        the descriptor alone
 *   <group>.<j>.parity   descriptor length (u32 LE) ‖ descriptor ‖ parity shard j
 * so the descriptor exists in 1 + m copies, each with its own SHA-256.
 * Parity bytes are linear combinations of sealed (encrypted) pack bytes and
 * reveal nothing; the descriptor holds only random pack ids, sizes and CRCs.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { VaultError } from '../errors.ts';

export const PARITY_DIR = 'parity';
export const STRIPE_BYTES = 1024;
/** Data shards per full group: 20 members with 10% redundancy gives m = 2. */
export const GROUP_MEMBERS = 20;
/** Packs below this size form groups of their own. */
export const SMALL_PACK_BYTES = 1024 * 1024;
export const DEFAULT_REDUNDANCY = 0.1;

const MAGIC = Buffer.from('MMRYPAR1', 'latin1');
const VERSION = 1;
const PACK_ID_BYTES = 16;

export type SizeClass = 'small' | 'large';

export interface GroupMember {
  packId: string;
  length: number;
}

export interface GroupDescriptor {
  /** 32 hex chars. */
  groupId: string;
  sizeClass: SizeClass;
  /** Members the code is built for (K). */
  capacity: number;
  /** Parity shards (m). */
  parityCount: number;
  stripeBytes: number;
  /** Length of every shard, the longest member's length. */
  shardLength: number;
  members: GroupMember[];
  /** CRC-32 per stripe, per member (in member order). */
  memberCrcs: Uint32Array[];
  /** CRC-32 per stripe, per parity shard. */
  parityCrcs: Uint32Array[];
}

/** m for a given redundancy; 0 turns parity off. */
export function parityShardsFor(redundancy: number, capacity = GROUP_MEMBERS): number {
  if (redundancy <= 0) return 0;
  return Math.max(1, Math.min(256 - capacity, Math.ceil(capacity * redundancy - 1e-9)));
}

export function sizeClassOf(length: number): SizeClass {
  return length < SMALL_PACK_BYTES ? 'small' : 'large';
}

export function stripeCount(length: number, stripeBytes = STRIPE_BYTES): number {
  return Math.ceil(length / stripeBytes);
}

/** CRC-32 of each stripe of `data` (the last stripe may be short). */
export function stripeCrcs(data: Uint8Array, stripeBytes = STRIPE_BYTES): Uint32Array {
  const out = new Uint32Array(stripeCount(data.length, stripeBytes));
  for (let i = 0, o = 0; o < data.length; i++, o += stripeBytes) out[i] = crc32(data.subarray(o, Math.min(o + stripeBytes, data.length)));
  return out;
}

export function encodeDescriptor(d: GroupDescriptor): Buffer {
  const head = Buffer.alloc(MAGIC.length + 1 + PACK_ID_BYTES + 1 + 2 + 2 + 4 + 8 + 2);
  let o = MAGIC.copy(head, 0);
  o = head.writeUInt8(VERSION, o);
  o += Buffer.from(d.groupId, 'hex').copy(head, o);
  o = head.writeUInt8(d.sizeClass === 'small' ? 0 : 1, o);
  o = head.writeUInt16LE(d.capacity, o);
  o = head.writeUInt16LE(d.parityCount, o);
  o = head.writeUInt32LE(d.stripeBytes, o);
  o = head.writeBigUInt64LE(BigInt(d.shardLength), o);
  head.writeUInt16LE(d.members.length, o);
  const members = Buffer.alloc(d.members.length * (PACK_ID_BYTES + 8));
  d.members.forEach((m, i) => {
    Buffer.from(m.packId, 'hex').copy(members, i * 24);
    members.writeBigUInt64LE(BigInt(m.length), i * 24 + 16);
  });
  const crcs = [...d.memberCrcs, ...d.parityCrcs].map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  const body = Buffer.concat([head, members, ...crcs]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** Decodes and checks a descriptor; undefined when it is damaged (checksum, structure). */
export function decodeDescriptor(bytes: Uint8Array): GroupDescriptor | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 32) return undefined;
  const body = buf.subarray(0, buf.length - 32);
  if (!createHash('sha256').update(body).digest().equals(buf.subarray(buf.length - 32))) return undefined;
  if (!body.subarray(0, MAGIC.length).equals(MAGIC) || body[MAGIC.length] !== VERSION) return undefined;
  let o = MAGIC.length + 1;
  const groupId = body.subarray(o, o + PACK_ID_BYTES).toString('hex');
  o += PACK_ID_BYTES;
  const sizeClass: SizeClass = body.readUInt8(o) === 0 ? 'small' : 'large';
  o += 1;
  const capacity = body.readUInt16LE(o);
  const parityCount = body.readUInt16LE(o + 2);
  const stripeBytes = body.readUInt32LE(o + 4);
  const shardLength = Number(body.readBigUInt64LE(o + 8));
  const count = body.readUInt16LE(o + 16);
  o += 18;
  if (stripeBytes === 0 || count > capacity || capacity + parityCount > 256) return undefined;
  const members: GroupMember[] = [];
  for (let i = 0; i < count; i++, o += 24) {
    if (o + 24 > body.length) return undefined;
    members.push({ packId: body.subarray(o, o + 16).toString('hex'), length: Number(body.readBigUInt64LE(o + 16)) });
  }
  const take = (n: number): Uint32Array | undefined => {
    if (o + n * 4 > body.length) return undefined;
    const copy = new Uint32Array(n);
    Buffer.from(copy.buffer).set(body.subarray(o, o + n * 4));
    o += n * 4;
    return copy;
  };
  const memberCrcs: Uint32Array[] = [];
  for (const m of members) {
    const c = take(stripeCount(m.length, stripeBytes));
    if (!c) return undefined;
    memberCrcs.push(c);
  }
  const parityCrcs: Uint32Array[] = [];
  for (let j = 0; j < parityCount; j++) {
    const c = take(stripeCount(shardLength, stripeBytes));
    if (!c) return undefined;
    parityCrcs.push(c);
  }
  if (o !== body.length) return undefined;
  return { groupId, sizeClass, capacity, parityCount, stripeBytes, shardLength, members, memberCrcs, parityCrcs };
}

export function groupFileName(groupId: string): string {
  return `${groupId}.group`;
}

export function parityFileName(groupId: string, j: number): string {
  return `${groupId}.${j}.parity`;
}

/** Parses `<32 hex>.group` / `<32 hex>.<j>.parity`. */
export function parseParityName(name: string): { groupId: string; shard: number | null } | undefined {
  const m = /^([0-9a-f]{32})\.(?:group|(\d{1,3})\.parity)$/.exec(name);
  if (!m) return undefined;
  return { groupId: m[1]!, shard: m[2] === undefined ? null : Number(m[2]) };
}

export function assertRedundancy(r: number): void {
  if (!Number.isFinite(r) || r < 0 || r > 2) throw new VaultError('invalid-argument', 'Redundancy must be between 0 and 200 percent.');
}
