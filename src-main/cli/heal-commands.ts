/**
 * `mmry verify` and `mmry repair`: the self-healing engine on the command
 * line. Exit 0 only when the vault is fully healthy (after repair, for
 * repair); 4 when damage remains.
 */
import { canWrite } from '../engine/fsutil/index.ts';
import { acquireLock } from '../engine/lock/index.ts';
import { openForHealing, repair, repairActions, verify, buildReport, catalogProblems, readSettings } from '../engine/heal/index.ts';
import type { VerifyReport } from '../engine/heal/index.ts';
import { formatBytes } from './format.ts';
import { parseCommandArgs, UsageError } from './main.ts';
import type { CliIO } from './main.ts';
import { ProgressBar } from './format.ts';
import { readPassword } from './vault-commands.ts';

export async function verifyCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { 'password-file': { type: 'string' }, 'read-data': { type: 'boolean' }, json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing VAULT' : `unexpected argument '${positionals[1]}'`);
  const dir = positionals[0]!;
  // The main thread checks too: one worker thread fewer to start while Argon2id runs.
  const target = await openForHealing(dir, await readPassword(io, values['password-file']), { mainThreadChecks: true });
  // Nobody can write a vault on a read-only disk: verify reads it without the lock it could not take.
  const lock = canWrite(target.dir) ? acquireLock(target.dir, 'verifying') : undefined;
  const bar = io.isTTY ? new ProgressBar(io) : undefined;
  try {
    const report = await verify(target, {
      readData: values['read-data'] === true,
      ...(bar ? { onProgress: (p) => bar.update(`checking ${p.packs}/${p.packsTotal} packs · ${formatBytes(p.bytes)} of ${formatBytes(p.bytesTotal)}`) } : {}),
    });
    bar?.done();
    if (values.json) io.out(JSON.stringify(report));
    else printReport(io, report, 'Verify', (await readSettings(target.dir)).redundancy === 0);
    return report.healthy ? 0 : 4;
  } finally {
    bar?.done();
    lock?.release();
    await target.close();
  }
}

export async function repairCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { 'password-file': { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing VAULT' : `unexpected argument '${positionals[1]}'`);
  const target = await openForHealing(positionals[0]!, await readPassword(io, values['password-file']));
  const lock = acquireLock(target.dir, 'repairing');
  const bar = io.isTTY ? new ProgressBar(io) : undefined;
  try {
    const result = await repair(target, bar ? { onProgress: (p) => bar.update(`${p.phase} ${p.done}/${p.total}${p.current ? ` · ${p.current}` : ''}`) } : {});
    bar?.done();
    const after = await buildReport(target, result.remaining, result.remaining.blobsChecked > 0, catalogProblems(target.dir, target.keys));
    if (values.json) {
      io.out(JSON.stringify({ repairedFiles: result.repairedFiles, repairedBytes: result.repairedBytes, rewrittenGroups: result.rewrittenGroups, catalog: result.catalog, packsAdopted: result.packsAdopted, packsProtected: result.packsProtected, lostBlobs: result.lostBlobs, packsForgotten: result.packsForgotten, groupsDropped: result.groupsDropped, after }));
    } else {
      const did = repairActions(result, target.headerRepaired, formatBytes);
      io.out(did.length > 0 ? `Repair: ${did.join('; ')}.` : 'Repair: nothing to do.');
      printReport(io, after, 'After repair', (await readSettings(target.dir)).redundancy === 0);
    }
    return after.healthy ? 0 : 4;
  } finally {
    bar?.done();
    lock.release();
    await target.close();
  }
}

function printReport(io: CliIO, r: VerifyReport, title = 'Verify', parityOff = false): void {
  const scope = r.readData ? `${r.packsChecked} packs, ${r.blobsChecked} blobs read and authenticated` : `${r.packsChecked} packs, ${formatBytes(r.bytesChecked)} checksummed`;
  if (r.headerRepaired) io.out(`The ${r.headerRepaired} copy of the key header was damaged and has been rewritten from the other copy.`);
  if (r.healthy) {
    io.out(`${title}: the vault is healthy (${scope}).`);
  } else {
    io.out(`${title}: ${r.damage.length} problem(s) found (${scope}):`);
    for (const d of r.damage) io.out(`  ${d.repairable ? 'repairable' : 'NOT repairable'}  ${d.where}: ${d.what}`);
    if (r.affected.length > 0) {
      io.out(`Files affected by damage beyond repair (${r.affected.length}):`);
      for (const a of r.affected.slice(0, 50)) io.out(`  ${a.project} @ ${a.snapshot.slice(0, 12)}: ${a.path}`);
      if (r.affected.length > 50) io.out(`  … and ${r.affected.length - 50} more (use --json for all)`);
    }
    if (r.damage.every((d) => d.repairable)) io.out("Everything found can be repaired: run 'mmry repair'.");
    else if (r.lossUnrecorded > 0) io.out("Run 'mmry repair': it repairs what can be repaired and records what is lost, so that the next backup of each affected project stores those files again from its source.");
    else if (r.affected.length > 0) io.out('What is lost is recorded: the next backup of each affected project stores those files again from its source.');
  }
  if (r.unprotectedPacks > 0 && parityOff) {
    io.out(`Parity is off for this vault (redundancy 0): its ${r.unprotectedPacks} pack(s) are not protected by parity, damage cannot be repaired, and only 'mmry verify --read-data' finds damage inside a blob.`);
  } else if (r.unprotectedPacks > 0) io.out(`${r.unprotectedPacks} pack(s) are not protected by parity yet; 'mmry repair' protects them.`);
}

