/**
 * Polls a proxy's `/health/live` every `everyMs` while a scenario runs and keeps the slowest
 * answer, so a test can show the process stayed responsive (a blocked event loop shows as a
 * slow or missing answer). A probe that gets no answer within `timeoutMs` counts as that long.
 * stop() waits for one last probe, so every watch has at least one answer to judge by.
 */
export class LivenessWatch {
  slowestMs = 0;
  probes = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;

  private constructor(
    private readonly url: string,
    private readonly everyMs: number,
    private readonly timeoutMs: number,
  ) {}

  static start(baseUrl: string, everyMs = 200, timeoutMs = 5_000): LivenessWatch {
    const watch = new LivenessWatch(`${baseUrl}/health/live`, everyMs, timeoutMs);
    watch.timer = setInterval(() => void watch.probe(), everyMs);
    return watch;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.inFlight) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.probe();
  }

  private async probe(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    const started = performance.now();
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(this.timeoutMs) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`status ${res.status}`);
      this.note(performance.now() - started);
    } catch {
      this.note(this.timeoutMs);
    } finally {
      this.inFlight = false;
    }
  }

  private note(ms: number): void {
    this.probes++;
    if (ms > this.slowestMs) this.slowestMs = ms;
  }
}
