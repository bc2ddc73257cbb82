/*
 * Starts or stops a local Apache Kafka (KRaft) for development and the test command:
 *   node dist/scripts/kafka/kafka-cli.js start [--nodes 1|3] [--port 9092] [--dir .run/kafka]
 *   node dist/scripts/kafka/kafka-cli.js stop [--dir .run/kafka]
 * `start` formats fresh storage, starts the nodes in the background, waits until they are
 * registered brokers and prints the bootstrap list (host:port,...) on stdout. scripts/kafka/kafka.sh
 * wraps it.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalKafkaCluster } from './kafka-cluster';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { nodes: { type: 'string', default: '1' }, port: { type: 'string' }, dir: { type: 'string', default: '.run/kafka' } },
  });
  const dir = resolve(values.dir);
  switch (positionals[0]) {
    case 'start': {
      const nodes = Number(values.nodes);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 5) throw new Error(`--nodes must be 1 to 5, not "${values.nodes}"`);
      const first = values.port === undefined ? undefined : Number(values.port);
      if (first !== undefined && !(Number.isInteger(first) && first > 0 && first < 65536 - nodes))
        throw new Error(`--port must be a TCP port, not "${values.port}"`);
      const ports = first === undefined ? undefined : Array.from({ length: nodes }, (_, i) => first + i * 10);
      const cluster = await LocalKafkaCluster.start({ dir, nodes, ports, stopOnExit: false });
      process.stdout.write(cluster.bootstrap + '\n');
      return;
    }
    case 'stop':
      await LocalKafkaCluster.stopDir(dir);
      return;
    default:
      throw new Error('usage: kafka-cli start [--nodes N] [--port P] [--dir D] | stop [--dir D]');
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`kafka: ${err.message}\n`);
    process.exit(1);
  },
);
