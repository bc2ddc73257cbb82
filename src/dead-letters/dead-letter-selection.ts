/**
 * What a list or a bulk action takes of the dead letters (DeadLettersRepository turns it into
 * SQL). Every field narrows (AND); `createdFrom` is inclusive, `createdTo` exclusive, both on
 * created_at (when the record first became a dead letter).
 */
export interface DeadLetterFilter {
  subscriptionId?: number;
  topic?: string;
  state?: string;
  reason?: string;
  createdFrom?: Date;
  createdTo?: Date;
}

/** A bulk action's dead letters: a selection by id, or every pending one a filter matches. */
export type DeadLetterSelection = { readonly ids: readonly number[] } | { readonly filter: DeadLetterFilter };

/** The selection as an audit entry and a job answer show it: the filter's fields, or how many ids. */
export function describeSelection(selection: DeadLetterSelection): Record<string, unknown> {
  if ('ids' in selection) return { ids: selection.ids.length };
  const f = selection.filter;
  return Object.fromEntries(
    Object.entries({ ...f, createdFrom: f.createdFrom?.toISOString(), createdTo: f.createdTo?.toISOString() }).filter(([, v]) => v !== undefined),
  );
}
