import type { EndpointSpec, HttpMethod } from './delivery-spec';
import { SuccessRule } from './success-rule';

/** An endpoint compiled once per config version: parsed URL, normalised headers, success rule. */
export class DeliveryTarget {
  readonly origin: string;
  readonly path: string;
  readonly method: HttpMethod;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly success: SuccessRule;

  constructor(spec: EndpointSpec) {
    const url = new URL(spec.url);
    this.origin = url.origin;
    this.path = (url.pathname || '/') + url.search;
    this.method = spec.method;
    this.timeoutMs = spec.timeoutMs;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(spec.headers)) headers[name.toLowerCase()] = value;
    this.headers = headers;
    this.success = new SuccessRule(spec);
  }
}
