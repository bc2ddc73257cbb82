import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { DomainErrorCode } from '../common/errors/domain-error-code.enum';
import { REQUESTER_ALLOWED } from '../common/auth/requester-allowed.decorator';
import { AuditController } from '../audit/audit.controller';
import { InstancesController } from '../cluster/instances.controller';
import { DeadLettersController } from '../dead-letters/dead-letters.controller';
import { HealthController } from '../health/health.controller';
import { MetricsController } from '../metrics/metrics.controller';
import { OffsetsController } from '../control-plane/offsets/offsets.controller';
import { SubscriptionListController } from '../control-plane/listing/subscription-list.controller';
import { SubscriptionStatusController } from '../control-plane/status/subscription-status.controller';
import { MetricsHistoryController } from '../control-plane/metrics-history/metrics-history.controller';
import { ConfigRefreshController } from '../runtime/supervisor/config-refresh.controller';
import { SubscriptionsController } from '../subscriptions/subscriptions.controller';
import { TicketsController } from '../tickets/tickets.controller';
import { PreviewController } from '../preview/preview.controller';
import { ConsoleController } from '../console/console.controller';
import { DocsController } from './docs.controller';
import { buildOpenApiDocument, OPERATIONS } from './openapi.document';

const CONTROLLERS = [
  SubscriptionsController,
  SubscriptionListController,
  SubscriptionStatusController,
  MetricsHistoryController,
  OffsetsController,
  ConfigRefreshController,
  DeadLettersController,
  TicketsController,
  PreviewController,
  InstancesController,
  AuditController,
  HealthController,
  MetricsController,
  DocsController,
  ConsoleController,
];

/** Every route the controllers declare, as "METHOD /path/{id}" (a wildcard "*path" as "{path}"), with whether requesters may call it. */
function declaredRoutes(): Map<string, boolean> {
  const routes = new Map<string, boolean>();
  for (const controller of CONTROLLERS) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller));
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as unknown as Record<string, object>)[name];
      if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      const sub = String(Reflect.getMetadata(PATH_METADATA, handler));
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const path = ('/' + [base, sub].filter((p) => p && p !== '/').join('/')).replace(/[:*](\w+)/g, '{$1}');
      routes.set(`${method} ${path}`, Reflect.getMetadata(REQUESTER_ALLOWED, handler) === true);
    }
  }
  return routes;
}

describe('OpenAPI document', () => {
  it('documents exactly the routes the controllers serve, with the roles the guard enforces', () => {
    const routes = declaredRoutes();
    expect([...routes.keys()].sort()).toEqual(Object.keys(OPERATIONS).sort());
    for (const [route, requesterAllowed] of routes) {
      if (OPERATIONS[route].roles === 'open') continue;
      expect({ route, roles: OPERATIONS[route].roles }).toEqual({ route, roles: requesterAllowed ? 'operator, requester' : 'operator' });
    }
  });

  it('describes request bodies as JSON Schema generated from the validating schemas', () => {
    const doc = buildOpenApiDocument('1.2.3') as { info: { version: string }; components: { schemas: Record<string, any> }; paths: Record<string, any> };
    expect(doc.info.version).toBe('1.2.3');
    const sub = doc.components.schemas.SubscriptionInput;
    expect(sub.required).toEqual(expect.arrayContaining(['name', 'kafka', 'endpoint']));
    expect(sub.properties.delivery.properties.ordering.enum).toEqual(['partition', 'key', 'unordered']);
    expect(doc.components.schemas.TicketInput.required).toEqual(expect.arrayContaining(['requester', 'reason', 'name']));
    expect(doc.paths['/api/tickets/{id}/approve'].post.requestBody.required).toBe(false);
    expect(doc.paths['/api/dead-letters'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['subscriptionId', 'state', 'limit']),
    );
  });

  it('describes every success answer and every error answer with a schema', () => {
    const doc = buildOpenApiDocument('1.2.3') as { components: { schemas: Record<string, any> }; paths: Record<string, Record<string, any>> };
    const resolvable = (schema: { $ref?: string; items?: { $ref?: string } }) => {
      const target = schema.$ref ?? schema.items?.$ref;
      return target === undefined || doc.components.schemas[target.replace('#/components/schemas/', '')] !== undefined;
    };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const ok = String(OPERATIONS[`${method.toUpperCase()} ${path}`].ok ?? 200);
        for (const [status, response] of Object.entries(operation.responses as Record<string, { content: Record<string, { schema: any }> }>)) {
          const media = Object.values(response.content);
          expect({ route: `${method} ${path}`, status, described: media.length > 0 && media.every((m) => m.schema && resolvable(m.schema)) }).toEqual({
            route: `${method} ${path}`,
            status,
            described: true,
          });
          if (status !== ok && !(status === '503' && path === '/health/ready'))
            expect(response.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
        }
      }
    }
    expect(doc.paths['/api/subscriptions'].get.responses['200'].content['application/json'].schema).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/Subscription' },
    });
    expect(doc.paths['/api/subscriptions/{id}'].get.responses['404'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(doc.components.schemas.Subscription.oneOf.map((s: any) => s.properties.view.const)).toEqual(['full', 'summary']);
  });

  it('describes the error body with every code and the fields list', () => {
    const error = (buildOpenApiDocument('1.2.3') as { components: { schemas: Record<string, any> } }).components.schemas.Error;
    expect(error.required).toEqual(['statusCode', 'error', 'message', 'code']);
    expect(error.properties.code.enum).toEqual(Object.values(DomainErrorCode));
    expect(error.properties.code.description).toContain('404: NOT_FOUND, SUBSCRIPTION_NOT_FOUND');
    expect(error.properties.fields.items.required).toEqual(['path', 'message']);
  });
});
