export const FILTER_OPS = ['eq', 'neq', 'in', 'exists', 'regex'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface FilterRuleSpec {
  path: string;
  op: FilterOp;
  value?: unknown;
}

export interface EtlSpec {
  filter?: FilterRuleSpec[];
  fields?: Record<string, string> | null;
}
