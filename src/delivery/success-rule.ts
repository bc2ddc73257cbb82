import { ExactJson } from '../common/json/exact-json';
import { JsonDepth } from '../common/json/json-depth';
import { JsonNumber } from '../common/json/json-number';
import { JsonPath, MISSING } from '../etl/json-path';
import type { EndpointSpec } from './delivery-spec';

export interface SuccessVerdict {
  readonly ok: boolean;
  /** Why it is not a success, for the dead-letter row and logs. */
  readonly problem?: string;
}

const OK: SuccessVerdict = { ok: true };

/**
 * status in successStatus (default 2xx) AND, when errcodePath is set, the errcode there in
 * errcodeOk. A success status with an empty body (no bytes, or only JSON blank space: 204, or
 * 200 with nothing) carries no errcode to read, so the status alone decides and it is a success.
 * A non-empty body that is not JSON or lacks the path is not (retried like an errcode mismatch).
 * Errcodes compare exactly: numbers by decimal value at any size (a 64-bit errcode is not
 * rounded), a number and a string are equal when the string is that number's JSON text
 * (0 and "0"), strings and booleans by their text as before.
 */
export class SuccessRule {
  private readonly statuses: ReadonlySet<number> | null;
  private readonly errcodePath: JsonPath | null;
  private readonly errcodeOk: ReadonlyArray<number | string | JsonNumber>;

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
    if (body === undefined || BLANK.test(body)) return OK;
    // ExactJson's parser and the path walk recurse; a response is held to the records' cap.
    if (JsonDepth.exceeds(body, JsonDepth.MAX_ACCEPTED)) {
      return { ok: false, problem: `response body nests deeper than ${JsonDepth.MAX_ACCEPTED} levels, so ${this.errcodePath.source} is not read` };
    }
    let doc: unknown;
    try {
      doc = ExactJson.parse(body);
    } catch {
      return { ok: false, problem: `response body is not JSON, so ${this.errcodePath.source} cannot be read` };
    }
    const code = this.errcodePath.get(doc);
    if (code === MISSING) return { ok: false, problem: `response has no ${this.errcodePath.source}` };
    for (const okCode of this.errcodeOk) {
      if (sameCode(code, okCode)) return OK;
    }
    return {
      ok: false,
      problem: `errcode ${ExactJson.stringify(code)} at ${this.errcodePath.source} is not one of ${ExactJson.stringify(this.errcodeOk)}`,
    };
  }
}

const BLANK = /^[ \t\n\r]*$/;

// Services answer errcode as 0 or "0" alike; compare loosely across number/string only.
function sameCode(code: unknown, okCode: number | string | JsonNumber): boolean {
  if (code === okCode) return true;
  const codeNumber = ExactJson.numberText(code);
  const okNumber = ExactJson.numberText(okCode);
  if (codeNumber !== null && okNumber !== null) return JsonNumber.equal(code as number | JsonNumber, okCode as number | JsonNumber);
  if (codeNumber !== null) return codeNumber === okCode;
  if (okNumber !== null) return okNumber === code;
  return typeof code === 'boolean' && String(code) === okCode;
}
