import { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../../config/app.config';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
// Nest's start-up chatter (one line per module and route) is only interesting when debugging.
const FRAMEWORK_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

export type LogFields = Record<string, unknown>;

/**
 * One JSON object per line on stdout. Used both as Nest's logger and directly by the data path,
 * where callers pass subscription/topic/partition/offset as fields.
 */
export class JsonLogger implements LoggerService {
  private readonly min: number;

  constructor(
    level: LogLevel = 'info',
    private readonly out: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {
    this.min = RANK[level];
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
    const entry: LogFields = { ts: new Date().toISOString(), level };
    // Nest passes (message, context) or (message, stack, context); our code passes (message, fields).
    for (const extra of rest) {
      if (extra && typeof extra === 'object' && !Array.isArray(extra)) Object.assign(entry, extra);
      else if (typeof extra === 'string') {
        if (extra.includes('\n    at ')) entry.stack = extra;
        else entry.context = extra;
      }
    }
    if (message instanceof Error) {
      entry.msg = message.message;
      entry.stack ??= message.stack;
    } else {
      entry.msg = typeof message === 'string' ? message : safeStringify(message);
    }
    this.out(safeStringify(entry));
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}
