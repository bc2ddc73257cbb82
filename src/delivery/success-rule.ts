import { JsonPath, MISSING } from '../etl/json-path';
import type { EndpointSpec } from './delivery-spec';

export interface SuccessVerdict {
  readonly ok: boolean;
  /** Why it is not a success, for the dead-letter row and logs. */
  readonly problem?: string;
}

const OK: SuccessVerdict = { ok: true };

/** status in successStatus (default 2xx) AND, when errcodePath is set, the errcode there in errcodeOk. */
export class SuccessRule {
  private readonly statuses: ReadonlySet<number> | null;
  private readonly errcodePath: JsonPath | null;
  private readonly errcodeOk: ReadonlyArray<number | string>;

  constructor(spec: Pick<EndpointSpec, 'successStatus' | 'errcodePath' | 'errcodeOk'>) {
    this.statuses = spec.successStatus.length ? new Set(spec.successStatus) : null;
    this.errcodePath = spec.errcodePath ? JsonPath.compile(spec.errcodePath) : null;
    this.errcodeOk = spec.errcodeOk;
  }

  /** Whether the verdict needs the response body. */
  get needsBody(): boolean {
    return this.errcodePath !== null;
  }

  statusOk(status: number): boolean {
    return this.statuses ? this.statuses.has(status) : status >= 200 && status < 300;
  }

  evaluate(status: number, body: string | undefined): SuccessVerdict {
    if (!this.statusOk(status)) return { ok: false, problem: `HTTP status ${status} is not a success status` };
    if (!this.errcodePath) return OK;
    let doc: unknown;
    try {
      doc = JSON.parse(body ?? '');
    } catch {
      return { ok: false, problem: `response body is not JSON, so ${this.errcodePath.source} cannot be read` };
    }
    const code = this.errcodePath.get(doc);
    if (code === MISSING) return { ok: false, problem: `response has no ${this.errcodePath.source}` };
    // Services answer errcode as 0 or "0" alike; compare loosely across number/string only.
    for (const okCode of this.errcodeOk) {
      if (code === okCode || (typeof code !== 'object' && String(code) === String(okCode))) return OK;
    }
    return { ok: false, problem: `errcode ${JSON.stringify(code)} at ${this.errcodePath.source} is not one of ${JSON.stringify(this.errcodeOk)}` };
  }
}
