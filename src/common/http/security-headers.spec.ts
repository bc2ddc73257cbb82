import express from 'express';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SecurityHeaders } from './security-headers';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('SecurityHeaders', () => {
  it('sets a strict CSP allowing the given inline content by hash, no framing, no referrer, nosniff, and no-store on /api only', async () => {
    const script = '{ "imports": { "preact": "/console/vendor/preact.mjs" } }';
    const style = 'body{margin:0}';
    const app = express();
    app.use(...SecurityHeaders.middleware({ scripts: [script], styles: [style] }));
    app.get(/.*/, (_req, res) => res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const page = await fetch(`${base}/`);
      const csp = page.headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values.join(' ')]),
      );
      expect(directives).toEqual({
        'default-src': "'none'",
        'script-src': `'self' ${sha256(script)}`,
        'style-src': `'self' ${sha256(style)}`,
        'img-src': "'self' data:",
        'connect-src': "'self'",
        'base-uri': "'none'",
        'form-action': "'self'",
        'frame-ancestors': "'none'",
      });
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('strict-transport-security')).toBeNull();
      expect(page.headers.get('cache-control')).toBeNull();
      for (const path of ['/api/subscriptions', '/API/x', '/api']) expect((await fetch(base + path)).headers.get('cache-control')).toBe('no-store');
      expect((await fetch(`${base}/apiary`)).headers.get('cache-control')).toBeNull();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
