import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobIdHasher } from './blob-id.ts';

describe('blobIdHasher', () => {
  it('gives exactly HMAC-SHA-256, for any key and any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.array(fc.uint8Array({ maxLength: 5000 }), { minLength: 1, maxLength: 4 }), (key, messages) => {
        const id = blobIdHasher(key);
        // Called again and again, the keyed states stay as they were.
        return messages.every((m) => id(m).equals(createHmac('sha256', key).update(m).digest()));
      }),
      { numRuns: 300 },
    );
  });

  it('matches RFC 4231 test case 2 and a key longer than a block', () => {
    const rfc = blobIdHasher(Buffer.from('Jefe'))(Buffer.from('what do ya want for nothing?'));
    expect(rfc.toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    const long = randomBytes(131);
    const m = randomBytes(1 << 20);
    expect(blobIdHasher(long)(m).equals(createHmac('sha256', long).update(m).digest())).toBe(true);
  });
});
