import { classifySqlFailure, sqlErrorName, sqlErrorSummary } from './sql-failure';

const sqlError = (errno: number, code: string, sqlMessage = 'x') => Object.assign(new Error(sqlMessage), { errno, code, sqlMessage, sqlState: 'HY000' });
const socketError = (code: string) => Object.assign(new Error(code), { code, errno: -104, fatal: true });

describe('classifySqlFailure', () => {
  it.each([
    ['data too long (BLOB/TEXT over its column)', sqlError(1406, 'ER_DATA_TOO_LONG'), 'refused'],
    ['packet too large, answered', sqlError(1153, 'ER_NET_PACKET_TOO_LARGE'), 'refused'],
    ['incorrect string value (MariaDB: multibyte text over TEXT)', sqlError(1366, 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD'), 'refused'],
    ['out of range', sqlError(1264, 'ER_WARN_DATA_OUT_OF_RANGE'), 'refused'],
    ['null into NOT NULL', sqlError(1048, 'ER_BAD_NULL_ERROR'), 'refused'],
    ['MariaDB JSON CHECK failed (mysql2 misnames 4025)', sqlError(4025, 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE'), 'refused'],
    ['MySQL invalid JSON', sqlError(3140, 'ER_INVALID_JSON_TEXT'), 'refused'],
    ['row size too large', sqlError(1118, 'ER_TOO_BIG_ROWSIZE'), 'refused'],
    ['duplicate on another unique key', sqlError(1062, 'ER_DUP_ENTRY'), 'refused'],
    ['connection refused', socketError('ECONNREFUSED'), 'outage'],
    ['connection reset, statement within the packet limit', socketError('ECONNRESET'), 'outage'],
    ['connection lost', socketError('PROTOCOL_CONNECTION_LOST'), 'outage'],
    ['connect timeout', socketError('ETIMEDOUT'), 'outage'],
    ['lock wait timeout', sqlError(1205, 'ER_LOCK_WAIT_TIMEOUT'), 'outage'],
    ['deadlock', sqlError(1213, 'ER_LOCK_DEADLOCK'), 'outage'],
    ['read-only server', sqlError(1290, 'ER_OPTION_PREVENTS_STATEMENT'), 'outage'],
    ['read-only transaction', sqlError(1792, 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION'), 'outage'],
    ['too many connections', sqlError(1040, 'ER_CON_COUNT_ERROR'), 'outage'],
    ['server shutting down', sqlError(1053, 'ER_SERVER_SHUTDOWN'), 'outage'],
    ['server gone away', sqlError(2006, 'CR_SERVER_GONE_ERROR'), 'outage'],
    ['missing table (schema behind)', sqlError(1146, 'ER_NO_SUCH_TABLE'), 'outage'],
    ['access denied', sqlError(1045, 'ER_ACCESS_DENIED_ERROR'), 'outage'],
    ['pool acquire timeout (no errno)', new Error('Pool is closed.'), 'outage'],
    ['not an error at all', undefined, 'outage'],
  ])('%s: %s', (_name, err, kind) => {
    expect(classifySqlFailure(err)).toBe(kind);
  });

  it('counts a connection closed under a statement over max_allowed_packet as a refusal', () => {
    expect(classifySqlFailure(socketError('ECONNRESET'), { queryBytes: 17_000_000, maxAllowedPacket: 16_777_216 })).toBe('refused');
    expect(classifySqlFailure(socketError('EPIPE'), { queryBytes: 17_000_000, maxAllowedPacket: 16_777_216 })).toBe('refused');
    expect(classifySqlFailure(socketError('ECONNRESET'), { queryBytes: 1_000, maxAllowedPacket: 16_777_216 })).toBe('outage');
    expect(classifySqlFailure(socketError('ECONNREFUSED'), { queryBytes: 17_000_000, maxAllowedPacket: 16_777_216 })).toBe('outage');
  });
});

describe('sqlErrorSummary', () => {
  it('keeps code, number and message, and drops the statement and its parameters', () => {
    const err = Object.assign(sqlError(1406, 'ER_DATA_TOO_LONG', "Data too long for column 'record_key' at row 1"), {
      query: 'INSERT INTO dead_letters ...',
      parameters: [Buffer.from('secret payload')],
    });
    expect(sqlErrorSummary(err)).toEqual({ code: 'ER_DATA_TOO_LONG', errno: 1406, message: "Data too long for column 'record_key' at row 1" });
    expect(JSON.stringify(sqlErrorSummary(err))).not.toContain('secret');
  });

  it.each([
    ["Duplicate entry 'alice@example.com-1' for key 'uq_x'", "Duplicate entry '…' for key 'uq_x'"],
    ["Incorrect string value: '\\xC3\\xA9\\xC3...' for column `db`.`t`.`c` at row 1", "Incorrect string value: '…' for column `db`.`t`.`c` at row 1"],
    ["Incorrect integer value: 'it''s secret' for column 'n' at row 1", "Incorrect integer value: '…' for column 'n' at row 1"],
    ["Truncated incorrect DOUBLE value: 'card 4111'", "Truncated incorrect DOUBLE value: '…'"],
    ["Duplicate entry 'o'brien' for key 'uq_x' leaks' for key 'uq_x'", "Duplicate entry '…' for key 'uq_x'"],
    ["Incorrect integer value: 'a'b' for column 'n' at row 1", "Incorrect integer value: '…' for column 'n' at row 1"],
    ["Truncated incorrect DOUBLE value: 'x' y 'z'", "Truncated incorrect DOUBLE value: '…'"],
    ["Duplicate entry 'cut off by the server", "Duplicate entry '…"],
  ])('strips the value the server quotes: %s', (message, expected) => {
    expect(sqlErrorSummary(sqlError(1062, 'ER_DUP_ENTRY', message)).message).toBe(expected);
  });

  it('cuts long messages', () => {
    expect(sqlErrorSummary(new Error('y'.repeat(5_000))).message).toHaveLength(301);
  });

  it('names refusals by the server reference, not mysql2 misnames', () => {
    expect(sqlErrorName(sqlError(4025, 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE'))).toBe('ER_CONSTRAINT_FAILED 4025');
    expect(sqlErrorName(socketError('ECONNRESET'))).toBe('ECONNRESET -104');
  });
});
