#!/usr/bin/env node
// Launcher for the `mmry` command. The CLI is TypeScript run directly by
// Node 24's type stripping, so there is no build step; `npx mmry` finds the
// project's pinned Node 24 first on PATH.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`mmry: Node 24 or newer is required (this is ${process.version}); run it with npx from the project folder.\n`);
  process.exit(1);
}
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
