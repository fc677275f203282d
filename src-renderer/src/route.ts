/** Where the user is. Plain state, no router: the app has one window and no URLs to share. */
export type Section = 'projects' | 'search' | 'statistics' | 'health' | 'activity' | 'settings';

export type Route = { name: Section } | { name: 'project'; project: string; snapshotId?: string; path?: string; select?: string; tab?: 'browse' | 'changes'; history?: string };
