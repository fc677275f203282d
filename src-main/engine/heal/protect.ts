/**
 * ParityProtector: adds freshly sealed packs to parity groups.
 *
 * During a backup, each pack is handed over right after it is sealed; its
 * bytes (just written, so read back from the page cache) are folded into the
 * open group's parity in a worker thread: cell e of every row of parity file
 * j ^= coef(j·cells + e, i·cells + c) · cell c of that row of the pack. At
 * the end of the run the touched groups are written once. Nothing already in
 * the vault is re-read, except the open groups' parity shards.
 *
 * Invariant: members are only appended to a group, and a group is written
 * whole (parity shards, then its descriptor), so after a crash every group
 * on disk is consistent with the members it lists; packs sealed after the
 * last write are simply not protected yet (verify reports them, repair or the
 * next backup protects them).
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { VaultError } from '../errors.ts';
import { packPath } from '../packs/index.ts';
import type { WorkerPool } from '../workers/index.ts';
import { LAYOUT, grownShardLength, parityShardsFor, sizeClassOf } from './layout.ts';
import type { GroupDescriptor, GroupLayout, SizeClass } from './layout.ts';
import { loadGroups, readParityShard, readSettings, writeGroup } from './parity-store.ts';
import type { StoredGroup } from './parity-store.ts';
import { ReedSolomon } from './rs/index.ts';

interface OpenGroup {
  desc: GroupDescriptor;
  /** Parity accumulators, shared with the workers; at least shardLength long. */
  parity: SharedArrayBuffer[];
  dirty: boolean;
}

export class ParityProtector {
  readonly #vaultDir: string;
  readonly #packsDir: string;
  readonly #pool: WorkerPool;
  readonly #layout: Readonly<GroupLayout>;
  readonly #parityCount: number;
  readonly #rs: ReedSolomon | undefined;
  readonly #open = new Map<SizeClass, OpenGroup>();
  readonly #queues = new Map<SizeClass, Promise<void>>();
  /** Open groups found on disk, loaded on first use (an unchanged backup touches only the small class). */
  #stored: Map<SizeClass, StoredGroup> | undefined;
  readonly #closed: OpenGroup[] = [];
  #failure: unknown;
  readonly #scratch = new Map<SizeClass, SharedArrayBuffer>();

  private constructor(vaultDir: string, packsDir: string, pool: WorkerPool, layout: Readonly<GroupLayout>, parityCount: number) {
    this.#vaultDir = vaultDir;
    this.#packsDir = packsDir;
    this.#pool = pool;
    this.#layout = layout;
    this.#parityCount = parityCount;
    this.#rs = parityCount > 0 ? new ReedSolomon(layout.capacity * layout.cells, parityCount * layout.cells) : undefined;
  }

  /** Loads the vault's redundancy and its open (not yet full) groups of `layout` (today's, but for tests). */
  static async open(vaultDir: string, packsDir: string, pool: WorkerPool, layout: Readonly<GroupLayout> = LAYOUT): Promise<ParityProtector> {
    const { redundancy } = await readSettings(vaultDir);
    const protector = new ParityProtector(vaultDir, packsDir, pool, layout, parityShardsFor(redundancy, layout.capacity, layout.cells));
    if (protector.enabled) await protector.#findOpenGroups();
    return protector;
  }

  get enabled(): boolean {
    return this.#parityCount > 0;
  }

