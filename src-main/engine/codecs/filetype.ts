/**
 * File type keys and the cheap "is this already compressed?" check.
 */

/** Magic bytes per class; `at` is the offset of the signature. Order matters only for overlapping prefixes. */
const MAGIC: readonly { name: string; at: number; bytes: readonly number[] }[] = [
  { name: 'gzip', at: 0, bytes: [0x1f, 0x8b] },
  { name: 'zip', at: 0, bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'zip', at: 0, bytes: [0x50, 0x4b, 0x05, 0x06] },
  { name: 'png', at: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { name: 'jpeg', at: 0, bytes: [0xff, 0xd8, 0xff] },
  { name: 'gif', at: 0, bytes: ascii('GIF8') },
  { name: 'webp', at: 8, bytes: ascii('WEBP') },
  { name: 'zstd', at: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'xz', at: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'bzip2', at: 0, bytes: ascii('BZh') },
  { name: '7z', at: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { name: 'lz4', at: 0, bytes: [0x04, 0x22, 0x4d, 0x18] },
  { name: 'rar', at: 0, bytes: ascii('Rar!\x1a\x07') },
  { name: 'mp4', at: 4, bytes: ascii('ftyp') },
  { name: 'ogg', at: 0, bytes: ascii('OggS') },
  { name: 'flac', at: 0, bytes: ascii('fLaC') },
  { name: 'mp3', at: 0, bytes: ascii('ID3') },
  { name: 'woff', at: 0, bytes: ascii('wOFF') },
  { name: 'woff2', at: 0, bytes: ascii('wOF2') },
  { name: 'pdf', at: 0, bytes: ascii('%PDF-') },
  { name: 'elf', at: 0, bytes: [0x7f, 0x45, 0x4c, 0x46] },
  { name: 'wasm', at: 0, bytes: [0x00, 0x61, 0x73, 0x6d] },
  { name: 'npy', at: 0, bytes: [0x93, ...ascii('NUMPY')] },
  { name: 'sqlite', at: 0, bytes: ascii('SQLite format 3\0') },
];

/** Classes whose content is already compressed: another pass would only cost time. */
const COMPRESSED = new Set(['gzip', 'zip', 'png', 'jpeg', 'gif', 'webp', 'zstd', 'xz', 'bzip2', '7z', 'lz4', 'rar', 'mp4', 'ogg', 'flac', 'mp3', 'woff', 'woff2']);

/** Extensions of raw numeric arrays, where a byte shuffle before zstd can win. */
const FLOAT_EXTENSIONS = new Set(['.npy', '.safetensors', '.bin', '.f32', '.f16', '.bf16', '.pt', '.pth', '.ckpt', '.gguf', '.onnx', '.h5']);

/** Above this many bits per byte a sample looks like compressed or encrypted data (text is ~5, float arrays ~7.2). */
const ENTROPY_LIMIT = 7.5;
const PROBE_BYTES = 4 * 1024;
const MIN_PROBE_BYTES = 1024;

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

/** The magic class of a file from its first bytes, 'none' when nothing matches. */
export function magicClass(head: Uint8Array): string {
  // Plain loops: this runs for every file a backup reads, on the main thread, where a
  // callback per signature was garbage for the collector.
  for (let k = 0; k < MAGIC.length; k++) {
    const m = MAGIC[k]!;
    if (startsWith(head, m.at, m.bytes)) return m.name === 'webp' && !startsWith(head, 0, RIFF) ? 'none' : m.name;
  }
  return isSafetensors(head) ? 'safetensors' : 'none';
}

const RIFF = ascii('RIFF');

function startsWith(head: Uint8Array, at: number, bytes: readonly number[]): boolean {
  if (head.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[at + i] !== bytes[i]) return false;
  return true;
}

/** safetensors: an 8-byte little-endian header length, then a JSON object. */
function isSafetensors(head: Uint8Array): boolean {
  if (head.length < 10 || head[8] !== 0x7b || (head[9] !== 0x22 && head[9] !== 0x7d)) return false;
  const len = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return len > 1n && len < 100_000_000n;
}

/** `<lowercased extension>|<magic class>`; a name without an extension (or a dotfile) has an empty one. */
export function fileTypeKey(name: string, head: Uint8Array): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot).toLowerCase() : '';
  return `${ext}|${magicClass(head)}`;
}

export function isFloatLike(typeKey: string): boolean {
  const bar = typeKey.indexOf('|');
  const ext = bar < 0 ? typeKey : typeKey.slice(0, bar);
  const magic = bar < 0 ? '' : typeKey.slice(bar + 1);
  return FLOAT_EXTENSIONS.has(ext) || magic === 'npy' || magic === 'safetensors';
}

/** Shannon entropy in bits per byte. */
export function byteEntropy(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  const counts = new Uint32Array(256);
  for (let i = 0; i < bytes.length; i++) counts[bytes[i]!]!++;
  let bits = 0;
  for (let v = 0; v < 256; v++) {
    const n = counts[v]!;
    if (n > 0) bits -= (n / bytes.length) * Math.log2(n / bytes.length);
  }
  return bits;
}

/**
 * A cheap guess whether compressing `data` is futile, from byte entropy in a
 * few probe windows (head, middle, tail; see `probeWindows`): true when every
 * window looks random, or when the data carries a compressed format's magic
 * and its middle looks random (up to 12 KiB, the magic alone: too little to
 * measure, too little to gain). One head sample was not enough: executables
 * start with random-looking code and hold compressible tables further in
 * (a 1 MiB piece of esbuild's binary whose head looks random compresses to
 * 28%), and
 * a PNG's metadata says little about how well its pixel data was deflated.
 * Below 1 KiB the estimate is too noisy: without the magic, it is tried.
 */
export function looksIncompressible(data: Uint8Array): boolean {
  const compressedFormat = COMPRESSED.has(magicClass(data.subarray(0, 16)));
  if (data.length < MIN_PROBE_BYTES) return compressedFormat;
  const windows = probeWindows(data);
  if (compressedFormat && (windows.length === 1 || randomLooking(windows[1]!))) return true;
  return windows.every(randomLooking);
}

/** Whether every probe window has near-random byte entropy (compressed or encrypted data); false below 1 KiB. */
export function looksRandom(data: Uint8Array): boolean {
  return data.length >= MIN_PROBE_BYTES && probeWindows(data).every(randomLooking);
}

/** Up to 12 KiB of data: its first 8 KiB, one window; longer: 4 KiB at the head, in the middle and at the tail. */
export function probeWindows(data: Uint8Array): Uint8Array[] {
  if (data.length <= 3 * PROBE_BYTES) return [data.subarray(0, 2 * PROBE_BYTES)];
  const mid = Math.floor(data.length / 2 - PROBE_BYTES / 2);
  return [data.subarray(0, PROBE_BYTES), data.subarray(mid, mid + PROBE_BYTES), data.subarray(data.length - PROBE_BYTES)];
}

function randomLooking(window: Uint8Array): boolean {
  return byteEntropy(window) > ENTROPY_LIMIT;
}
