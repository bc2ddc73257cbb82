/*
 * What one log line costs: nanoseconds per JsonLogger call for a data-path line (7 fields), the
 * same line through a per-subscription child logger (bound subscription and topic), the full
 * line through that child (its repeats of the bindings written once), and a call below the
 * level (not written).
 * Not part of `npm run bench`; run on its own, with stdout thrown away and the table on stderr:
 *
 *   npm run build && node dist/bench/log-line.js [baseline.js] > /dev/null
 *
 * `baseline.js`: another build's compiled json.logger.js (for example the one before pino,
 * docs/decisions/0015), measured in the same process, rounds interleaved. Each figure is the
 * median of ROUNDS rounds; "out" rows write through a callback that drops the line (formatting
 * alone), "stdout" rows write to file descriptor 1.
 */
import { hrtime } from 'node:process';
import { pino } from 'pino';
import { JsonLogger } from '../src/common/logging/json.logger';
import { LOG_CENSOR, LOG_REDACT_PATHS, SUBSCRIPTION_SECRETS } from '../src/common/logging/log-redaction';

const ROUNDS = 11;
const LINES = 100_000;
const DISABLED_CALLS = 2_000_000;

interface Logs {
  warn(message: string, fields: Record<string, unknown>): void;
  debug(message: string, fields: Record<string, unknown>): void;
  child?(fields: Record<string, unknown>): Logs;
}
type Make = (out?: (line: string) => void) => Logs;

const drop = (_line: string): void => undefined;

function nsPerCall(calls: number, fn: (i: number) => void): number {
  for (let i = 0; i < calls / 10; i++) fn(i);
  const start = hrtime.bigint();
  for (let i = 0; i < calls; i++) fn(i);
  return Number(hrtime.bigint() - start) / calls;
}

/** The cases of one logger implementation, each a function returning ns per call. */
function cases(make: Make): Record<string, () => number> {
  const line = (log: Logs, i: number) =>
    log.warn('record dead-lettered', { subscription: 7, topic: 'payments', partition: i & 7, offset: i, reason: 'http-500', attempts: 4, lastStatus: 500 });
  const childLine = (log: Logs, i: number) =>
    log.warn('record dead-lettered', { partition: i & 7, offset: i, reason: 'http-500', attempts: 4, lastStatus: 500 });
  const toOut = make(drop);
  const toStdout = make();
  const sub = (log: Logs) => (log.child ? log.child({ subscription: 7, topic: 'payments' }) : null);
  const subOut = sub(toOut);
  const subStdout = sub(toStdout);
  const quiet = make(drop);
  return {
    'line, out': () => nsPerCall(LINES, (i) => line(toOut, i)),
    'line, stdout': () => nsPerCall(LINES, (i) => line(toStdout, i)),
    'child line, out': () => (subOut ? nsPerCall(LINES, (i) => childLine(subOut, i)) : NaN),
    'child line, stdout': () => (subStdout ? nsPerCall(LINES, (i) => childLine(subStdout, i)) : NaN),
    // What SubscriptionConsumer writes until it stops passing its subscription and topic itself.
    'child line repeating its bindings, out': () => (subOut ? nsPerCall(LINES, (i) => line(subOut, i)) : NaN),
    'below the level': () => nsPerCall(DISABLED_CALLS, (i) => quiet.debug('librdkafka', { subscription: 7, fac: 'FETCH', log: `x${i & 1}` })),
  };
}

/**
 * Raw pino, to price a redaction path under a key that holds a number on every line (the reason
 * `subscription` is no holder in log-redaction.ts): the same line without and with 6 such paths.
 */
function hotKeyCases(): Record<string, () => number> {
  const options = (paths: string[]) => ({ base: null, redact: { paths, censor: LOG_CENSOR } });
  const plain = pino(options([...LOG_REDACT_PATHS]), { write: drop });
  const hot = pino(options([...LOG_REDACT_PATHS, ...SUBSCRIPTION_SECRETS.map((p) => `subscription.${p}`)]), { write: drop });
  const fields = (i: number) => ({ subscription: 7, topic: 'payments', partition: i & 7, offset: i, reason: 'http-500', attempts: 4, lastStatus: 500 });
  return {
    'raw pino, no path under subscription': () => nsPerCall(LINES, (i) => plain.warn(fields(i), 'record dead-lettered')),
    'raw pino, 6 paths under subscription': () => nsPerCall(LINES, (i) => hot.warn(fields(i), 'record dead-lettered')),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  const builds: Array<[string, Record<string, () => number>]> = [['this build', cases((out) => new JsonLogger('info', out))]];
  const baselinePath = process.argv[2];
  if (baselinePath) {
    const Baseline = (require(baselinePath) as { JsonLogger: new (level: string, out?: (line: string) => void) => Logs }).JsonLogger;
    builds.push(['baseline', cases((out) => new Baseline('info', out))]);
  }
  builds.push(['pino', hotKeyCases()]);
  const results = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [build, table] of builds) {
      for (const [name, run] of Object.entries(table)) {
        const key = `${build}: ${name}`;
        results.set(key, [...(results.get(key) ?? []), run()]);
      }
    }
  }
  process.stderr.write(`node ${process.version}, median of ${ROUNDS} rounds, ns per call\n`);
  for (const [key, values] of results) {
    const m = median(values);
    if (!Number.isNaN(m)) process.stderr.write(`${key.padEnd(52)} ${m.toFixed(0).padStart(7)}\n`);
  }
}

main();
