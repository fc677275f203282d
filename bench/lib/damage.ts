/**
 * Seeded, reproducible damage for the heal benchmark: byte flips at
 * offsets drawn uniformly over the concatenation of a list of files, so
 * every byte of the protected data is equally likely to be hit.
 */
import { open, stat } from 'node:fs/promises';

export interface Flip {
  path: string;
  offset: number;
}

/** A small deterministic generator (xorshift32); the same seed gives the same damage. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/**
 * XORs `count` distinct bytes of `paths` with a nonzero value (so each one
 * really changes). Offsets are drawn over the files' total length; the
 * files keep their sizes.
 */
export async function flipBytes(paths: string[], count: number, seed: number): Promise<Flip[]> {
  const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total < count) throw new Error(`cannot flip ${count} distinct bytes in ${total} bytes`);
  const random = seededRandom(seed);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random() * total));
  const flips: Flip[] = [];
  const byFile = new Map<number, { offset: number; mask: number }[]>();
  for (const at of [...chosen].sort((a, b) => a - b)) {
    let file = 0;
    let start = 0;
    while (at >= start + sizes[file]!) start += sizes[file++]!;
    const list = byFile.get(file) ?? [];
    list.push({ offset: at - start, mask: 1 + Math.floor(random() * 255) });
    byFile.set(file, list);
  }
  for (const [file, list] of byFile) {
    const handle = await open(paths[file]!, 'r+');
    try {
      const byte = Buffer.alloc(1);
      for (const { offset, mask } of list) {
        await handle.read(byte, 0, 1, offset);
        byte[0]! ^= mask;
        await handle.write(byte, 0, 1, offset);
        flips.push({ path: paths[file]!, offset });
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return flips;
}
