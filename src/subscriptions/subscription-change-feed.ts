import { Injectable } from '@nestjs/common';

type Listener = () => Promise<void>;

/**
 * Lets the runtime follow admin changes at once without the subscriptions module depending on
 * it: the supervisor listens, and the admin call returns after this instance reconciled.
 */
@Injectable()
export class SubscriptionChangeFeed {
  private readonly listeners: Listener[] = [];

  listen(listener: Listener): void {
    this.listeners.push(listener);
  }

  async announce(): Promise<void> {
    for (const listener of this.listeners) await listener();
  }
}
