import { ChildProcess, spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, TEST_DATABASE_URL, TEST_SECRETS_KEY } from './test-env';
import { waitFor } from './wait-for';

export interface ProxyOptions {
  instanceId?: string;
  adminToken?: string;
  env?: Record<string, string>;
  /** Wait for /health/ready (default true). */
  waitReady?: boolean;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** The built proxy as a separate OS process, configured by env only, as in production. */
export class ProxyProcess {
  readonly logs: Array<Record<string, unknown>> = [];
  readonly stderr: string[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  baseUrl = '';
  /** null while it runs; then its exit code, or 128 + the signal's number as a shell reports it (SIGKILL 137, SIGSEGV 139). */
  exitCode: number | null = null;
  /** Set by stop() and kill(): an exit nobody asked for is reported on the test's stderr. */
  private expectingExit = false;

  constructor(private readonly options: ProxyOptions = {}) {}

  static async start(options: ProxyOptions = {}): Promise<ProxyProcess> {
    const proxy = new ProxyProcess(options);
    await proxy.launch();
    return proxy;
  }

  async launch(): Promise<void> {
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: TEST_DATABASE_URL,
      SECRETS_KEY: TEST_SECRETS_KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      INSTANCE_ID: this.options.instanceId ?? `test-${port}`,
      CONFIG_REFRESH_INTERVAL_MS: '500',
      HEARTBEAT_INTERVAL_MS: '1000',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      SHUTDOWN_DRAIN_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'info',
      ...(this.options.adminToken ? { ADMIN_TOKEN: this.options.adminToken } : {}),
      ...this.options.env,
    };
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exitCode = null;
    this.expectingExit = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? 128 + (signal ? osConstants.signals[signal] : 0);
        if (!this.expectingExit && this.options.waitReady !== false) {
          // A crash (a segfault in a native binding) otherwise shows only as "fetch failed" later.
          process.stderr.write(
            `proxy ${this.baseUrl} exited on its own (${signal ?? `code ${code}`}); its last stderr lines:\n${this.stderr.slice(-20).join('\n')}\n`,
          );
        }
        resolve(this.exitCode);
      }),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.logs.push(JSON.parse(line));
      } catch {
        this.logs.push({ raw: line });
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
    if (this.options.waitReady !== false) {
      await waitFor(
        async () => {
          if (this.exitCode !== null) throw new Error(`proxy exited with ${this.exitCode}: ${this.stderr.join('\n')}`);
          const res = await fetch(`${this.baseUrl}/health/ready`);
          return res.status === 200;
        },
        'the proxy to become ready',
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    }
  }

  /** Resolves with the exit code. */
  waitExit(): Promise<number | null> {
    return this.exited;
  }

  async api<T = any>(method: string, path: string, body?: unknown, token = this.options.adminToken): Promise<{ status: number; body: T }> {
    const { status, body: parsed } = await this.request<T>(method, path, { body, token });
    return { status, body: parsed };
  }

  /** Like api(), with extra request headers and the answer's headers. */
  async request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const { body, token = this.options.adminToken } = options;
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // plain text answers (metrics) stay text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** Graceful stop (SIGTERM), as an orchestrator would do. */
  async stop(): Promise<number | null> {
    if (!this.child || this.exitCode !== null) return this.exitCode;
    this.expectingExit = true;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      // Says so, or a hung shutdown only shows as a slow suite.
      process.stderr.write(`proxy ${this.baseUrl} did not exit within 20 s of SIGTERM: killing it\n`);
      this.child?.kill('SIGKILL');
    }, 20_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** A crash: no drain, no commit, no goodbye to the group. */
  async kill(): Promise<void> {
    if (!this.child || this.exitCode !== null) return;
    this.expectingExit = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