  /** Folds one sealed pack into its size class's open group. */
  add(packId: string, length: number): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    const sizeClass = sizeClassOf(length);
    // One queue per size class: loading the stored group, choosing the member
    // slot and folding happen in call order, one pack at a time.
    const step = (this.#queues.get(sizeClass) ?? Promise.resolve()).then(async () => {
      if (this.#failure !== undefined) throw this.#failure;
      const stored = this.#stored?.get(sizeClass);
      if (stored) {
        this.#stored!.delete(sizeClass);
        const loaded = await this.#loadGroup(stored);
        if (loaded) this.#open.set(sizeClass, loaded);
      }
      await this.#fold(this.#groupFor(sizeClass), packId, length);
    });
    this.#queues.set(
      sizeClass,
      step.catch((err: unknown) => {
        this.#failure ??= err;
      }),
    );
    return step;
  }

  /** Waits for every addition and writes the groups that changed. */
  async finish(): Promise<void> {
    await Promise.all(this.#queues.values());
    const groups = [...this.#closed, ...this.#open.values()];
    if (this.#failure !== undefined) throw this.#failure;
    for (const g of groups) {
      if (!g.dirty || g.desc.members.length === 0) continue;
      // Parity CRCs once per run, in the workers, not after every pack.
      g.desc.parityCrcs = await Promise.all(g.parity.map((p) => this.#pool.crc(p, g.desc.shardLength, g.desc.stripeBytes)));
      await writeGroup(this.#vaultDir, g.desc, g.parity.map((p) => new Uint8Array(p, 0, g.desc.shardLength)));
      g.dirty = false;
    }
  }

  async #findOpenGroups(): Promise<void> {
    this.#stored = new Map();
    for (const stored of (await loadGroups(this.#vaultDir)).values()) {
      const d = stored.desc;
      // Only groups of today's layout grow; an older group stays as it is, verified and repaired by its own descriptor.
      const l = this.#layout;
      const current = d.capacity === l.capacity && d.parityCount === this.#parityCount && d.cells === l.cells && d.stripeBytes === l.stripeBytes;
      if (d.members.length >= d.capacity || !current || this.#stored.has(d.sizeClass)) continue;
      // Only a group whose every parity shard is current can grow; a damaged one waits for repair.
      if (stored.shardCurrent.every(Boolean)) this.#stored.set(d.sizeClass, stored);
    }
  }

  /** The stored group's parity, or undefined when a shard fails its CRCs (then a new group starts). */
  async #loadGroup(stored: StoredGroup): Promise<OpenGroup | undefined> {
    const d = stored.desc;
    const parity: SharedArrayBuffer[] = [];
    for (let j = 0; j < d.parityCount; j++) {
      const bytes = await readParityShard(this.#vaultDir, stored, j);
      if (!bytes) return undefined;
      const sab = new SharedArrayBuffer(d.shardLength);
      new Uint8Array(sab).set(bytes);
      if (!sameCrcs(await this.#pool.crc(sab, d.shardLength, d.stripeBytes), d.parityCrcs[j]!)) return undefined;
      parity.push(sab);
    }
    return { desc: d, parity, dirty: false };
  }

  #groupFor(sizeClass: SizeClass): OpenGroup {
    let group = this.#open.get(sizeClass);
    if (group && group.desc.members.length >= group.desc.capacity) {
      this.#closed.push(group);
      group = undefined;
    }
    if (!group) {
      group = {
        desc: {
          groupId: randomBytes(16).toString('hex'),
          sizeClass,
          capacity: this.#layout.capacity,
          parityCount: this.#parityCount,
          stripeBytes: this.#layout.stripeBytes,
          cells: this.#layout.cells,
          shardLength: 0,
          members: [],
          memberCrcs: [],
          parityCrcs: [],
        },
        parity: Array.from({ length: this.#parityCount }, () => new SharedArrayBuffer(0)),
        dirty: false,
      };
      this.#open.set(sizeClass, group);
    }
    return group;
  }

  async #fold(group: OpenGroup, packId: string, length: number): Promise<void> {
    const d = group.desc;
    const index = d.members.length;
    // Read straight into the buffer the worker folds (just written: from the page cache). Folds
    // of one size class run one at a time, so one buffer per class serves them all: a fresh
    // SharedArrayBuffer per pack would live until the worker's heap happens to collect it.
    let data = this.#scratch.get(d.sizeClass);
    if (!data || data.byteLength < length) this.#scratch.set(d.sizeClass, (data = new SharedArrayBuffer(length)));
    await readPackInto(packPath(this.#packsDir, packId), new Uint8Array(data, 0, length), packId);
    const shardLength = grownShardLength(d, length);
    if (shardLength > d.shardLength) {
      group.parity = group.parity.map((old) => grow(old, d.shardLength, shardLength));
      d.shardLength = shardLength;
    }
    // Cell c of the member's rows is symbol index·cells + c; cell e of parity file j's rows is parity symbol j·cells + e.
    const C = d.cells;
    const coefs = Array.from({ length: d.parityCount * C * C }, (_, n) => this.#rs!.coefficient(Math.floor(n / C), index * C + (n % C)));
    const crcs = await this.#pool.parity({ buffer: data, length, parity: group.parity, coefs, stripeBytes: d.stripeBytes, cells: C });
    d.members.push({ packId, length });
    d.memberCrcs.push(crcs);
    group.dirty = true;
  }
}

/** Reads exactly `into.length` bytes of a pack; a pack of any other size changed under us. */
async function readPackInto(path: string, into: Uint8Array, packId: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    if ((await handle.stat()).size !== into.length) throw changedSize(packId);
    let done = 0;
    while (done < into.length) {
      const { bytesRead } = await handle.read(into, done, into.length - done, done);
      if (bytesRead === 0) throw changedSize(packId);
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

function changedSize(packId: string): VaultError {
  return new VaultError('damaged-data', `Pack ${packId.slice(0, 8)} changed size while it was being protected.`);
}

/** A larger zero-padded copy: zeros beyond the old length are exactly the padding. */
function grow(old: SharedArrayBuffer, oldLength: number, length: number): SharedArrayBuffer {
  const next = new SharedArrayBuffer(length);
  new Uint8Array(next).set(new Uint8Array(old, 0, oldLength));
  return next;
}

/** Whether two lists of stripe CRCs agree, but for the stripes in `skipped` (those beyond repair). */
export function sameCrcs(a: Uint32Array, b: Uint32Array, skipped?: ReadonlySet<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !skipped?.has(i)) return false;
  return true;
}
