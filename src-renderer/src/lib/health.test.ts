import { describe, expect, it } from 'vitest';
import type { CallResult, EventPayload } from '../../../src-shared/contract.ts';
import { checkOutcomeText, checkProgressText, nextVerifyText, projectLine, scope, verdict } from './health.ts';
import { formatTags, parseTags, tagsIn } from './labels.ts';

type Report = NonNullable<CallResult<'health.status'>['latest']>['report'];

const base: Report = { healthy: true, readData: false, damage: [], projects: [], unprotectedPacks: 0, parityOff: false, headerRepaired: null, packsChecked: 3, bytesChecked: 48_000_000, blobsChecked: 0 };
const project = (atRisk: number, lost: number, snapshots = 1) => ({ project: 'site', snapshots, atRisk, lost, examples: [] });

describe('health words', () => {
  it('says whether repair can fix what a check found', () => {
    expect(verdict(base)).toBe('The vault is healthy.');
    const repairable = { ...base, healthy: false, damage: [{ where: 'packs/a.pack', what: '1 damaged stripe', repairable: true }], projects: [project(2, 0)] };
    expect(verdict(repairable)).toBe('1 problem found; all can be repaired. Run Repair to put them back.');
    const lost = { ...repairable, damage: [...repairable.damage, { where: 'packs/b.pack', what: 'missing', repairable: false }], projects: [project(3, 1)] };
    expect(verdict(lost)).toBe('2 problems found; 1 file cannot be recovered from parity. Everything else stays usable.');
    const noFiles = { ...lost, projects: [project(0, 0)] };
    expect(verdict(noFiles)).toBe('2 problems found; 1 problem cannot be repaired from parity.');
  });

  it('names what a check covered and what it means for a project', () => {
    expect(scope(base)).toBe('3 packs, 48.0 MB checksummed');
    expect(scope({ ...base, readData: true, blobsChecked: 4102 })).toBe('3 packs, 4,102 blobs read and authenticated');
    expect(projectLine(project(0, 0))).toBe('No damaged data.');
    expect(projectLine(project(2, 0, 2))).toBe('2 files in 2 snapshots need damaged data; repair can rebuild it.');
    expect(projectLine(project(1, 1))).toBe('1 file in 1 snapshot cannot be recovered.');
    expect(projectLine(project(3, 1))).toBe('3 files in 1 snapshot need damaged data; 1 file cannot be recovered.');
  });

  it('describes a running and a finished check', () => {
    const p: EventPayload<'op.progress'> = { opId: 'x', kind: 'verify', phase: 'checking', files: 1, filesTotal: 4, bytes: 2_000_000, bytesTotal: 8_000_000, rate: 1_000_000, etaSeconds: 6, current: null };
    expect(checkProgressText(p)).toBe('checking · pack 2 of 4 · 2.00 MB of 8.00 MB · 1.00 MB/s 6 s left');
    expect(checkProgressText({ ...p, kind: 'repair', phase: 'repairing', files: 0, filesTotal: 1, bytes: 0, bytesTotal: null })).toBe('repairing · pack 1 of 1');
    expect(checkOutcomeText('verify', { healthy: true })).toBe('The vault is healthy.');
    expect(checkOutcomeText('verify', { healthy: false, problems: 2, repairable: 2, lostFiles: 0 })).toBe('2 problems found, all repairable.');
    expect(checkOutcomeText('verify', { healthy: false, problems: 2, repairable: 1, lostFiles: 3 })).toBe('2 problems found; 3 files cannot be recovered.');
    expect(checkOutcomeText('repair', { healthy: true, actions: ['repaired 1 pack file(s) (1 KB rebuilt from parity)'] })).toBe('Repaired: repaired 1 pack file(s) (1 KB rebuilt from parity). The vault is healthy.');
    expect(checkOutcomeText('repair', { healthy: true, actions: [] })).toBe('Nothing to repair. The vault is healthy.');
  });

  it('says when the scheduled verify falls due', () => {
    const day = 86_400_000;
    expect(nextVerifyText(null, 0, 0)).toBeNull();
    expect(nextVerifyText(null, 30, 5 * day)).toMatch(/once the vault holds a snapshot/);
    expect(nextVerifyText(40 * day, 30, 10 * day)).toBe('The next verify is due in 30 days.');
    expect(nextVerifyText(0, 30, 31 * day)).toMatch(/due now/);
    expect(nextVerifyText(0, 30, 10 * day)).toBe('The next verify is due in 20 days.');
    expect(nextVerifyText(0, 7, 6.5 * day)).toBe('The next verify is due in 1 day.');
  });
});

describe('snapshot tags typed in one field', () => {
  it('splits on commas, trims, and keeps each tag once', () => {
    expect(parseTags(' release,  v1.2 ,, before   redesign, release ')).toEqual({ tags: ['release', 'v1.2', 'before redesign'], problem: null });
    expect(parseTags('')).toEqual({ tags: [], problem: null });
    expect(formatTags(['a', 'b c'])).toBe('a, b c');
    expect(parseTags(formatTags(['a', 'b c'])).tags).toEqual(['a', 'b c']);
  });

  it('says what is wrong with too long a tag or too many', () => {
    expect(parseTags('x'.repeat(41)).problem).toMatch(/longer than 40 characters/);
    expect(parseTags(Array.from({ length: 13 }, (_, i) => `t${i}`).join(',')).problem).toBe('At most 12 tags; there are 13.');
  });

  it('lists every tag in use, once, in name order', () => {
    expect(tagsIn([{ tags: ['v2', 'release'] }, { tags: [] }, { tags: ['release', 'alpha'] }])).toEqual(['alpha', 'release', 'v2']);
  });
});
