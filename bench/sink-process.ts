/*
 * The benchmark's business API, in its own process so it does not share an event loop with
 * what is measured. Answers after DELAY_MS; records receipt time minus the produce time that
 * each body carries ("ts"). GET /count is cheap, GET /stats reports, POST /reset clears.
 */
import { createServer } from 'node:http';

const delayMs = Number(process.env.DELAY_MS ?? 0);
/**
 * LOAD_KNEE > 0: an endpoint that degrades with its load. Each answer waits
 * DELAY_MS × (1 + (requests being handled / LOAD_KNEE)²), so throughput peaks near LOAD_KNEE
 * requests at once and falls beyond it (as a database-backed API does when its pool queues).
 */
const loadKnee = Number(process.env.LOAD_KNEE ?? 0);
let handling = 0;
const port = Number(process.env.PORT ?? 0);
let latencies = new Float64Array(1 << 20);
let count = 0;
let first = 0;
let last = 0;

function record(body: string): void {
  const now = Date.now();
  if (count === 0) first = now;
  last = now;
  const ts = /"ts":(\d+)/.exec(body);
  if (ts) {
    if (count >= latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count] = now - Number(ts[1]);
  }
  count++;
}

function percentile(p: number): number {
  if (count === 0) return 0;
  const sorted = latencies.slice(0, count).sort();
  return sorted[Math.min(count - 1, Math.floor((p / 100) * count))];
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    // Polled while waiting: sorting a million latencies on every poll would starve what is measured.
    res.end(JSON.stringify({ count }));
    return;
  }
  if (req.method === 'GET' && req.url === '/stats') {
    res.end(JSON.stringify({ count, first, last, p50: percentile(50), p99: percentile(99) }));
    return;
  }
  if (req.url === '/reset') {
    count = 0;
    first = last = 0;
    req.resume();
    res.end('{}');
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    // A JSON array (batch) counts each element; receipt is measured before the answer delay.
    if (body.startsWith('[')) for (const part of body.split('},{')) record(part);
    else record(body);
    const answer = () => {
      handling--;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"errcode":0}');
    };
    handling++;
    const wait = loadKnee > 0 ? delayMs * (1 + (handling / loadKnee) ** 2) : delayMs;
    if (wait > 0) setTimeout(answer, wait);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
