import { ExactJson } from '../common/json/exact-json';
import { JsonDepth } from '../common/json/json-depth';
import { JsonNumber } from '../common/json/json-number';
import { JsonPath, MISSING } from '../model/json-path';
import type { EndpointSpec } from '../model/delivery-spec';

export interface SuccessVerdict {
  readonly ok: boolean;
  /** Why it is not a success, for the dead-letter row and logs. */
  readonly problem?: string;
}

const OK: SuccessVerdict = { ok: true };

/**
 * Per-record results of a batch response: the 0-based array positions whose result is not in
 * errcodeOk, each with why; or `problem` when the response does not list one result per record
 * (retryable unless reading them threw, which the same answer would do again).
 */
export type ItemResults =
  { readonly refused: ReadonlyArray<{ readonly index: number; readonly problem: string }> } | { readonly problem: string; readonly retryable: boolean };

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
  /** Where a batch response lists per-record results; null when the endpoint does not. */
  readonly itemResultsPath: JsonPath | null;

  constructor(spec: Pick<EndpointSpec, 'successStatus' | 'errcodePath' | 'errcodeOk'> & Partial<Pick<EndpointSpec, 'itemResultsPath'>>) {
    this.statuses = spec.successStatus.length ? new Set(spec.successStatus) : null;
    this.errcodePath = spec.errcodePath ? JsonPath.compile(spec.errcodePath) : null;
    this.errcodeOk = spec.errcodeOk;
    this.itemResultsPath = spec.itemResultsPath ? JsonPath.compile(spec.itemResultsPath) : null;
  }

  /** Whether the verdict needs the response body. */
  get needsBody(): boolean {
    return this.errcodePath !== null || this.itemResultsPath !== null;
  }

  /**
   * The per-record results of a successful batch response of `records` records: the value at
   * itemResultsPath must be an array of exactly `records` results, in the request's array order,
   * each compared with errcodeOk as the errcode is. Call only when itemResultsPath is set.
   */
  items(body: string | undefined, records: number): ItemResults {
    const path = this.itemResultsPath!;
    if (body !== undefined && JsonDepth.exceeds(body, JsonDepth.MAX_ACCEPTED)) {
      return {
        problem: `response body nests deeper than ${JsonDepth.MAX_ACCEPTED} levels, so the item results at ${path.source} are not read`,
        retryable: true,
      };
    }
    let doc: unknown;
    try {
      doc = body === undefined || BLANK.test(body) ? MISSING : ExactJson.parse(body);
    } catch {
      return { problem: `response body is not JSON, so the item results at ${path.source} cannot be read`, retryable: true };
    }
    let list: unknown;
    try {
      list = doc === MISSING ? MISSING : path.get(doc);
    } catch (err) {
      // The same answer would fail the same way (a filter script meeting a type it did not expect).
      return {
        problem: `reading the item results at ${path.source} failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500),
        retryable: false,
      };
    }
    if (!Array.isArray(list)) return { problem: `response has no array of item results at ${path.source}`, retryable: true };
    if (list.length !== records) return { problem: `response lists ${list.length} item results at ${path.source} for ${records} records`, retryable: true };
    const refused: Array<{ index: number; problem: string }> = [];
    for (let i = 0; i < list.length; i++) {
      if (!this.errcodeOk.some((ok) => sameCode(list[i], ok))) {
        refused.push({
          index: i,
          problem: `item result ${String(ExactJson.stringify(list[i])).slice(0, 200)} at ${path.source}[${i}] is not one of ${ExactJson.stringify(this.errcodeOk)}`,
        });
      }
    }
    return { refused };
  }

  statusOk(status: number): boolean {
    return this.statuses ? this.statuses.has(status) : status >= 200 && status < 300;
  }

  /**
   * The errcode a response carries, as its exact JSON text (a 64-bit number is not rounded), for
   * showing an operator; null when no errcodePath is set or the body is empty, not JSON, too deep
   * (JsonDepth.MAX_ACCEPTED) or lacks the path. Never throws. evaluate() alone decides success.
   */
  errcode(body: string | undefined): string | null {
    if (!this.errcodePath || body === undefined || BLANK.test(body) || JsonDepth.exceeds(body, JsonDepth.MAX_ACCEPTED)) return null;
    try {
      const code = this.errcodePath.get(ExactJson.parse(body));
      return code === MISSING ? null : (ExactJson.stringify(code) ?? null);
    } catch {
      return null;
    }
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
