/**
 * Runs benchmark sections and writes bench/results/latest.json and
 * latest.md. Shared by `npm run bench` (bench/run.ts, every section) and
 * `npm run bench:ui` (bench/ui.ts, the UI section alone).
 *
 * With no names, the sections marked `byDefault` run. Results of sections
 * not run this time are kept from the previous latest.json, so running one
 * section does not erase the others.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR } from './corpus.ts';
import { renderMarkdown, renderText } from './report.ts';
import type { BenchContext, Section, SectionResult } from './report.ts';

const RESULTS_DIR = join(BENCH_DIR, 'results');

interface StoredSection extends SectionResult {
  finishedAt: string;
  seconds: number;
  machine: Machine;
}

interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  loadBefore: number[];
  loadAfter: number[];
  small: boolean;
}

/** Runs the sections named in `argv` (or the default ones); returns the exit code. */
export async function runBench(sections: Section[], argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('Usage: npm run bench [-- SECTION...]\n\nSections:');
    for (const s of sections) console.log(`  ${s.name.padEnd(10)} ${s.summary}${s.byDefault ? ' (default)' : ''}`);
    console.log('\nEnvironment: MMRY_BENCH_SMALL=1 (small corpus, quick check), MMRY_BENCH_INITIAL_RUNS=N, MMRY_BENCH_BORG_COMPRESSION=zstd,3, MMRY_BENCH_MMRY_REV=<git rev>');
    return 0;
  }
  const unknown = argv.filter((a) => !sections.some((s) => s.name === a));
  if (unknown.length > 0) {
    console.error(`bench: unknown section ${unknown.join(', ')}; known: ${sections.map((s) => s.name).join(', ')}`);
    return 1;
  }
  const chosen = argv.length > 0 ? sections.filter((s) => argv.includes(s.name)) : sections.filter((s) => s.byDefault);
  const ctx: BenchContext = { small: process.env['MMRY_BENCH_SMALL'] === '1', log: (line) => console.log(line) };
  const stored = await readPrevious();
  const benchStarted = performance.now();
  for (const section of chosen) {
    console.log(`\n== section ${section.name}${ctx.small ? ' (MMRY_BENCH_SMALL=1)' : ''} ==`);
    const loadBefore = loadavg();
    const started = performance.now();
    const result = await section.run(ctx);
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    stored[section.name] = { ...result, finishedAt: new Date().toISOString(), seconds, machine: machine(loadBefore, ctx.small) };
    console.log('');
    for (const table of result.tables) console.log(`${renderText(table)}\n`);
    for (const note of result.notes) console.log(`- ${note}`);
    const misses = result.goals.filter((g) => g.status === 'MISS');
    console.log(`\ngoals: ${result.goals.filter((g) => g.status === 'PASS').length} pass, ${misses.length} miss${misses.length ? ` (${misses.map((g) => g.name).join('; ')})` : ''}`);
    console.log(`section ${section.name} took ${seconds} s`);
  }
  await writeResults(stored);
  console.log(`\nbench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s; results in bench/results/latest.json and latest.md`);
  return 0;
}

async function readPrevious(): Promise<Record<string, StoredSection>> {
  try {
    const previous = JSON.parse(await readFile(join(RESULTS_DIR, 'latest.json'), 'utf8')) as { sections?: Record<string, StoredSection> };
    return previous.sections ?? {};
  } catch {
    return {};
  }
}

async function writeResults(sections: Record<string, StoredSection>): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify({ sections }, null, 1)}\n`);
  const md: string[] = ['# MMRY Vault benchmark: latest results', '', 'Written by `npm run bench` (bench/run.ts). Absolute times drift on a shared 2-core machine: compare the ratios within one run.'];
  for (const [name, s] of Object.entries(sections)) {
    const m = s.machine;
    md.push('', `## ${name}`, '', `${s.finishedAt}, ${s.seconds} s; ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}; load average before ${m.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${m.loadAfter.map((l) => l.toFixed(2)).join(' ')}${m.small ? '; MMRY_BENCH_SMALL=1' : ''}`);
    for (const t of s.tables) md.push('', renderMarkdown(t));
    if (s.notes.length > 0) md.push('', ...s.notes.map((n) => `- ${n}`));
  }
  await writeFile(join(RESULTS_DIR, 'latest.md'), `${md.join('\n')}\n`);
}

function machine(loadBefore: number[], small: boolean): Machine {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadBefore,
    loadAfter: loadavg(),
    small,
  };
}

/** An exit code for a bench that threw. */
export function failed(err: unknown): number {
  console.error(`\nbench FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return 1;
}
