/**
 * The Electron bundle cannot be launched here, but its engine worker can:
 * the pool the desktop app starts loads out/main/worker.js, not the .ts
 * source. Prove that bundle hashes, seals and opens for real.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobKind } from '../../src-main/engine/packs/seal.ts';
import { WorkerPool } from '../../src-main/engine/workers/index.ts';
import { repoRoot } from './harness.ts';

describe('the built app bundle', () => {
  it('has main, the engine worker, the CommonJS preload and the renderer', () => {
    for (const f of ['out/main/index.js', 'out/main/worker.js', 'out/preload/index.cjs', 'out/renderer/index.html']) expect(existsSync(join(repoRoot, f))).toBe(true);
  });

  it('runs the bundled worker in a real pool', async () => {
    const pool = WorkerPool.create({
      blobKey: randomBytes(32),
      idKey: randomBytes(32),
      gearSeed: randomBytes(32),
      chunker: { min: 4096, avg: 16384, max: 65536 },
      threads: 1,
      workerFile: join(repoRoot, 'out/main/worker.js'),
    });
    try {
      const buffer = new SharedArrayBuffer(200_000);
      new Uint8Array(buffer).set(Buffer.from('a bundled worker '.repeat(11_000)).subarray(0, 200_000));
      const [hashed] = await pool.hash(buffer, [{ offset: 0, length: 200_000, chunked: true, final: true }]);
      expect(hashed!.cuts.at(-1)).toBe(200_000);
      const [sealed] = await pool.seal(buffer, [{ offset: 0, length: hashed!.cuts[0]!, id: hashed!.ids[0]!, kind: BlobKind.chunk, strategy: undefined }]);
      const [plain] = await pool.open([{ sealed: sealed!.sealed, id: hashed!.ids[0]!, kind: BlobKind.chunk, rawLength: sealed!.rawLength }]);
      expect(Buffer.from(plain!).equals(Buffer.from(buffer, 0, hashed!.cuts[0]!))).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
