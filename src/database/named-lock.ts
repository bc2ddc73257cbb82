import { createConnection, type Connection } from 'mysql2/promise';

/**
 * A MySQL/MariaDB named lock (GET_LOCK) held on a connection of its own, outside the pool, so a
 * long holder never starves the pool: mutual exclusion across every instance sharing the
 * database, released when the holder finishes or its session dies.
 */
export class NamedLock {
  private constructor(
    private readonly conn: Connection,
    private readonly name: string,
  ) {}

  /** null when someone else holds it. */
  static tryAcquire(databaseUrl: string, name: string): Promise<NamedLock | null> {
    return NamedLock.acquire(databaseUrl, name, 0);
  }

  /** Waits up to `waitSeconds` for the lock; null when someone else still holds it then. */
  static async acquire(databaseUrl: string, name: string, waitSeconds: number): Promise<NamedLock | null> {
    const conn = await createConnection(databaseUrl);
    try {
      const [rows] = await conn.query('SELECT GET_LOCK(?, ?) AS got', [name, waitSeconds]);
      const got = (rows as Array<{ got: number | null }>)[0]?.got;
      if (got === null || got === undefined) throw new Error(`the database could not take lock "${name}"`);
      if (Number(got) === 1) return new NamedLock(conn, name);
    } catch (err) {
      await conn.end().catch(() => undefined);
      throw err;
    }
    await conn.end().catch(() => undefined);
    return null;
  }

  async release(): Promise<void> {
    try {
      await this.conn.query('SELECT RELEASE_LOCK(?)', [this.name]);
    } finally {
      await this.conn.end().catch(() => undefined);
    }
  }
}
