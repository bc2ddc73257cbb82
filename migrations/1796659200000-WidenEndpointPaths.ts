import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `errcode_path` and `item_results_path` hold any JSONPath the API accepts: up to
 * JsonPath.MAX_LENGTH (1,024) characters. At 512, a valid path between 513 and 1,024 characters
 * was refused by strict mode as a 500 instead of being stored.
 */
export class WidenEndpointPaths1796659200000 implements MigrationInterface {
  name = 'WidenEndpointPaths1796659200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE endpoints MODIFY errcode_path VARCHAR(1024) NULL, MODIFY item_results_path VARCHAR(1024) NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE endpoints MODIFY errcode_path VARCHAR(512) NULL, MODIFY item_results_path VARCHAR(512) NULL');
  }
}
