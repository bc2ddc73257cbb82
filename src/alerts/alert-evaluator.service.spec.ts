import { AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import type { ConsumerAlertView, ConsumerSupervisor } from '../runtime/supervisor/consumer-supervisor.service';
import type { AlertsSpec } from '../subscriptions/dto/subscription-spec.schema';
import { AlertEvaluator } from './alert-evaluator.service';
import type { Alert, AlertFormat } from './alert-message';
import type { AlertSender } from './alert-sender.service';

const ALERTS: AlertsSpec = {
  webhookUrl: 'http://hooks.example/kproxy',
  format: 'slack',
  deadLetters: true,
  consumerErrors: true,
  circuit: true,
  lagThreshold: 100,
  lagForSeconds: 10,
  windowSeconds: 60,
  cooldownSeconds: 300,
};

function setup(alerts: AlertsSpec | null, env: Record<string, string> = {}) {
  const view: { lag: number; problem: string | null; circuit: ConsumerAlertView['circuit']; foreignMembers: string[] } = {
    lag: 0,
    problem: null,
    foreignMembers: [],
    circuit: { state: 'closed', opens: 0, lastOpenForMs: 0, probes: 0 },
  };
  const supervisor = {
    alertView: (): ConsumerAlertView[] => {
      const out = [
        { id: 7, name: 'orders', topic: 'orders', alerts, lag: view.lag, problem: view.problem, circuit: view.circuit, foreignMembers: view.foreignMembers },
      ];
      view.problem = null;
      return out;
    },
  } as unknown as ConsumerSupervisor;
  const metrics = new MetricsService();
  const sent: Array<{ url: string; format: AlertFormat; alert: Alert }> = [];
  const sender = { enqueue: (url: string, format: AlertFormat, alert: Alert) => sent.push({ url, format, alert }) } as unknown as AlertSender;
  const config = AppConfig.fromEnv({
    DATABASE_URL: 'mysql://u:p@127.0.0.1/k',
    SECRETS_KEY: 'q2k9cS3yq1mJxq0zv8w1bQ2m0f8H3Jm3lC3mV4X7Qm8=',
    INSTANCE_ID: 'i-1',
    ...env,
  });
  const evaluator = new AlertEvaluator(config, supervisor, metrics, sender);
  return { view, m: metrics.forSubscription(7), sent, evaluator };
}

describe('AlertEvaluator', () => {
  it('sums dead letters per window and carries those inside a cool-down into the next alert', () => {
    const { m, sent, evaluator } = setup(ALERTS);
    evaluator.evaluate(0);
    m.deadLettered('rejected');
    m.deadLettered('rejected');
    m.deadLettered('not_json');
    evaluator.evaluate(1_000);
    expect(sent).toHaveLength(0);
    evaluator.evaluate(61_000);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ url: 'http://hooks.example/kproxy', format: 'slack' });
    expect(sent[0].alert).toMatchObject({ kind: 'dead_letters', instance: 'i-1', details: { count: 3, reasons: { rejected: 2, not_json: 1 } } });
    m.deadLettered('rejected');
    evaluator.evaluate(70_000);
    evaluator.evaluate(200_000);
    expect(sent).toHaveLength(1);
    m.deadLettered('rejected');
    evaluator.evaluate(361_000);
    expect(sent).toHaveLength(2);
    expect(sent[1].alert.details).toMatchObject({ count: 2, reasons: { rejected: 2 } });
  });

  it('raises lag only after it stays over the threshold, and says when it recovers', () => {
    const { view, sent, evaluator } = setup(ALERTS);
    view.lag = 500;
    evaluator.evaluate(0);
    evaluator.evaluate(9_000);
    expect(sent).toHaveLength(0);
    evaluator.evaluate(10_000);
    expect(sent.map((s) => s.alert.kind)).toEqual(['lag']);
    expect(sent[0].alert.details).toEqual({ lag: 500, threshold: 100, forSeconds: 10 });
    evaluator.evaluate(20_000);
    expect(sent).toHaveLength(1);
    view.lag = 3;
    evaluator.evaluate(30_000);
    expect(sent.map((s) => s.alert.kind)).toEqual(['lag', 'lag_recovered']);
  });

  it('says when the circuit breaker opens and when it closes again', () => {
    const { view, sent, evaluator } = setup(ALERTS);
    evaluator.evaluate(0);
    view.circuit = { state: 'open', opens: 1, lastOpenForMs: 0, probes: 0 };
    evaluator.evaluate(1_000);
    evaluator.evaluate(2_000);
    expect(sent.map((s) => s.alert.kind)).toEqual(['circuit_open']);
    view.circuit = { state: 'closed', opens: 1, lastOpenForMs: 62_400, probes: 9 };
    evaluator.evaluate(63_000);
    evaluator.evaluate(64_000);
    expect(sent.map((s) => s.alert.kind)).toEqual(['circuit_open', 'circuit_closed']);
    expect(sent[1].alert.summary).toBe('endpoint answering again: the circuit breaker closed after 62 s open; delivery resumed');
    // Opened and closed again between two looks: nothing to say once it is closed.
    view.circuit = { state: 'closed', opens: 2, lastOpenForMs: 500, probes: 10 };
    evaluator.evaluate(65_000);
    expect(sent).toHaveLength(2);
  });

  it('says when consumers outside kproxy join the group, once per set of members', () => {
    const { view, sent, evaluator } = setup(ALERTS);
    evaluator.evaluate(0);
    expect(sent).toHaveLength(0);
    view.foreignMembers = ['rogue-1 at 10.0.0.9'];
    evaluator.evaluate(1_000);
    evaluator.evaluate(2_000);
    expect(sent.map((s) => s.alert.kind)).toEqual(['foreign_member']);
    expect(sent[0].alert.details).toEqual({ members: ['rogue-1 at 10.0.0.9'] });
    view.foreignMembers = ['rogue-1 at 10.0.0.9', 'rogue-2 at 10.0.0.9'];
    evaluator.evaluate(3_000);
    view.foreignMembers = [];
    evaluator.evaluate(4_000);
    view.foreignMembers = ['rogue-1 at 10.0.0.9'];
    evaluator.evaluate(5_000);
    expect(sent.map((s) => s.alert.summary.split(': ')[1])).toEqual(['rogue-1 at 10.0.0.9', 'rogue-1 at 10.0.0.9, rogue-2 at 10.0.0.9', 'rogue-1 at 10.0.0.9']);
  });

  it('reports a consumer that cannot consume, once per cool-down', () => {
    const { view, sent, evaluator } = setup(ALERTS);
    view.problem = 'cannot reach the Kafka cluster at 127.0.0.1:1';
    evaluator.evaluate(0);
    view.problem = 'cannot reach the Kafka cluster at 127.0.0.1:1';
    evaluator.evaluate(5_000);
    expect(sent).toHaveLength(1);
    expect(sent[0].alert.summary).toBe('not consuming: cannot reach the Kafka cluster at 127.0.0.1:1');
  });

  it('uses ALERT_WEBHOOK_URL for subscriptions without their own, and sends nothing without either', () => {
    const global = setup(null, { ALERT_WEBHOOK_URL: 'http://hooks.example/all', ALERT_WEBHOOK_FORMAT: 'wecom' });
    global.evaluator.evaluate(0);
    global.m.deadLettered('too_large');
    global.evaluator.evaluate(1_000);
    global.evaluator.evaluate(61_000);
    expect(global.sent.map((s) => [s.url, s.format])).toEqual([['http://hooks.example/all', 'wecom']]);

    const none = setup(null);
    none.evaluator.evaluate(0);
    none.m.deadLettered('too_large');
    none.view.problem = 'broken';
    none.evaluator.evaluate(1_000);
    none.evaluator.evaluate(61_000);
    expect(none.sent).toHaveLength(0);
  });

  it('alerts on dead letters written before it first saw the consumer, and never twice when the consumer comes back', () => {
    const { m, sent, evaluator } = setup({ ...ALERTS, windowSeconds: 1, cooldownSeconds: 0 });
    m.deadLettered('rejected');
    evaluator.evaluate(0);
    evaluator.evaluate(1_000);
    expect(sent.map((s) => s.alert.details.count)).toEqual([1]);
    evaluator.evaluate(2_000);
    evaluator.evaluate(3_000);
    expect(sent).toHaveLength(1);
  });
});
