import { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../../config/app.config';
import { LOG_CENSOR, LOG_REDACT_PATHS } from './log-redaction';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
// Nest's start-up chatter (one line per module and route) is only interesting when debugging.
const FRAMEWORK_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);
/** How deep an error's `cause` chain is followed in a log line. */
const CAUSE_DEPTH = 3;
const NO_FIELDS: LogFields = Object.freeze({});

export type LogFields = Record<string, unknown>;

/**
 * One JSON object per line, written synchronously (a crash loses no line) to stdout, or to
 * `out` (one line without its newline per call; tests capture lines this way). Used both as
 * Nest's logger and directly by the data path, as `logger.warn(msg, { subscription, partition, … })`.
 *
 * A line: `{"level":"warn","ts":"<ISO 8601>",<bindings>,<fields>,"msg":"…"}`. `level` is one of
 * debug, info, warn, error (Nest's verbose is debug, fatal is error, and its start-up contexts
 * are debug); Nest's string arguments become `context`, or `stack` when they hold one.
 *
 * Written by pino (https://getpino.io), with `redact` over LOG_REDACT_PATHS: a secret at one of
 * those paths of a logged object shows as "****". Errors among the fields (or as Nest's message)
 * are logged as their type, message, code, stack and cause, never their other properties (a
 * query error carries its parameters: record payloads). No AsyncLocalStorage (decision 0005).
 *
 * Errors: none thrown; a value JSON cannot hold (a cycle, a BigInt) is written in pino's safe form.
 */
export class JsonLogger implements LoggerService {
  private readonly min: number;
  private readonly core: Logger;
  /** The logger child() derives from: its children carry all their bindings once. */
  private readonly root: Logger;
  private readonly bound: LogFields;
  private readonly boundKeys: readonly string[];

  constructor(level: LogLevel = 'info', out?: (line: string) => void) {
    this.min = RANK[level];
    this.root = this.core = pino(
      {
        level,
        base: null,
        messageKey: 'msg',
        timestamp: isoTimestamp,
        formatters: { level: (label) => ({ level: label }) },
        // Errors are summarized before they reach pino (loggable); its own `err` serializer would nest the summary again.
        serializers: { err: (value: unknown) => value },
        redact: { paths: [...LOG_REDACT_PATHS], censor: LOG_CENSOR },
      },
      out ? lineStream(out) : pino.destination({ dest: 1, sync: true }),
    );
    this.bound = NO_FIELDS;
    this.boundKeys = [];
  }

  /**
   * A logger that writes `fields` on every line, before the call's own fields; the same level,
   * output and redaction, and the same methods. Bindings are serialized once, here, so a
   * per-subscription logger (`logger.child({ subscription: id, topic })`) costs less per line
   * than passing them on each call. A child's child carries both sets of bindings, each key once
   * (the newer value wins). A call field equal to a binding is written once; one that differs
   * is written after it, so a JSON parser (last key wins) reads the call's value.
   *
   * ConsumerSupervisor hands each SubscriptionConsumer (and so its RecordProcessor) a child bound
   * to `subscription` and `topic`: code there need not pass them on each call.
   */
  child(fields: LogFields): JsonLogger {
    const bound = { ...this.bound, ...fields };
    // Not through the constructor: the child shares the root's pino logger and destination.
    return Object.assign(Object.create(JsonLogger.prototype) as JsonLogger, {
      min: this.min,
      core: this.root.child(bound),
      root: this.root,
      bound,
      boundKeys: Object.keys(bound),
    });
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  info(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  isEnabled(level: LogLevel): boolean {
    return RANK[level] >= this.min;
  }

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (RANK[level] < this.min) return;
    // Our code passes (message, fields); Nest passes (message, context) or (message, stack, context).
    let fields = rest.length === 1 && isFields(rest[0]) ? rest[0] : rest.length === 0 ? NO_FIELDS : gather(rest);
    let msg: string;
    if (message instanceof Error) {
      msg = message.message;
      if (fields.stack === undefined) fields = { ...fields, stack: message.stack };
    } else {
      msg = typeof message === 'string' ? message : safeStringify(message);
    }
    fields = this.loggable(fields);
    this.core[level](fields, msg);
  }

  /** `fields` with errors summarized and without repeats of a binding; the same object when nothing changes. */
  private loggable(fields: LogFields): LogFields {
    let change = false;
    for (const key in fields) {
      if (fields[key] instanceof Error) {
        change = true;
        break;
      }
    }
    for (let i = 0; i < this.boundKeys.length && !change; i++) change = this.repeatsBinding(fields, this.boundKeys[i]);
    if (!change) return fields;
    // A fresh object, not a copy with keys deleted: pino walks it next, and deleting slows that.
    const out: LogFields = {};
    for (const key in fields) {
      if (this.repeatsBinding(fields, key)) continue;
      const value = fields[key];
      out[key] = value instanceof Error ? errorSummary(value, CAUSE_DEPTH) : value;
    }
    return out;
  }

  private repeatsBinding(fields: LogFields, key: string): boolean {
    return Object.hasOwn(this.bound, key) && Object.hasOwn(fields, key) && fields[key] === this.bound[key];
  }
}

function isFields(value: unknown): value is LogFields {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error);
}

/** Nest's and mixed argument lists: objects merge (later wins), strings are a context or a stack, errors become `err`. */
function gather(rest: unknown[]): LogFields {
  const entry: LogFields = {};
  for (const extra of rest) {
    if (extra instanceof Error) entry.err = extra;
    else if (isFields(extra)) Object.assign(entry, extra);
    else if (typeof extra === 'string') {
      if (extra.includes('\n    at ')) entry.stack = extra;
      else entry.context = extra;
    }
  }
  return entry;
}

/**
 * What a log line keeps of an error: name, message, code, stack, and the same of its cause.
 * Other own properties are left out: a TypeORM QueryFailedError carries the statement's
 * parameters (record payloads), an HTTP client error its request options.
 */
function errorSummary(err: Error, depth: number): LogFields {
  const code = (err as { code?: unknown }).code;
  const cause = err.cause;
  return {
    type: err.name,
    message: err.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    stack: err.stack,
    ...(cause instanceof Error && depth > 1 ? { cause: errorSummary(cause, depth - 1) } : {}),
  };
}

let stampedAt = NaN;
let stamp = '';

/**
 * pino's timestamp hook: `,"ts":"<ISO 8601>"`. Formatting a Date was a third of a line's cost
 * (docs/decisions/0015); lines written in the same millisecond share one string.
 */
function isoTimestamp(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"ts":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

function lineStream(out: (line: string) => void): DestinationStream {
  // pino ends each line with "\n"; `out` gets the line alone, as it always has.
  return { write: (line: string) => out(line.endsWith('\n') ? line.slice(0, -1) : line) };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}
