import { Controller, Get, Header } from '@nestjs/common';
import { appVersion } from '../config/app-version';
import { buildOpenApiDocument, OPERATIONS } from './openapi.document';

/** The page's only inline style, allowed by its hash in the Content-Security-Policy (main.ts). */
export const DOCS_STYLE =
  'body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}code{font-size:13px}';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The admin API described: an OpenAPI document for tools, and a plain page for people. */
@Controller('docs')
export class DocsController {
  private document: Record<string, unknown> | null = null;

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    this.document ??= buildOpenApiDocument(appVersion());
    return this.document;
  }

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    const rows = Object.entries(OPERATIONS)
      .map(([key, op]) => {
        const [method, path] = key.split(' ');
        return `<tr><td><code>${method}</code></td><td><code>${escape(path)}</code></td><td>${escape(op.summary)}</td><td>${op.roles}</td><td>${op.body ? `<code>${op.body}</code>` : ''}</td></tr>`;
      })
      .join('\n');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>kproxy admin API</title>
<style>${DOCS_STYLE}</style>
</head><body><h1>kproxy admin API</h1>
<p>Request bodies, answers and errors are described as JSON Schema in <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI 3.1), request bodies generated from the schemas that validate them. Every error carries a stable <code>code</code> (README, Error codes). With <code>ADMIN_TOKEN</code> set, <code>/api</code> calls need <code>Authorization: Bearer &lt;token&gt;</code>.</p>
<table><thead><tr><th>method</th><th>path</th><th>what</th><th>roles</th><th>body</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
  }
}
