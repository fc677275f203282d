/**
 * `npm run bench [-- SECTION...]`: runs benchmark sections and writes
 * bench/results/latest.json and latest.md (lib/runner.ts).
 *
 * A section is a module exporting a `Section`; add it to SECTIONS below.
 * With no names, the sections marked `byDefault` run.
 *
 * Environment: MMRY_BENCH_SMALL=1 for a quick check on the small corpus;
 * MMRY_BENCH_INITIAL_RUNS=N initial backups per tool (default 3);
 * MMRY_BENCH_BORG_COMPRESSION (default zstd,3); MMRY_BENCH_MMRY_REV=<git rev>
 * to bench that revision of mmry instead of the work tree.
 */
import { failed, runBench } from './lib/runner.ts';
import type { Section } from './lib/report.ts';
import { backupSection } from './sections/backup.ts';
import { healSection } from './sections/heal.ts';
import { profileSection } from './sections/profile.ts';
import { uiSection } from './ui.ts';

const SECTIONS: Section[] = [backupSection, healSection, profileSection, uiSection];

process.exitCode = await runBench(SECTIONS, process.argv.slice(2)).catch(failed);
