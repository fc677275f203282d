/**
 * Entry names are bytes. A name that is valid UTF-8 travels as a string; one
 * that is not keeps its raw bytes beside a lossy string meant only for
 * display. These helpers are the one place that turns one form into the
 * other and decides what a legal name is, for the tree codec, the scanner and
 * the restorer alike.
 */
import { isUtf8 } from 'node:buffer';

const SLASH = 0x2f;
const DOT = 0x2e;
const NUL = 0x00;

/** A lone UTF-16 surrogate has no UTF-8 form; writing it would silently change the name. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The display name and, when the bytes are not UTF-8, the bytes themselves. */
export interface EntryName {
  name: string;
  nameBytes?: Uint8Array;
}

/** The exact bytes a name stands for. */
export function nameBytesOf(entry: EntryName): Uint8Array {
  return entry.nameBytes ?? Buffer.from(entry.name, 'utf8');
}

/** Splits raw bytes into the name form: a string, plus the bytes when they are not UTF-8. */
export function nameFromBytes(bytes: Uint8Array): EntryName {
  const name = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (isUtf8(bytes)) return { name };
  return { name, nameBytes: new Uint8Array(bytes) };
}

/** True when a JS string has an exact UTF-8 form (no lone surrogates). */
export function isWellFormedName(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * Why these bytes cannot be one path component anywhere, or undefined when
 * they can. Backslash is NOT refused here: on POSIX it is an ordinary name
 * byte (systemd unit files contain `\x2d`), so a tree must be able to hold it;
 * the restorer refuses it on Windows, where it separates components.
 */
export function nameProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'the name is empty';
  if (bytes.length === 1 && bytes[0] === DOT) return 'the name is "."';
  if (bytes.length === 2 && bytes[0] === DOT && bytes[1] === DOT) return 'the name is ".."';
  // In byte order, as one pass would find them: the first of the two wins.
  const slash = bytes.indexOf(SLASH);
  const nul = bytes.indexOf(NUL);
  if (slash >= 0 && (nul < 0 || slash < nul)) return 'the name contains "/"';
  if (nul >= 0) return 'the name contains a NUL byte';
  return undefined;
}

/**
 * `nameProblem` of a string's UTF-8 bytes, without encoding it: UTF-8 writes
 * "/", "." and NUL only as those single bytes, never inside another
 * character, and a string is empty exactly when its bytes are.
 */
export function stringNameProblem(s: string): string | undefined {
  if (s.length === 0) return 'the name is empty';
  if (s === '.') return 'the name is "."';
  if (s === '..') return 'the name is ".."';
  const slash = s.indexOf('/');
  const nul = s.indexOf('\0');
  if (slash >= 0 && (nul < 0 || slash < nul)) return 'the name contains "/"';
  if (nul >= 0) return 'the name contains a NUL byte';
  return undefined;
}

/** Name order in a tree: plain byte order, independent of locale and normalisation. */
export function compareNameBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Bytes to a string or a Buffer, whichever an fs call can take without losing bytes. */
export function toFsName(bytes: Uint8Array): string | Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buf) ? buf.toString('utf8') : Buffer.from(buf);
}

/** A path for messages; undecodable bytes show as U+FFFD. */
export function displayPath(p: string | Uint8Array): string {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('utf8');
}
