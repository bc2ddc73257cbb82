/*
 * The lists section (`BENCH_ONLY=lists npm run bench`, issue 20): how the admin API's lists
 * answer when a platform runs hundreds to thousands of subscriptions with a large dead-letter
 * store. For each size in BENCH_LISTS_SIZES (default 300,3000,10000 subscriptions) it writes the
 * subscriptions with SQL (stopped, so nothing consumes; one statement per table, as
 * test/scalable-lists.e2e-spec.ts does) and BENCH_LISTS_DEAD_PER_SUB dead letters each (default
 * 20), then times each list query the console makes: the proxy's answer time (p50/p99, ms), the
 * proxy's and the database server's CPU per request (ms), the rows and bytes answered.
 *
 * Sizes grow in place (300, then 2,700 more, …). No broker is needed: no subscription runs.
 * Settings (environment): BENCH_LISTS_SIZES, BENCH_LISTS_DEAD_PER_SUB, BENCH_LISTS_REPEAT
 * (timed requests per query, default 40, after 5 untimed).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createConnection, type Connection } from 'mysql2/promise';
import { Proxy, say } from './run';

const env = process.env;
const REASONS = ['rejected', 'retries_exhausted', 'not_json', 'etl_error', 'too_large'] as const;
const DAY_MS = 86_400_000;

interface ListRow {
  size: number;
  query: string;
  p50: number;
  p99: number;
  proxyCpuMs: number;
  dbCpuMs: number | null;
  rows: number;
  bytes: number;
}

/** Settings from the environment, checked: sizes increasing integers from 1 to 50,000. */
export function listsSettings(): { sizes: number[]; deadPerSub: number; repeat: number } {
  const sizes = (env.BENCH_LISTS_SIZES ?? '300,3000,10000').split(',').map((s) => Number(s.trim()));
  if (sizes.some((s, i) => !Number.isInteger(s) || s < 1 || s > 50_000 || (i > 0 && s <= sizes[i - 1]))) {
    throw new Error(`BENCH_LISTS_SIZES must be increasing integers from 1 to 50000, got "${env.BENCH_LISTS_SIZES}"`);
  }
  const int = (name: string, fallback: number, max: number) => {
    const v = Number(env[name] ?? fallback);
    if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${name} must be an integer from 1 to ${max}, got "${env[name]}"`);
    return v;
  };
  return { sizes, deadPerSub: int('BENCH_LISTS_DEAD_PER_SUB', 20, 200), repeat: int('BENCH_LISTS_REPEAT', 40, 1000) };
}

/** CPU seconds (user + system) of the process `pid`, from /proc; null when it cannot be read. */
function cpuOf(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The local database server's pid (mariadbd or mysqld), when it runs on this machine. */
function databasePid(): number | null {
  for (const name of ['mariadbd', 'mysqld']) {
    try {
      return Number(execFileSync('pgrep', ['-o', '-x', name], { encoding: 'utf8' }).trim()) || null;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Writes subscriptions `from`..`to` (ids) and their dead letters with multi-row INSERTs. */
async function seed(db: Connection, run: string, from: number, to: number, deadPerSub: number): Promise<void> {
  const chunk = 1000;
  for (let start = from; start <= to; start += chunk) {
    const ids = Array.from({ length: Math.min(chunk, to - start + 1) }, (_, i) => start + i);
    const marks = (row: string) => ids.map(() => row).join(', ');
    await db.query(
      `INSERT INTO kafka_sources (id, brokers, topic) VALUES ${marks('(?, ?, ?)')}`,
      ids.flatMap((id) => [id, '127.0.0.1:9', `${run}-topic-${id % 50}`]),
    );
    await db.query(
      `INSERT INTO endpoints (id, url) VALUES ${marks('(?, ?)')}`,
      ids.flatMap((id) => [id, `http://127.0.0.1:9/s${id}`]),
    );
    await db.query(
      `INSERT INTO subscriptions (id, name, owner, kafka_source_id, endpoint_id, status, hosts) VALUES ${marks(`(?, ?, ?, ?, ?, ?, '["nowhere"]')`)}`,
      ids.flatMap((id) => [id, `${run}-${id % 97 === 0 ? 'orders-' : ''}${id}`, `team-${id % 7}`, id, id, id % 4 === 0 ? 'running' : 'stopped']),
    );
  }
  const now = Date.now();
  const rows: unknown[][] = [];
  const flush = async () => {
    if (!rows.length) return;
    await db.query(
      `INSERT INTO dead_letters (subscription_id, topic, partition_no, record_offset, record_digest, record_value, reason, attempts, last_error, state, created_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)').join(', ')}`,
      rows.flat(),
    );
    rows.length = 0;
  };
  for (let id = from; id <= to; id++) {
    for (let n = 0; n < deadPerSub; n++) {
      const reason = REASONS[(id + n) % REASONS.length];
      rows.push([
        id,
        `${run}-topic-${id % 50}`,
        n % 4,
        n,
        randomBytes(32),
        Buffer.from(JSON.stringify({ orderId: id * 1000 + n, amount: 12.5 })),
        reason,
        'HTTP status 422 is not a success status',
        n % 10 === 0 ? 'discarded' : 'pending',
        // Spread over the last week, so a one-day range holds about a seventh of them.
        new Date(now - (((id * 7919 + n * 104_729) * 997) % (7 * DAY_MS))),
      ]);
      if (rows.length >= 2000) await flush();
    }
  }
  await flush();
}

