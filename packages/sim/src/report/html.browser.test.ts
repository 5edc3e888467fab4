/**
 * Opens the rendered report in headless Chromium (Debian's package, driven by playwright-core;
 * Playwright never downloads a browser here) and checks what a person would see: one drawn
 * leadership bar per period on its pod's lane, the leader-change markers, the cross where a pod could
 * not be decoded, and no network traffic.
 * Chromium must be installed (scripts/ensure-chromium.sh); a missing browser fails the test.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { renderComparisonHtml } from "../what-if/comparison-html.ts";
import { compareCrashloop } from "../what-if/fixture.ts";
import { SAMPLE_PERIODS, SAMPLE_REPORT } from "./fixture.ts";
import { renderHtml } from "./html.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The page is served from this origin by a route handler; nothing leaves the browser. */
const REPORT_URL = "http://zen-lead.invalid/report.html";

/** Just enough of the DOM for the functions evaluated in the page (this package has no DOM lib). */
interface BBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
interface SvgElement {
  readonly tagName: string;
  getAttribute(name: string): string | null;
  getBBox(): BBox;
  getBoundingClientRect(): BBox;
}
interface Doc {
  querySelectorAll(selector: string): ArrayLike<SvgElement>;
}

let browser: Promise<Browser> | undefined;

/**
 * Launches Chromium once, from inside the tests (not a hook), so that a missing browser fails each
 * test with the fix to apply instead of leaving them reported as skipped.
 */
function launched(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: run scripts/ensure-chromium.sh (installs Debian's chromium) and re-run the tests`,
    );
  }
  browser ??= chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  return browser;
}

afterAll(async () => {
  // A launch that failed has already failed the tests; nothing to close then.
  const started = await browser?.catch(() => undefined);
  await started?.close();
});

interface Opened {
  readonly page: Page;
  /** Every request the page made other than loading the report itself. */
  readonly requests: string[];
  readonly errors: string[];
}

async function open(html: string): Promise<Opened> {
  const context = await (await launched()).newContext({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (url === REPORT_URL) {
      await route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
    } else {
      requests.push(url);
      await route.abort();
    }
  });
  const page = await context.newPage();
  page.on("request", (request) => {
    if (request.url() !== REPORT_URL) requests.push(request.url());
  });
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(REPORT_URL, { waitUntil: "load" });
  return { page, requests, errors };
}

