/**
 * Will these paths survive on that target? A snapshot taken on Linux can
 * hold names a Windows or macOS disk cannot: `aux.c`, `a:b`, `File` beside
 * `file`. The restore checks first and tells the user, instead of failing
 * half-way or silently merging two files into one.
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fromSystemError } from '../errors.ts';

export interface TargetTraits {
  /** `File` and `file` are the same entry. */
  caseInsensitive: boolean;
  platform: NodeJS.Platform;
  /** Longest name: UTF-16 units on Windows, UTF-8 bytes elsewhere. */
  maxName: number;
  /** Longest full path, in the same units. */
  maxPath: number;
  /** The restore folder; when given, path lengths count it too. */
  root?: string;
}

export type PortabilityProblemKind = 'case-clash' | 'reserved-name' | 'name-too-long' | 'path-too-long' | 'invalid-char';

export interface PortabilityProblem {
  /** The path as given. */
  path: string;
  problem: PortabilityProblemKind;
  /** One sentence for a person. */
  detail: string;
}

const WIN32_RESERVED = /^(con|prn|aux|nul|com[1-9\u00b9\u00b2\u00b3]|lpt[1-9\u00b9\u00b2\u00b3]|conin\$|conout\$)$/i;
const WIN32_INVALID_CHARS = new Set(['<', '>', ':', '"', '|', '?', '*', '\\']);

/**
 * Why Windows cannot hold this name, or undefined. Device names (with any
 * extension) open the device instead of a file; trailing dots and spaces are
 * dropped, so "a." would land on "a".
 */
export function win32NameProblem(name: string): { problem: 'reserved-name' | 'invalid-char'; detail: string } | undefined {
  const base = name.split('.')[0]!.trimEnd();
  if (WIN32_RESERVED.test(base)) return { problem: 'reserved-name', detail: `"${name}" is a device name on Windows.` };
  const bad = [...name].find((c) => WIN32_INVALID_CHARS.has(c) || c.charCodeAt(0) < 0x20);
  if (bad !== undefined) return { problem: 'invalid-char', detail: `"${name}" contains ${describeChar(bad)}, which Windows does not allow in names.` };
  if (/[. ]$/.test(name)) return { problem: 'invalid-char', detail: `"${name}" ends with a dot or a space, which Windows drops.` };
  return undefined;
}

/**
 * Problems restoring `paths` ('/'-separated, relative to the restore folder)
 * on a target with `traits`. A path with several problems is listed once per
 * problem; of two clashing paths, the later one is reported.
 */
export function portabilityProblems(paths: readonly string[], traits: TargetTraits): PortabilityProblem[] {
  const check = new PortabilityCheck(traits);
  return paths.flatMap((p) => check.problemsOf(p));
}

/**
 * `portabilityProblems` one path at a time, for a restore that checks its
 * entries as its plan reaches them: it remembers the paths it has seen, so
 * of two clashing paths the later one is reported, as there.
 */
export class PortabilityCheck {
  readonly #traits: TargetTraits;
  readonly #seen = new Map<string, string>();
  readonly #win32: boolean;
  readonly #rootLength: number;

  constructor(traits: TargetTraits) {
    this.#traits = traits;
    this.#win32 = traits.platform === 'win32';
    this.#rootLength = traits.root === undefined ? 0 : this.#measure(traits.root) + 1;
  }

  /** The problems of path `p` (empty when it can be restored), given the paths checked before it. */
  problemsOf(p: string): PortabilityProblem[] {
    const traits = this.#traits;
    const problems: PortabilityProblem[] = [];
    for (const name of p.split('/')) {
      if (this.#win32) {
        const bad = win32NameProblem(name);
        if (bad) problems.push({ path: p, ...bad });
      }
      if (this.#measure(name) > traits.maxName) {
        problems.push({ path: p, problem: 'name-too-long', detail: `"${shorten(name)}" is longer than the ${traits.maxName} the target allows.` });
      }
    }
    if (this.#rootLength + this.#measure(p) > traits.maxPath) {
      problems.push({ path: p, problem: 'path-too-long', detail: `The full path is longer than the ${traits.maxPath} the target allows.` });
    }
    const key = clashKey(p, traits);
    if (key !== undefined) {
      const other = this.#seen.get(key);
      if (other === undefined) this.#seen.set(key, p);
      else if (other !== p) {
        problems.push({ path: p, problem: 'case-clash', detail: `"${p}" and "${other}" would be the same file on the target (they differ only in letter case or Unicode normalisation).` });
      }
    }
    return problems;
  }

  #measure(s: string): number {
    return this.#win32 ? s.length : Buffer.byteLength(s, 'utf8');
  }
}

/**
 * Case-insensitive targets fold case and Unicode normalisation; macOS also
 * folds normalisation on case-sensitive volumes (APFS compares NFC and NFD
 * as equal). Undefined when the target tells every distinct string apart.
 */
function clashKey(p: string, traits: TargetTraits): string | undefined {
  if (traits.caseInsensitive) return p.normalize('NFC').toLowerCase();
  if (traits.platform === 'darwin') return p.normalize('NFC');
  return undefined;
}

/**
 * Finds out how the folder `dir` treats names: creates a scratch file and
 * looks it up under its upper-case spelling. The limits are the platform's
 * usual ones (Windows counts 260 because Explorer and most tools still stop
 * there).
 */
export async function probeTarget(dir: string): Promise<TargetTraits> {
  const platform = process.platform;
  const probe = path.join(dir, `.mmry-case-probe-${randomBytes(6).toString('hex')}`);
  let caseInsensitive: boolean;
  try {
    const handle = await open(probe, 'wx', 0o600);
    await handle.close();
    try {
      const [lower, upper] = await Promise.all([lstat(probe, { bigint: true }), lstat(path.join(dir, path.basename(probe).toUpperCase()), { bigint: true })]);
      caseInsensitive = lower.ino === upper.ino && lower.dev === upper.dev;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      caseInsensitive = false;
    } finally {
      await unlink(probe).catch(() => {});
    }
  } catch (err) {
    throw fromSystemError(err, `the restore folder ${dir}`);
  }
  const maxPath = platform === 'win32' ? 260 : platform === 'darwin' ? 1024 : 4096;
  return { caseInsensitive, platform, maxName: 255, maxPath, root: path.resolve(dir) };
}

function describeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x20 ? `a control character (0x${code.toString(16).padStart(2, '0')})` : `"${c}"`;
}

function shorten(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
