import { MetricsService } from './metrics.service';

describe('MetricsService', () => {
  it('renders what subscriptions counted, with cumulative histogram buckets', async () => {
    const svc = new MetricsService();
    const m = svc.forSubscription(7);
    m.consumed();
    m.consumed();
    m.delivered();
    m.deadLettered('not_json');
    m.attempt(0.002, true);
    m.attempt(0.02, true);
    m.attempt(45, false);
    const text = await svc.render();
    expect(text).toContain('kproxy_messages_consumed_total{subscription="7"} 2');
    expect(text).toContain('kproxy_messages_delivered_total{subscription="7"} 1');
    expect(text).toContain('kproxy_messages_dead_lettered_total{subscription="7",reason="not_json"} 1');
    expect(text).toContain('kproxy_delivery_duration_seconds_bucket{subscription="7",outcome="success",le="0.001"} 0');
    expect(text).toContain('kproxy_delivery_duration_seconds_bucket{subscription="7",outcome="success",le="0.0025"} 1');
    expect(text).toContain('kproxy_delivery_duration_seconds_bucket{subscription="7",outcome="success",le="+Inf"} 2');
    expect(text).toContain('kproxy_delivery_duration_seconds_count{subscription="7",outcome="success"} 2');
    expect(text).toContain('kproxy_delivery_duration_seconds_bucket{subscription="7",outcome="failure",le="30"} 0');
    expect(text).toContain('kproxy_delivery_duration_seconds_bucket{subscription="7",outcome="failure",le="+Inf"} 1');
    expect(text).toContain('kproxy_delivery_duration_seconds_sum{subscription="7",outcome="failure"} 45');
  });

  it('keeps counting across scrapes without double counting', async () => {
    const svc = new MetricsService();
    const m = svc.forSubscription(1);
    m.delivered();
    await svc.render();
    m.delivered();
    expect(await svc.render()).toContain('kproxy_messages_delivered_total{subscription="1"} 2');
  });

  it('reads consumer states, lag and in-flight from the runtime, and counts refresh failures, commit failures and rate waits', async () => {
    const svc = new MetricsService();
    svc.setRuntimeSources({
      lag: () => [{ subscription: 3, partition: 1, lag: 42 }],
      inFlight: () => [{ subscription: 3, records: 5 }],
      states: () => [
        { subscription: 3, state: 'running' },
        { subscription: 4, state: 'failed' },
      ],
      endpoints: () => [{ subscription: 3, circuitState: 'open', opens: 2, probes: 5, openMs: 12_500, inFlightLimit: 7 }],
    });
    svc.configRefreshFailed();
    svc.configRefreshFailed();
    const m = svc.forSubscription(3);
    m.commitFailed();
    m.rateWaited(0.25);
    m.rateWaited(0.5);
    const text = await svc.render();
    expect(text).toContain('kproxy_consumer_state{subscription="3",state="running"} 1');
    expect(text).toContain('kproxy_consumer_state{subscription="4",state="failed"} 1');
    expect(text).toContain('kproxy_consumer_lag{subscription="3",partition="1"} 42');
    expect(text).toContain('kproxy_records_in_flight{subscription="3"} 5');
    expect(text).toContain('kproxy_config_refresh_failures_total 2');
    expect(text).toContain('kproxy_commit_failures_total{subscription="3"} 1');
    expect(text).toContain('kproxy_rate_limit_wait_seconds_total{subscription="3"} 0.75');
    expect(text).toContain('kproxy_circuit_state{subscription="3",state="open"} 1');
    expect(text).toContain('kproxy_circuit_state{subscription="3",state="closed"} 0');
    expect(text).toContain('kproxy_circuit_opens_total{subscription="3"} 2');
    expect(text).toContain('kproxy_circuit_probes_total{subscription="3"} 5');
    expect(text).toContain('kproxy_circuit_open_seconds_total{subscription="3"} 12.5');
    expect(text).toContain('kproxy_inflight_limit{subscription="3"} 7');
  });
});