/** Times `repeat` GETs of `path` (after 5 untimed), with the proxy's and the database's CPU over them. */
async function timeQuery(proxy: Proxy, dbPid: number | null, size: number, query: string, path: string, repeat: number): Promise<ListRow> {
  const once = async () => {
    const res = await fetch(`${proxy.url}${path}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return text;
  };
  for (let i = 0; i < 5; i++) await once();
  const times: number[] = [];
  const cpu0 = proxy.cpuSeconds();
  const db0 = cpuOf(dbPid);
  let text = '';
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    text = await once();
    times.push(performance.now() - t0);
  }
  const db1 = cpuOf(dbPid);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return {
    size,
    query,
    p50: at(0.5),
    p99: at(0.99),
    proxyCpuMs: ((proxy.cpuSeconds() - cpu0) * 1000) / repeat,
    dbCpuMs: db0 === null || db1 === null ? null : ((db1 - db0) * 1000) / repeat,
    rows: (JSON.parse(text) as unknown[]).length,
    bytes: Buffer.byteLength(text),
  };
}

/** The page after `pages` pages of `path`, following Link rel="next" (the cursor a console holds). */
async function deepPage(proxy: Proxy, path: string, pages: number): Promise<string> {
  let next = path;
  for (let i = 0; i < pages; i++) {
    const res = await fetch(`${proxy.url}${next}`);
    await res.text();
    const link = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '')?.[1];
    if (!link) throw new Error(`${path} has fewer than ${pages + 1} pages`);
    next = link;
  }
  return next;
}

/** BENCH_ONLY=lists: prints one table of list timings per size. */
export async function runLists(): Promise<void> {
  const { sizes, deadPerSub, repeat } = listsSettings();
  const db = await createConnection({ uri: env.DATABASE_URL!, timezone: 'Z' });
  const dbPid = databasePid();
  const proxy = await Proxy.start({ HEARTBEAT_INTERVAL_MS: '5000' });
  const run = `lists${Date.now().toString(36)}`;
  const out: ListRow[] = [];
  try {
    let seeded = 0;
    for (const size of sizes) {
      const t0 = performance.now();
      await seed(db, run, seeded + 1, size, deadPerSub);
      seeded = size;
      say(`lists: ${size} subscriptions and ${size * deadPerSub} dead letters written in ${Math.round(performance.now() - t0)} ms`);
      await db.query('ANALYZE TABLE subscriptions, kafka_sources, endpoints, dead_letters');
      const mid = Math.ceil(size / 2);
      const week = new Date(Date.now() - 3 * DAY_MS).toISOString();
      const day = new Date(Date.now() - 2 * DAY_MS).toISOString();
      const queries: Array<[string, string]> = [
        ['subscriptions: whole list, unpaged (API.md)', '/api/subscriptions'],
        ['subscriptions: first page of 50', '/api/subscriptions?limit=50'],
        ['subscriptions: search one name (q)', `/api/subscriptions?q=${run}-${mid}&limit=50`],
        ['subscriptions: search a word in ~1 % (q)', '/api/subscriptions?q=orders&limit=50'],
        ['subscriptions: state running, by name', '/api/subscriptions?status=running&sort=name&limit=50'],
        ['subscriptions: one topic', `/api/subscriptions?topic=${run}-topic-7&limit=50`],
        ['subscriptions: owner', '/api/subscriptions?owner=team-3&limit=50'],
        ['subscriptions: dead letters pending', '/api/subscriptions?pendingDeadLetters=true&limit=50'],
        ['subscriptions: page 5 by cursor', await deepPage(proxy, '/api/subscriptions?sort=name&limit=50', Math.min(4, Math.floor((size - 1) / 50)))],
        ['dead letters: one subscription', `/api/dead-letters?subscriptionId=${mid}&limit=50`],
        ['dead letters: reason, pending', '/api/dead-letters?reason=not_json&state=pending&limit=50'],
        ['dead letters: one day (createdFrom/To)', `/api/dead-letters?createdFrom=${week}&createdTo=${day}&limit=50`],
        ['dead letters: newest 50, all', '/api/dead-letters?limit=50'],
      ];
      for (const [query, path] of queries) out.push(await timeQuery(proxy, dbPid, size, query, path, repeat));
    }
  } finally {
    await proxy.stop();
    await db.end();
  }
  const fmt = (n: number | null, digits = 1) => (n === null ? '–' : n.toFixed(digits));
  console.log(`\nlists (${repeat} timed GETs per query after 5 untimed; ${deadPerSub} dead letters per subscription)`);
  console.log('| subscriptions | query | p50 ms | p99 ms | proxy CPU ms/req | database CPU ms/req | rows | KiB |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const r of out) {
    console.log(
      `| ${r.size} | ${r.query} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.proxyCpuMs, 2)} | ${fmt(r.dbCpuMs, 2)} | ${r.rows} | ${(r.bytes / 1024).toFixed(1)} |`,
    );
  }
}
