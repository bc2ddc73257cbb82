import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { REQUESTER_ALLOWED } from '../common/auth/requester-allowed.decorator';
import { AuditController } from '../audit/audit.controller';
import { InstancesController } from '../cluster/instances.controller';
import { DeadLettersController } from '../dead-letters/dead-letters.controller';
import { HealthController } from '../health/health.controller';
import { MetricsController } from '../metrics/metrics.controller';
import { OffsetsController } from '../control-plane/offsets/offsets.controller';
import { SubscriptionStatusController } from '../control-plane/status/subscription-status.controller';
import { ConfigRefreshController } from '../runtime/supervisor/config-refresh.controller';
import { SubscriptionsController } from '../subscriptions/subscriptions.controller';
import { TicketsController } from '../tickets/tickets.controller';
import { ConsoleController } from '../console/console.controller';
import { DocsController } from './docs.controller';
import { buildOpenApiDocument, OPERATIONS } from './openapi.document';

const CONTROLLERS = [
  SubscriptionsController,
  SubscriptionStatusController,
  OffsetsController,
  ConfigRefreshController,
  DeadLettersController,
  TicketsController,
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
    expect(doc.paths['/api/dead-letters'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['subscriptionId', 'state', 'limit']));
  });
});
