export default async function globalTeardown(): Promise<void> {
  // Each suite stops the processes it started; the database is kept for post-mortem reading.
}
