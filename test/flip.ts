/**
 * Damage for tests: one byte of a file XORed with a mask, in place (a read
 * and a write of that byte, so a large pack is not rewritten).
 */
import { open } from 'node:fs/promises';

export async function flipByteAt(path: string, at: number, mask: number): Promise<void> {
  if ((mask & 0xff) === 0) throw new Error('a zero mask changes nothing');
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0] = byte[0]! ^ mask;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
  }
}
