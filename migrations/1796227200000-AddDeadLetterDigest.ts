import { MigrationInterface, QueryRunner } from 'typeorm';
import { recordDigest } from '../src/dead-letters/record-digest';

const PAGE = 500;

/**
 * A dead letter's identity gains the digest of its record's content, so a different record at
 * reused coordinates (topic recreated, brokers pointed at another cluster) no longer lands on an
 * old row. Existing rows get the digest of the bytes they hold.
 */
export class AddDeadLetterDigest1796227200000 implements MigrationInterface {
  name = 'AddDeadLetterDigest1796227200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dead_letters ADD COLUMN record_digest BINARY(32) NULL AFTER record_offset');
    for (let after = 0; ; ) {
      const rows: Array<{ id: string; record_key: Buffer | null; record_headers: unknown; record_value: Buffer | null; record_timestamp: string | null }> = await q.query(
        'SELECT id, record_key, record_headers, record_value, record_timestamp FROM dead_letters WHERE id > ? ORDER BY id LIMIT ?',
        [after, PAGE],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const headers = typeof row.record_headers === 'string' ? JSON.parse(row.record_headers) : row.record_headers;
        const digest = recordDigest({
          key: row.record_key,
          headers: Array.isArray(headers) ? headers : null,
          value: row.record_value,
          timestamp: row.record_timestamp === null ? null : Number(row.record_timestamp),
        });
        await q.query('UPDATE dead_letters SET record_digest = ? WHERE id = ?', [digest, row.id]);
      }
      after = Number(rows[rows.length - 1].id);
    }
    await q.query('ALTER TABLE dead_letters MODIFY record_digest BINARY(32) NOT NULL');
    await q.query(
      'ALTER TABLE dead_letters DROP INDEX uq_dead_letters_record, ADD UNIQUE KEY uq_dead_letters_record (subscription_id, topic, partition_no, record_offset, record_digest)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const shared: unknown[] = await q.query(
      'SELECT 1 FROM dead_letters GROUP BY subscription_id, topic, partition_no, record_offset HAVING COUNT(*) > 1 LIMIT 1',
    );
    if (shared.length > 0) {
      throw new Error('dead_letters holds different records at the same subscription/topic/partition/offset; the old unique key cannot hold them. Discard or delete the extra rows first.');
    }
    await q.query(
      'ALTER TABLE dead_letters DROP INDEX uq_dead_letters_record, ADD UNIQUE KEY uq_dead_letters_record (subscription_id, topic, partition_no, record_offset)',
    );
    await q.query('ALTER TABLE dead_letters DROP COLUMN record_digest');
  }
}
