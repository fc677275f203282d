// Which `mmry` to run: the JavaScript bundle in out/cli (rolldown.cli.config.ts)
// while every source file it was built from is unchanged, else the TypeScript
// sources. Plain JavaScript, so that choosing costs no type stripping.
import { readFileSync, statSync } from 'node:fs';

/**
 * The CLI's two entry modules under the project folder `root` (a file URL
 * ending in '/'). The bundle is fresh when out/cli/sources.json lists every
 * file it holds with the size and mtime it had when the bundler read it, and
 * each is still so: an edit, a checkout or a missing file sends the run to
 * the sources. MMRY_CLI_SOURCES=1 always runs the sources.
 * @param {URL} root
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ ahead: URL, main: URL, bundled: boolean }}
 */
export function cliEntry(root, env = process.env) {
  if (env.MMRY_CLI_SOURCES !== '1' && bundleIsFresh(root)) {
    return { ahead: new URL('out/cli/ahead.js', root), main: new URL('out/cli/main.js', root), bundled: true };
  }
  return { ahead: new URL('src-main/cli/ahead.ts', root), main: new URL('src-main/cli/main.ts', root), bundled: false };
}

/** @param {URL} root */
function bundleIsFresh(root) {
  let files;
  try {
    files = JSON.parse(readFileSync(new URL('out/cli/sources.json', root), 'utf8')).files;
  } catch {
    return false; // not built, or not readable: the sources
  }
  if (!Array.isArray(files) || files.length === 0) return false;
  for (const f of files) {
    if (!Array.isArray(f) || typeof f[0] !== 'string') return false;
    const st = statSync(new URL(f[0], root), { throwIfNoEntry: false });
    if (st === undefined || st.size !== f[1] || st.mtimeMs !== f[2]) return false;
  }
  return true;
}
