/**
 * verify: read-only. Quick mode checks the structure, sizes, every stripe
 * checksum of packs and parity, and the catalog's integrity; `readData`
 * also authenticates and id-checks every blob. The vault is healthy only when
 * nothing at all is wrong.
 */
import { buildReport } from './report.ts';
import type { VerifyReport } from './report.ts';
import { inspect } from './inspect.ts';
import type { InspectOptions } from './inspect.ts';
import type { HealTarget } from './target.ts';

export async function verify(target: HealTarget, options: InspectOptions = {}): Promise<VerifyReport> {
  const problems = target.catalogError ? [target.catalogError] : [];
  const ins = await inspect(target, options);
  return buildReport(target, ins, options.readData === true, problems);
}
