export type AlertKind =
  'dead_letters' | 'lag' | 'lag_recovered' | 'consumer_error' | 'records_skipped' | 'offsets_went_back' | 'circuit_open' | 'circuit_closed' | 'foreign_member';
export type AlertFormat = 'json' | 'slack' | 'wecom' | 'dingtalk';

export interface Alert {
  readonly kind: AlertKind;
  readonly subscription: { readonly id: number; readonly name: string; readonly topic: string };
  readonly instance: string;
  readonly at: string;
  /** One line a person can act on; the chat formats carry only this. */
  readonly summary: string;
  readonly details: Record<string, unknown>;
}

/** The body of an alert webhook call in each supported format. */
export class AlertMessage {
  static render(alert: Alert, format: AlertFormat): string {
    const text = `[kproxy] ${alert.summary} (subscription ${alert.subscription.name} #${alert.subscription.id}, topic ${alert.subscription.topic}, instance ${alert.instance})`;
    switch (format) {
      case 'slack':
        return JSON.stringify({ text });
      case 'wecom':
      case 'dingtalk':
        return JSON.stringify({ msgtype: 'text', text: { content: text } });
      case 'json':
        return JSON.stringify(alert);
    }
  }
}