describe("the HTML report in Chromium", () => {
  it("renders one leadership bar per period, on its pod's lane, and makes no network request", async () => {
    const { page, requests, errors } = await open(renderHtml(SAMPLE_REPORT));
    try {
      expect(await page.title()).toBe(`zen-lead simulation: ${SAMPLE_REPORT.name}`);

      const bars = await page.evaluate(() =>
        Array.from(
          (globalThis as unknown as { document: Doc }).document.querySelectorAll("rect.leadership"),
          (r) => {
            const box = r.getBBox();
            const client = r.getBoundingClientRect();
            return {
              pod: r.getAttribute("data-pod"),
              from: r.getAttribute("data-from"),
              to: r.getAttribute("data-to"),
              width: box.width,
              height: box.height,
              y: box.y,
              clientWidth: client.width,
            };
          },
        ),
      );
      expect(bars).toHaveLength(SAMPLE_PERIODS);
      const expected = SAMPLE_REPORT.services.flatMap((s) =>
        s.leadership.map((p) => ({
          pod: p.pod,
          from: String(p.from),
          to: String(p.to ?? SAMPLE_REPORT.endAt),
        })),
      );
      expect(bars.map(({ pod, from, to }) => ({ pod, from, to }))).toEqual(expected);
      for (const bar of bars) {
        expect(bar.width).toBeGreaterThan(0);
        expect(bar.height).toBeGreaterThan(0);
        expect(bar.clientWidth).toBeGreaterThan(0);
      }

      // Each bar lies inside its pod's lane: the lane label with the same data-pod sits at the same height.
      const labels = await page.evaluate(() =>
        Array.from(
          (globalThis as unknown as { document: Doc }).document.querySelectorAll("text.lane-label"),
          (t) => {
            const box = t.getBBox();
            return {
              pod: t.getAttribute("data-pod"),
              top: box.y,
              bottom: box.y + box.height,
              width: box.width,
            };
          },
        ),
      );
      expect(labels).toHaveLength(SAMPLE_REPORT.services.reduce((n, s) => n + s.pods.length, 0));
      for (const label of labels) expect(label.width).toBeGreaterThan(0);
      for (const bar of bars) {
        const label = labels.find((l) => l.pod === bar.pod);
        expect(label, `lane for ${bar.pod}`).toBeDefined();
        const mid = bar.y + bar.height / 2;
        expect(mid).toBeGreaterThan(label?.top ?? Number.NaN);
        expect(mid).toBeLessThan(label?.bottom ?? Number.NaN);
      }

      // Leader-change markers are drawn (line with a height) and the timeline is visible on screen.
      const changes = await page.evaluate(() =>
        Array.from(
          (globalThis as unknown as { document: Doc }).document.querySelectorAll("g.leader-change line"),
          (l) => l.getBBox().height,
        ),
      );
      expect(changes).toHaveLength(SAMPLE_REPORT.services.reduce((n, s) => n + s.leaderChanges.length, 0));
      for (const h of changes) expect(h).toBeGreaterThan(0);
      await expect(page.locator("svg.timeline").first().isVisible()).resolves.toBe(true);
      await expect(page.locator("section.violations td").first().textContent()).resolves.toBe("+52.000s");

      // The pod that could not be decoded has its cross on its own lane, and its message reads as text.
      const crosses = await page.evaluate(() =>
        Array.from(
          (globalThis as unknown as { document: Doc }).document.querySelectorAll("g.decode-failure path"),
          (p) => {
            const box = p.getBBox();
            return { mid: box.y + box.height / 2, height: box.height };
          },
        ),
      );
      const lane = labels.find((l) => l.pod === "shop/web-1");
      expect(crosses).toHaveLength(1);
      for (const cross of crosses) {
        expect(cross.height).toBeGreaterThan(0);
        expect(cross.mid).toBeGreaterThan(lane?.top ?? Number.NaN);
        expect(cross.mid).toBeLessThan(lane?.bottom ?? Number.NaN);
      }
      await expect(
        page.locator("section.decode-failures tbody tr").first().locator("td").last().textContent(),
      ).resolves.toBe(SAMPLE_REPORT.decodeFailures[0]?.message);

      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it("shows escaped text as text, not markup", async () => {
    const report = {
      ...SAMPLE_REPORT,
      name: `<img src="http://zen-lead.invalid/x.png"><script>document.title="pwned"</script>`,
    };
    const { page, requests, errors } = await open(renderHtml(report));
    try {
      await expect(page.locator("h1").textContent()).resolves.toBe(`zen-lead simulation: ${report.name}`);
      expect(await page.title()).toBe(`zen-lead simulation: ${report.name}`);
      expect(await page.locator("img, script").count()).toBe(0);
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it("shows a what-if comparison: the figures side by side, and both runs' timelines on one time axis", async () => {
    const comparison = compareCrashloop("web:min-ready-duration=30s");
    const { page, requests, errors } = await open(renderComparisonHtml(comparison));
    try {
      expect(await page.title()).toBe("zen-lead what-if: replay of prod-eu-1");
      const failovers = page.locator("#all-services tr", { hasText: "failovers" }).first().locator("td");
      await expect(failovers.allTextContents()).resolves.toEqual([
        "failovers",
        String(comparison.totals.asRecorded.failovers),
        "3",
        `−${comparison.totals.asRecorded.failovers - 3}`,
      ]);
      const web = page.locator('section[data-service="shop/web"]');
      for (const [cls, side] of [
        ["as-recorded", "asRecorded"],
        ["what-if", "whatIf"],
      ] as const) {
        const periods = comparison.reports[side].services.find((s) => s.service === "shop/web")?.leadership;
        const run = web.locator(`div.run.${cls}`);
        await expect(run.locator("svg.timeline").isVisible()).resolves.toBe(true);
        // One drawn bar per leadership period of that run.
        const widths = await run
          .locator("rect.leadership")
          .evaluateAll((rects) =>
            rects.map((r) => (r as unknown as SvgElement).getBoundingClientRect().width),
          );
        expect(widths).toHaveLength(periods?.length ?? -1);
        for (const w of widths) expect(w).toBeGreaterThan(0);
      }
      // The two timelines share their time axis: the same ticks at the same places.
      const axes = await web
        .locator("g.axis")
        .evaluateAll((axes) => axes.map((g) => (g as unknown as { textContent: string }).textContent));
      expect(axes).toHaveLength(2);
      expect(axes[1]).toBe(axes[0]);
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 60_000);
});
