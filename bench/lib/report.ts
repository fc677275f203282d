/**
 * What a bench section hands back, and how it is shown: a plain-text table
 * for the terminal and a markdown table for bench/results/latest.md. The
 * section's raw numbers go to bench/results/latest.json as they are.
 */

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  /** Columns to right-align (numbers); by index. */
  numeric?: number[];
}

/** A goal from an issue, checked against a measured value. */
export interface GoalCheck {
  name: string;
  /** What was measured, e.g. a ratio to restic. */
  value: number | null;
  /** The value passes when it is at most this. */
  max: number;
  status: 'PASS' | 'MISS' | 'n/a';
}

export interface SectionResult {
  title: string;
  tables: Table[];
  goals: GoalCheck[];
  /** Lines under the tables: settings, caveats, correctness checks. */
  notes: string[];
  /** Everything measured, for latest.json. Keep it small: it is committed. */
  data: unknown;
}

export interface BenchContext {
  /** MMRY_BENCH_SMALL=1: the small corpus, fewer repetitions, for a quick check. */
  small: boolean;
  log: (line: string) => void;
}

export interface Section {
  name: string;
  /** One line for `npm run bench -- --help`. */
  summary: string;
  /** Sections run when none is named on the command line. */
  byDefault: boolean;
  run: (ctx: BenchContext) => Promise<SectionResult>;
}

export function goal(name: string, value: number | null, max: number): GoalCheck {
  return { name, value, max, status: value === null || !Number.isFinite(value) ? 'n/a' : value <= max ? 'PASS' : 'MISS' };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !(b > 0)) return null;
  return a / b;
}

export const MB = 1_000_000;

export function fmt(n: number | null | undefined, digits = 2): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
}

export function fmtRatio(n: number | null | undefined, digits = 2): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : `${n.toFixed(digits)}×`;
}

export function renderText(table: Table): string {
  const widths = table.header.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (table.numeric?.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [table.title, line(table.header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

export function renderMarkdown(table: Table): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const align = table.header.map((_, i) => (table.numeric?.includes(i) ? '---:' : '---'));
  return [`**${table.title}**`, '', `| ${table.header.map(esc).join(' | ')} |`, `| ${align.join(' | ')} |`, ...table.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}
