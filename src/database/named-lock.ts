import type { DataSource, QueryRunner } from 'typeorm';

/**
 * A MySQL/MariaDB named lock (GET_LOCK), held on its own connection: mutual exclusion across
 * every instance sharing the database, released when the holder finishes or its session dies.
 */
export class NamedLock {
  private constructor(
    private readonly runner: QueryRunner,
    private readonly name: string,
  ) {}

  /** null when someone else holds it. */
  static async tryAcquire(dataSource: DataSource, name: string): Promise<NamedLock | null> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [row] = await runner.query('SELECT GET_LOCK(?, 0) AS got', [name]);
      if (Number(row.got) === 1) return new NamedLock(runner, name);
    } catch (err) {
      await runner.release();
      throw err;
    }
    await runner.release();
    return null;
  }

  async release(): Promise<void> {
    try {
      await this.runner.query('SELECT RELEASE_LOCK(?)', [this.name]);
    } finally {
      await this.runner.release();
    }
  }
}
