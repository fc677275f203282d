/**
 * A snapshot's tags as typed in one field: "release, v1.2, before redesign".
 * Commas separate tags; spaces around them do not count; a tag typed twice
 * counts once. The same limits as the contract, said before the call.
 */
import { MAX_TAGS } from '../../../src-shared/contract.ts';

export const MAX_TAG_LENGTH = 40;

export function parseTags(input: string): { tags: string[]; problem: string | null } {
  const tags: string[] = [];
  for (const part of input.split(/[,\n]/)) {
    const tag = part.trim().replace(/\s+/g, ' ');
    if (tag && !tags.includes(tag)) tags.push(tag);
  }
  const long = tags.find((t) => t.length > MAX_TAG_LENGTH);
  if (long) return { tags, problem: `"${long.slice(0, 20)}…" is longer than ${MAX_TAG_LENGTH} characters.` };
  if (tags.length > MAX_TAGS) return { tags, problem: `At most ${MAX_TAGS} tags; there are ${tags.length}.` };
  return { tags, problem: null };
}

/** The tags back into the field's text. */
export function formatTags(tags: readonly string[]): string {
  return tags.join(', ');
}

/** Every tag used by some snapshot, in name order: the timeline's filter. */
export function tagsIn(snapshots: readonly { tags: readonly string[] }[]): string[] {
  return [...new Set(snapshots.flatMap((s) => s.tags))].sort((a, b) => a.localeCompare(b));
}
