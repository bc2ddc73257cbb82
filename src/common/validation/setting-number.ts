import { z, type ZodType } from 'zod';
import { JsonNumber } from '../json/json-number';

/**
 * Wraps the schema of a numeric setting (timeoutMs, maxRetries, offsets ...) that is held as a
 * JavaScript double. The API parser gives numbers a double would alter as JsonNumber
 * (ExactJson); here one that a double holds at the same exact value (5e3, 1.50, 2.0) becomes
 * that number, and one it does not (9007199254740993, 0.1000000000000000055511151231257827,
 * 1e400) is an issue naming the field instead of a silently rounded setting.
 */
export function settingNumber<T extends ZodType>(schema: T) {
  return z.preprocess((value, ctx) => {
    if (!(value instanceof JsonNumber)) return value;
    const n = Number(value.text);
    if (Number.isFinite(n) && JsonNumber.keyOf(n) === value.key) return n;
    ctx.addIssue({
      code: 'custom',
      message: Number.isFinite(n)
        ? `${value.text} cannot be held exactly (a double keeps 15-17 significant digits; the nearest is ${n})`
        : `${value.text} is out of range (at most ±1.7976931348623157e308)`,
    });
    return z.NEVER;
  }, schema);
}
