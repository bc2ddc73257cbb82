import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app.config';
import { MetricsService } from '../metrics/metrics.service';
import { ALERT_DEFAULTS, type AlertsSpec } from '../subscriptions/dto/subscription-spec.schema';
import { ConsumerAlertView, ConsumerSupervisor } from '../runtime/supervisor/consumer-supervisor.service';
import type { Alert, AlertFormat, AlertKind } from './alert-message';
import { AlertSender } from './alert-sender.service';

interface Watch {
  /** Dead letters counted so far (totals from the metrics), and those not yet alerted. */
  seen: number;
  seenByReason: Map<string, number>;
  pending: number;
  pendingByReason: Map<string, number>;
  windowStart: number;
  lagSince: number | null;
  lagAlerted: boolean;
  lastSent: Map<AlertKind, number>;
  /** Records skipped and offset rewinds counted so far, and those not yet alerted. */
  skipped: Tally;
  wentBack: Tally;
  /** Breaker openings seen, and whether an open alert awaits its closed alert. */
  opensSeen: number;
  openAlerted: boolean;
  /** The outside group members last alerted ("" when none). */
  foreignAlerted: string;
}

interface Tally {
  seen: number;
  pending: number;
}

/**
 * Looks at every consumer this instance runs each ALERT_EVALUATE_INTERVAL_MS and raises alerts:
 * dead letters (summed per window), lag over a threshold for a while (and its recovery), and a
 * consumer that cannot consume. Each kind keeps a cool-down per subscription; dead letters that
 * fall in a cool-down are carried into the next alert rather than lost. Reads only in-memory
 * figures, so it costs the data path nothing.
 */
