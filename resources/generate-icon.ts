/**
 * Draws the app icon, resources/icon.png (512×512 RGBA): a vault door's
 * bolted rim and handle wheel in white on a blue rounded square. Shapes are distance
 * functions sampled 4×4 per pixel for smooth edges, and the PNG is written
 * with node:zlib, so nothing outside Node is needed.
 *
 *   npx node resources/generate-icon.ts
 */
import { writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

const SIZE = 512;
const SAMPLES = 4;
const C = SIZE / 2;

/** Signed distance to a rounded square filling the canvas with a margin (negative inside). */
function roundedSquare(x: number, y: number): number {
  const half = SIZE / 2 - 24;
  const r = 104;
  const qx = Math.abs(x - C) - (half - r);
  const qy = Math.abs(y - C) - (half - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** Signed distance to a segment from the centre at `angle`, `from`..`to` px out, `w` px thick. */
function spoke(x: number, y: number, angle: number, from: number, to: number, w: number): number {
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const px = x - C;
  const py = y - C;
  const t = Math.min(to, Math.max(from, px * dx + py * dy));
  return Math.hypot(px - t * dx, py - t * dy) - w / 2;
}

/** The white glyph: an outer ring, a hub, and three spokes with knobs, as on a vault door. */
function glyph(x: number, y: number): number {
  const d = Math.hypot(x - C, y - C);
  let g = Math.abs(d - 150) - 16; // ring
  for (let i = 0; i < 8; i++) {
    // Bolt holes around the ring, between the spokes.
    const a = Math.PI / 8 + (i * Math.PI) / 4;
    g = Math.max(g, -(Math.hypot(x - C - Math.cos(a) * 150, y - C - Math.sin(a) * 150) - 7));
  }
  g = Math.min(g, d - 34); // hub
  for (let i = 0; i < 3; i++) {
    const a = -Math.PI / 2 + (i * 2 * Math.PI) / 3;
    g = Math.min(g, spoke(x, y, a, 0, 104, 22));
    g = Math.min(g, Math.hypot(x - C - Math.cos(a) * 104, y - C - Math.sin(a) * 104) - 20);
  }
  return g;
}

function pixel(px: number, py: number): [number, number, number, number] {
  let bg = 0;
  let fg = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      const x = px + (sx + 0.5) / SAMPLES;
      const y = py + (sy + 0.5) / SAMPLES;
      if (roundedSquare(x, y) <= 0) {
        bg++;
        if (glyph(x, y) <= 0) fg++;
      }
    }
  }
  const n = SAMPLES * SAMPLES;
  if (bg === 0) return [0, 0, 0, 0];
  // Blue, lighter at the top: #4a72e8 → #2444a8.
  const t = py / SIZE;
  const blue = [0x4a + (0x24 - 0x4a) * t, 0x72 + (0x44 - 0x72) * t, 0xe8 + (0xa8 - 0xe8) * t];
  const f = fg / bg;
  const rgb = blue.map((c) => Math.round(c * (1 - f) + 255 * f));
  return [rgb[0]!, rgb[1]!, rgb[2]!, Math.round((255 * bg) / n)];
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function png(): Buffer {
  const rows = Buffer.alloc(SIZE * (1 + SIZE * 4));
  for (let y = 0; y < SIZE; y++) {
    const row = y * (1 + SIZE * 4);
    rows[row] = 0; // filter: none
    for (let x = 0; x < SIZE; x++) rows.set(pixel(x, y), row + 1 + x * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

writeFileSync(new URL('./icon.png', import.meta.url), png());
