/** Human formatting for the CLI: sizes, dates, and a one-line progress bar. */
import type { CliIO } from './main.ts';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** "1 project", "21 snapshots", "9,969 unique chunks". */
export function countOf(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

export function formatDate(ms: number): string {
  const d = new Date(ms);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** Rate and ETA from the start of the job; enough for a terminal line. */
export function progressLine(files: number, filesTotal: number | null, bytes: number, bytesTotal: number | null, current: string | null, elapsedSeconds = process.uptime()): string {
  const rate = elapsedSeconds > 0 ? bytes / elapsedSeconds : 0;
  const parts = [`${files}${filesTotal !== null ? `/${filesTotal}` : ''} files`, `${formatBytes(bytes)}${bytesTotal !== null ? ` of ${formatBytes(bytesTotal)}` : ''}`, `${formatBytes(rate)}/s`];
  if (bytesTotal !== null && rate > 0 && bytesTotal > bytes) parts.push(`ETA ${formatDuration((bytesTotal - bytes) / rate)}`);
  if (current) parts.push(current);
  return parts.join(' · ');
}

/** Rewrites one line on a terminal's stderr. */
export class ProgressBar {
  readonly #io: CliIO;
  #shown = false;
  constructor(io: CliIO) {
    this.#io = io;
  }
  update(line: string): void {
    const width = (process.stderr.columns || 100) - 1;
    process.stderr.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    this.#shown = true;
  }
  done(): void {
    if (this.#shown) process.stderr.write('\r\x1b[2K');
    this.#shown = false;
    void this.#io;
  }
}