@Injectable()
export class AlertEvaluator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly watches = new Map<number, Watch>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly supervisor: ConsumerSupervisor,
    private readonly metrics: MetricsService,
    private readonly sender: AlertSender,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.evaluate(Date.now()), this.config.alertEvaluateIntervalMs);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  evaluate(now: number): void {
    const live = new Set<number>();
    for (const view of this.supervisor.alertView()) {
      live.add(view.id);
      this.evaluateOne(view, now);
    }
    // A watch outlives its consumer, so dead letters are never counted twice when it comes back.
    for (const [id, w] of this.watches) {
      if (live.has(id)) continue;
      w.lagSince = null;
      w.lagAlerted = false;
    }
  }

  private evaluateOne(view: ConsumerAlertView, now: number): void {
    const m = this.metrics.forSubscription(view.id);
    let w = this.watches.get(view.id);
    if (!w) {
      // From zero: the metrics count from process start, and a record dead-lettered before the
      // first look at a new consumer still deserves its alert.
      w = {
        seen: 0,
        seenByReason: new Map(),
        pending: 0,
        pendingByReason: new Map(),
        windowStart: now,
        lagSince: null,
        lagAlerted: false,
        lastSent: new Map(),
        skipped: { seen: 0, pending: 0 },
        wentBack: { seen: 0, pending: 0 },
        opensSeen: 0,
        openAlerted: false,
        foreignAlerted: '',
      };
      this.watches.set(view.id, w);
    }
    const fresh = m.counters.deadLettered - w.seen;
    if (fresh > 0) {
      if (w.pending === 0) w.windowStart = now;
      w.pending += fresh;
      w.seen = m.counters.deadLettered;
      for (const [reason, total] of m.deadLetteredByReason) {
        const added = total - (w.seenByReason.get(reason) ?? 0);
        if (added > 0) w.pendingByReason.set(reason, (w.pendingByReason.get(reason) ?? 0) + added);
        w.seenByReason.set(reason, total);
      }
    }
    const cfg = view.alerts ?? ALERT_DEFAULTS;
    const target = this.target(view.alerts);
    if (!target || !cfg.deadLetters) {
      // Nobody would be told of these; they must not pile up into a later alert.
      w.pending = 0;
      w.pendingByReason.clear();
    }
    const skipped = tally(w.skipped, m.counters.skipped, cfg.consumerErrors && target !== null);
    const wentBack = tally(w.wentBack, m.counters.offsetsWentBack, cfg.consumerErrors && target !== null);
    if (!target) return;
    const send = (kind: AlertKind, summary: string, details: Record<string, unknown>, cooled = true): boolean => {
      const last = w.lastSent.get(kind);
      if (cooled && last !== undefined && now - last < cfg.cooldownSeconds * 1000) return false;
      w.lastSent.set(kind, now);
      const alert: Alert = {
        kind,
        subscription: { id: view.id, name: view.name, topic: view.topic },
        instance: this.config.instanceId,
        at: new Date(now).toISOString(),
        summary,
        details,
      };
      this.sender.enqueue(target.url, target.format, alert);
      return true;
    };

    if (w.pending > 0 && now - w.windowStart >= cfg.windowSeconds * 1000) {
      const reasons = Object.fromEntries(w.pendingByReason);
      const sinceWindow = new Date(w.windowStart).toISOString();
      const text = Object.entries(reasons)
        .map(([r, n]) => `${n} ${r}`)
        .join(', ');
      if (send('dead_letters', `${w.pending} record(s) dead-lettered since ${sinceWindow}: ${text}`, { count: w.pending, reasons, since: sinceWindow })) {
        w.pending = 0;
        w.pendingByReason.clear();
      }
    }

    if (cfg.lagThreshold > 0) {
      if (view.lag > cfg.lagThreshold) {
        w.lagSince ??= now;
        if (now - w.lagSince >= cfg.lagForSeconds * 1000) {
          const forSeconds = Math.round((now - w.lagSince) / 1000);
          if (
            send('lag', `lag is ${view.lag} records, over ${cfg.lagThreshold} for ${forSeconds} s`, { lag: view.lag, threshold: cfg.lagThreshold, forSeconds })
          ) {
            w.lagAlerted = true;
          }
        }
      } else {
        if (w.lagAlerted)
          send('lag_recovered', `lag is back to ${view.lag} records, under ${cfg.lagThreshold}`, { lag: view.lag, threshold: cfg.lagThreshold }, false);
        w.lagSince = null;
        w.lagAlerted = false;
      }
    }

    if (cfg.circuit) {
      const { circuit } = view;
      if (circuit.opens > w.opensSeen && circuit.state !== 'closed') {
        // Held back by a cool-down, it is tried again at the next look while the breaker stays open.
        if (
          send('circuit_open', `endpoint unavailable: the circuit breaker opened; records wait for the endpoint and one probe at a time goes out`, {
            opens: circuit.opens,
            probes: circuit.probes,
          })
        ) {
          w.openAlerted = true;
          w.opensSeen = circuit.opens;
        }
      } else if (circuit.state === 'closed') {
        if (w.openAlerted) {
          const seconds = Math.round(circuit.lastOpenForMs / 1000);
          send(
            'circuit_closed',
            `endpoint answering again: the circuit breaker closed after ${seconds} s open; delivery resumed`,
            { openForSeconds: seconds, probes: circuit.probes },
            false,
          );
          w.openAlerted = false;
        }
        w.opensSeen = circuit.opens;
      }
    } else w.opensSeen = view.circuit.opens;

    const foreign = view.foreignMembers.join(', ');
    if (!cfg.consumerErrors || !foreign) w.foreignAlerted = '';
    else if (
      foreign !== w.foreignAlerted &&
      send(
        'foreign_member',
        `consumers outside kproxy joined the subscription's consumer group and take part of its partitions: ${foreign}`,
        { members: view.foreignMembers },
        false,
      )
    ) {
      w.foreignAlerted = foreign;
    }
    if (cfg.consumerErrors && view.problem) send('consumer_error', `not consuming: ${view.problem}`, { problem: view.problem });
    // Never silent: records the broker no longer had, and partitions whose offsets went back.
    if (
      skipped > 0 &&
      send(
        'records_skipped',
        `${skipped} record(s) were removed from the log (retention or DeleteRecords) before they were delivered; consumption continued at the log start`,
        { count: skipped },
      )
    ) {
      w.skipped.pending = 0;
    }
    if (
      wentBack > 0 &&
      send(
        'offsets_went_back',
        `a partition's offsets went back ${wentBack} time(s) (topic recreated or log truncated); consumption started again at the log start`,
        { count: wentBack },
      )
    ) {
      w.wentBack.pending = 0;
    }
  }

  private target(alerts: AlertsSpec | null): { url: string; format: AlertFormat } | null {
    if (alerts?.webhookUrl) return { url: alerts.webhookUrl, format: alerts.format };
    return this.config.alertWebhook ?? null;
  }
}

/** Adds what a counter gained since the last look; returns what is pending (0, and nothing kept, when nobody is told). */
function tally(t: Tally, total: number, wanted: boolean): number {
  if (total > t.seen) t.pending += total - t.seen;
  t.seen = total;
  if (!wanted) t.pending = 0;
  return t.pending;
}
