/**
 * The catalog's migrations in order. Append only: `version` is the value of
 * `PRAGMA user_version` once the migration has run, and must equal its
 * position + 1.
 */
import { sql as initial } from './0001-initial.ts';
import { sql as activity } from './0002-activity.ts';
import { sql as snapshotTags } from './0003-snapshot-tags.ts';
import { sql as health } from './0004-health.ts';
import { sql as bundles } from './0005-bundles.ts';
import { sql as treeDigests } from './0006-tree-digests.ts';
import { sql as checkpointState } from './0007-checkpoint-state.ts';
import { sql as lostBlobs } from './0008-lost-blobs.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '0001-initial', sql: initial },
  { version: 2, name: '0002-activity', sql: activity },
  { version: 3, name: '0003-snapshot-tags', sql: snapshotTags },
  { version: 4, name: '0004-health', sql: health },
  { version: 5, name: '0005-bundles', sql: bundles },
  { version: 6, name: '0006-tree-digests', sql: treeDigests },
  { version: 7, name: '0007-checkpoint-state', sql: checkpointState },
  { version: 8, name: '0008-lost-blobs', sql: lostBlobs },
];
