/*
 * Benchmark peer: what a NestJS team writes without kproxy. A Nest microservice on
 * @nestjs/microservices' Kafka transport (ServerKafka, which wraps kafkajs' `eachMessage`), configured
 * as the Nest and kafkajs documentation recommend for throughput: `run.partitionsConsumedConcurrently`
 * set to the topic's partition count (kafkajs: "should not be larger than the number of partitions"),
 * kafkajs' default auto-commit of resolved offsets. Prints "ready" once the Nest application is
 * built, then waits for a line on stdin before `listen()` connects, so the runner's CPU reading
 * starts with the connection.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { createInterface } from 'node:readline';
import { AppModule } from './app.module';
import { PeerConfig } from './peer-config';

async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    transport: Transport.KAFKA,
    options: {
      client: { clientId: 'bench-peer-nestjs', brokers: PeerConfig.bootstrap },
      consumer: { groupId: PeerConfig.groupId },
      // The group id as given: Nest appends "-server" by default.
      postfixId: '',
      subscribe: { fromBeginning: true },
      run: { partitionsConsumedConcurrently: PeerConfig.partitions },
    },
    logger: ['error'],
  });
  app.enableShutdownHooks();
  process.stdout.write('ready\n');
  await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
  await app.listen();
}

main().catch((err: unknown) => {
  process.stderr.write(`nestjs peer failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
