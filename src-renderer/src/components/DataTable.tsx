/** A table in the app's style: a header row of named columns (numbers right-aligned), the rows as children. */
import type { ReactNode } from 'react';

export interface Column {
  label: string;
  /** A column of numbers: right-aligned. */
  num?: boolean;
  /** Named for screen readers only (a column of buttons). */
  hidden?: boolean;
}

export function DataTable({ label, className, columns, children }: { label: string; className?: string; columns: readonly (string | Column)[]; children: ReactNode }) {
  return (
    <table className={className ? `table ${className}` : 'table'} aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => {
            const col = typeof c === 'string' ? { label: c } : c;
            return (
              <th key={col.label} scope="col" {...(col.num ? { className: 'num' } : {})}>
                {col.hidden ? <span className="sr-only">{col.label}</span> : col.label}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
