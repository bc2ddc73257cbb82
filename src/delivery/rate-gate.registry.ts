import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { RateGate } from './rate-gate';

/**
 * One rate gate per subscription per process, shared by its consumer and by dead-letter
 * re-delivery, so a replay of failures cannot overrun the limit the live traffic keeps.
 */
@Injectable()
export class RateGateRegistry implements OnApplicationShutdown {
  private readonly gates = new Map<number, RateGate>();

  /** The running consumer's gate, when this process runs the subscription. */
  existing(subscriptionId: number): RateGate | undefined {
    return this.gates.get(subscriptionId);
  }

  /** For the consumer, which owns the rate: creates the gate or applies the new rate. */
  gate(subscriptionId: number, ratePerSec: number): RateGate {
    let gate = this.gates.get(subscriptionId);
    if (!gate) {
      gate = new RateGate(ratePerSec);
      this.gates.set(subscriptionId, gate);
    } else {
      gate.setRate(ratePerSec);
    }
    return gate;
  }

  remove(subscriptionId: number): void {
    this.gates.get(subscriptionId)?.close();
    this.gates.delete(subscriptionId);
  }

  onApplicationShutdown(): void {
    for (const gate of this.gates.values()) gate.close();
    this.gates.clear();
  }
}
