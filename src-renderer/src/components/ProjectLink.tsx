/** A project's name as a link to its page (the first cell of the Projects and Health tables). */
import type { Route } from '../route.ts';

export function ProjectLink({ name, go }: { name: string; go: (r: Route) => void }) {
  return (
    <button type="button" className="link" onClick={() => go({ name: 'project', project: name })}>
      {name}
    </button>
  );
}
