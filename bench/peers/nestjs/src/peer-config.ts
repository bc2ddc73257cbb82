/**
 * The peer's settings, from the environment the bench runner (bench/peers.ts) sets: BOOTSTRAP
 * (host:port list), TOPIC, GROUP_ID, SINK_URL (where each record is POSTed), PARTITIONS (the
 * topic's partition count). Read once at start; a missing or malformed value throws naming it.
 */
export class PeerConfig {
  static readonly bootstrap = PeerConfig.required('BOOTSTRAP').split(',');
  static readonly topic = PeerConfig.required('TOPIC');
  static readonly groupId = PeerConfig.required('GROUP_ID');
  static readonly sinkUrl = new URL(PeerConfig.required('SINK_URL')).href;
  static readonly partitions = PeerConfig.positive('PARTITIONS');

  private static required(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  }

  private static positive(name: string): number {
    const value = Number(PeerConfig.required(name));
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.env[name]}`);
    return value;
  }
}
