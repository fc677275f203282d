#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=0
// Launcher for the `mmry` command. It runs the CLI's JavaScript bundle in
// out/cli (built by `npm install` and `npm run build`) while that matches the
// TypeScript sources, else the sources themselves through Node 24's type
// stripping (cli-entry.js decides); `npx mmry` finds the project's pinned
// Node 24 first on PATH.
//
// --max-semi-space-size=1 (MiB): the main thread's garbage is per-file
// objects that die at once, so V8's default young generation (up to 3 × 16
// MiB here) only holds dead objects longer. Measured on the bench corpus
// (244 MB): peak RSS of an initial backup 420–450 → 310–360 MB at the same
// CPU time. The workers get the same treatment through their resourceLimits
// (engine/workers/pool.ts).
//
// --v8-pool-size=0: V8's background threads (concurrent compiling, marking
// and sweeping, for every isolate) sized to the cores, where Node starts
// four whatever the machine. On two cores that is one: an unchanged
// re-backup of the bench corpus, where Argon2id and the listing already
// fill both cores, went from a median 0.415 to 0.365 s in 12 alternating
// runs (CPU 0.65 → 0.60 s); the initial backup and the restore were within
// noise either way. Flags on the line above reach Node only when the
// launcher runs as a program (npx, the npm bin link, ./bin/mmry.js); `env -S`
// splits them on Linux and macOS, and npm's Windows shims read them too.
import module from 'node:module';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`mmry: Node 24 or newer is required (this is ${process.version}); run it with npx from the project folder.\n`);
  process.exit(1);
}
// Compiling the CLI (and type-stripping it, when it runs from the sources) costs about 0.3 s of every run, in
// the main thread and again in each worker; Node's on-disk compile cache (in
// the OS temp folder, or NODE_COMPILE_CACHE) keeps both across runs. The
// variable carries it to the worker threads.
const cache = module.enableCompileCache?.();
if (cache?.directory && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = cache.directory;
// The bundle in out/cli while it matches the sources, else the sources themselves (cli-entry.js).
const { cliEntry } = await import('./cli-entry.js');
const entry = cliEntry(new URL('..', import.meta.url));
// Argon2id starts before the rest of the program loads, for the commands that open a vault (src-main/cli/ahead.ts).
const { unlockAheadFor } = await import(entry.ahead.href);
await unlockAheadFor(process.argv.slice(2));
const { main } = await import(entry.main.href);
process.exitCode = await main(process.argv.slice(2));
