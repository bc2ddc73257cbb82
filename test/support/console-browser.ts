import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from './test-env';
import { waitFor } from './wait-for';

/** Where the console's browser tests save their screenshots. */
export const CONSOLE_SHOTS = join(ROOT, 'test-output', 'console');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Debian's chromium through playwright-core for the console's browser tests: one browser per
 * spec (launched in beforeAll, closed in afterAll), pages that record every page error and every
 * Content-Security-Policy refusal in `errors` (a spec asserts it stays empty), sign-in, text
 * polling and screenshots under test-output/console.
 */
export class ConsoleBrowser {
  /** Page errors and CSP refusals seen on any page opened here. */
  readonly errors: string[] = [];
  private browser: Browser | null = null;

  /** Launches the browser in the calling spec's beforeAll and closes it in its afterAll. */
  static use(): ConsoleBrowser {
    const b = new ConsoleBrowser();
    beforeAll(async () => {
      mkdirSync(CONSOLE_SHOTS, { recursive: true });
      b.browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      });
    });
    afterAll(() => b.browser?.close());
    return b;
  }

  /** A new page in its own context (no shared storage), watched for errors. */
  async page(viewport = { width: 1280, height: 900 }): Promise<Page> {
    if (!this.browser) throw new Error('the browser is not launched: call ConsoleBrowser.use() at the top of the describe');
    const page = await (await this.browser.newContext({ viewport })).newPage();
    page.on('pageerror', (e) => this.errors.push(e.message));
    // The strict Content-Security-Policy must not block any of the console's own scripts or styles.
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) this.errors.push(m.text());
    });
    return page;
  }

  /** Opens the console at `baseUrl` and signs in with `token` (and a name, when given) until it shows `role`. */
  async signIn(baseUrl: string, token: string, role: string, actor = '', viewport?: { width: number; height: number }): Promise<Page> {
    const page = await this.page(viewport);
    await page.goto(baseUrl + '/');
    await page.fill('input[name=token]', token);
    if (actor) await page.fill('input[name=actor]', actor);
    await page.click('button:text("Sign in")');
    await page.waitForSelector(`[data-testid=role]:text-is("${role}")`);
    return page;
  }

  /**
   * Waits until the page's text matches `pattern`. Polled from here with a string run in the page:
   * page.waitForFunction compiles its predicate inside the page, which the console's CSP (no
   * 'unsafe-eval') forbids; page.evaluate runs through DevTools, which it does not.
   */
  static text(page: Page, pattern: RegExp, timeout = 20_000): Promise<boolean> {
    return waitFor(async () => pattern.test(String(await page.evaluate('document.body.innerText'))), `the page to show ${pattern}`, {
      timeoutMs: timeout,
      intervalMs: 100,
    });
  }

  /** A full-page screenshot as test-output/console/<name>.png. */
  static shot(page: Page, name: string): Promise<Buffer> {
    return page.screenshot({ path: join(CONSOLE_SHOTS, `${name}.png`), fullPage: true });
  }
}
