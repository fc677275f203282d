/**
 * Deciding how to preview a file's bytes, and the hex view. Only the first
 * bytes are looked at: previews never need a whole file.
 */
export type PreviewKind = 'image' | 'text' | 'binary';

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  svg: 'image/svg+xml',
};

/** Languages highlight.js is built with here (see highlight.ts), by extension. */
const LANGUAGES: Record<string, string> = {
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  ts: 'typescript', tsx: 'typescript', mts: 'typescript',
  json: 'json', css: 'css', scss: 'css', html: 'xml', htm: 'xml', xml: 'xml', svg: 'xml',
  md: 'markdown', markdown: 'markdown', py: 'python', sh: 'bash', bash: 'bash', zsh: 'bash',
  rs: 'rust', go: 'go', c: 'c', h: 'c', cpp: 'cpp', hpp: 'cpp', cc: 'cpp', java: 'java',
  yml: 'yaml', yaml: 'yaml', toml: 'ini', ini: 'ini', sql: 'sql',
};

export function extensionOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i <= 0 ? '' : name.slice(i + 1).toLowerCase();
}

export function imageType(name: string): string | null {
  return IMAGE_TYPES[extensionOf(name)] ?? null;
}

export function languageOf(name: string): string | null {
  return LANGUAGES[extensionOf(name)] ?? null;
}

/** Text when the sample has no NUL byte and decodes as UTF-8 (a cut final character is allowed). */
export function looksLikeText(sample: Uint8Array): boolean {
  if (sample.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(trimPartialUtf8(sample));
    return true;
  } catch {
    return false;
  }
}

export function previewKind(name: string, sample: Uint8Array): PreviewKind {
  if (imageType(name)) return 'image';
  return looksLikeText(sample) ? 'text' : 'binary';
}

/** Drops an incomplete UTF-8 sequence at the end of a range, so ranges decode cleanly. */
export function trimPartialUtf8(b: Uint8Array): Uint8Array {
  let i = b.length - 1;
  let back = 0;
  while (i >= 0 && back < 4 && (b[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < 0) return b;
  const lead = b[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > back + 1 ? b.subarray(0, i) : b;
}

/** One hex view row per 16 bytes: offset, hex pairs, printable ASCII. */
export function hexRows(bytes: Uint8Array, baseOffset: number): { offset: string; hex: string; ascii: string }[] {
  const rows = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const slice = bytes.subarray(i, i + 16);
    let hex = '';
    let ascii = '';
    for (let j = 0; j < 16; j++) {
      const b = slice[j];
      hex += b === undefined ? '   ' : `${b.toString(16).padStart(2, '0')} `;
      if (j === 7) hex += ' ';
      if (b !== undefined) ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·';
    }
    rows.push({ offset: (baseOffset + i).toString(16).padStart(8, '0'), hex: hex.trimEnd(), ascii });
  }
  return rows;
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
