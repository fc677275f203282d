/** A project's health, from the newest verify or repair, as a small labelled badge. */
import { BADGE_TEXT } from '../lib/health.ts';
import type { Badge } from '../lib/health.ts';

export function HealthBadge({ badge }: { badge: Badge }) {
  return <span className={`badge health-${badge}`}>{BADGE_TEXT[badge]}</span>;
}
