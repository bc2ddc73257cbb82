import { JsonLogger } from '../common/logging/json.logger';
import { TypeormJsonLogger } from './typeorm-json.logger';

describe('TypeormJsonLogger', () => {
  const make = () => {
    const lines: string[] = [];
    return { lines, logger: new TypeormJsonLogger(new JsonLogger('debug', (l) => lines.push(l))) };
  };

  it('writes TypeORM warnings and nothing of its info chatter, which would break CLIs that print JSON results on stdout', () => {
    const { lines, logger } = make();
    logger.log('info', 'All classes found using provided glob pattern');
    logger.log('log', 'something');
    logger.log('warn', 'a warning');
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ level: 'warn', msg: 'a warning' })]);
  });

  it('never logs a failed query, its statement or its parameters (the handler logs the error once, with context)', () => {
    const { lines, logger } = make();
    (logger.logQueryError as (...a: unknown[]) => void)(new Error('Data too long'), 'INSERT INTO dead_letters VALUES (?)', ['personal data']);
    (logger.logQuery as (...a: unknown[]) => void)('SELECT 1', ['x']);
    (logger.logQuerySlow as (...a: unknown[]) => void)(5000, 'SELECT 1', ['x']);
    expect(lines).toEqual([]);
  });
});
