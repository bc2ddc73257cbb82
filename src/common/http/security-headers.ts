import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { createHash } from 'node:crypto';

/** The inline content kproxy's own pages carry, allowed by hash so no 'unsafe-inline' is needed. */
export interface InlineContent {
  /** Exact text of inline <script> elements (the console's import map). */
  readonly scripts: readonly string[];
  /** Exact text of inline <style> elements (the /docs page). */
  readonly styles: readonly string[];
}

/**
 * Response headers that keep browsers from turning kproxy's pages and answers against their
 * users, set by helmet (a well-kept library, so new browser defaults arrive with updates):
 *
 * - Content-Security-Policy (CSP Level 3): nothing by default; scripts, styles, images and
 *   fetches from kproxy's own origin only; inline scripts and styles only when their SHA-256
 *   matches `inline` (CSP3 §8.3 hash-source); no framing (frame-ancestors 'none', with
 *   X-Frame-Options DENY for older browsers, RFC 7034); no <base> and no plugins.
 *   An injected script can therefore not be loaded from elsewhere nor send what it reads
 *   anywhere but kproxy.
 * - Referrer-Policy no-referrer, X-Content-Type-Options nosniff, and helmet's other defaults
 *   (cross-origin opener and resource policies, Origin-Agent-Cluster, …).
 * - Strict-Transport-Security is left out: kproxy does not terminate TLS, and a long-lived
 *   HSTS pin (helmet's default also covers subdomains) is the TLS terminator's decision.
 * - `Cache-Control: no-store` on /api answers (RFC 9111 §5.2.2.5): they carry configuration and
 *   dead-letter payloads that no shared or browser cache should keep.
 */
export class SecurityHeaders {
  /** Express middleware, in order, for every request. */
  static middleware(inline: InlineContent): RequestHandler[] {
    const hashes = (texts: readonly string[]) => texts.map((t) => `'sha256-${createHash('sha256').update(t, 'utf8').digest('base64')}'`);
    const headers = helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'", ...hashes(inline.scripts)],
          styleSrc: ["'self'", ...hashes(inline.styles)],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      xFrameOptions: { action: 'deny' },
      strictTransportSecurity: false,
    });
    const noStoreOnApi: RequestHandler = (req, res, next) => {
      // Routing ignores case, so /API/... must get the header too.
      if (/^\/api(\/|$)/i.test(req.path)) res.setHeader('Cache-Control', 'no-store');
      next();
    };
    return [headers, noStoreOnApi];
  }
}
