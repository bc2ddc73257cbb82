export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
}
