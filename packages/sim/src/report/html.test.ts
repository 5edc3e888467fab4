import { describe, expect, it } from "vitest";
import type { PodLane, ServiceReport, SimReport } from "../model.ts";
import { formatOffset } from "../time-format.ts";
import { SAMPLE_PERIODS, SAMPLE_REPORT } from "./fixture.ts";
import { escapeHtml, renderHtml } from "./html.ts";

const EMPTY: SimReport = {
  formatVersion: 2,
  name: "empty",
  source: "replay",
  seed: 0,
  endAt: 0,
  services: [],
  writes: [],
  violations: [],
  decodeFailures: [],
  stats: { events: 0, writes: 0, failedWrites: 0, leaderChanges: 0, failovers: 0, decodeFailures: 0 },
};

function service(overrides: Partial<ServiceReport> & Pick<ServiceReport, "service">): ServiceReport {
  return {
    optedIn: true,
    totals: { leaderChanges: 0, failovers: 0, leaderlessMs: 0, writes: 0 },
    leadership: [],
    leaderChanges: [],
    pods: [],
    warnings: [],
    ...overrides,
  };
}

/** The opening tags `<tag ... class="cls..." ...>` in the page. */
function tags(html: string, tag: string, cls: string): string[] {
  const re = new RegExp(`<${tag}\\b[^>]*\\bclass="${cls}(?: [^"]*)?"[^>]*>`, "g");
  return html.match(re) ?? [];
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
}

describe("escapeHtml", () => {
  it("escapes markup and quote characters", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("replaces control characters and lone surrogates, keeps other text", () => {
    expect(escapeHtml("a\u0000b\u001bc\u007f\td\ne")).toBe("a\uFFFDb\uFFFDc\uFFFD\td\ne");
    expect(escapeHtml("x\uD800y")).toBe("x\uFFFDy");
    expect(escapeHtml("pod-ü-😀")).toBe("pod-ü-😀");
  });
});

describe("formatOffset", () => {
  it("formats virtual ms as seconds from the start", () => {
    expect(formatOffset(12_300, 1)).toBe("+12.3s");
    expect(formatOffset(0, 1)).toBe("+0.0s");
    expect(formatOffset(1_234)).toBe("+1.234s");
    expect(formatOffset(-500, 1)).toBe("-0.5s");
  });
});

describe("renderHtml", () => {
  it("escapes every piece of text from the report", () => {
    const evil = `<script>alert("x")</script>&'`;
    const report: SimReport = {
      ...EMPTY,
      name: evil,
      endAt: 1_000,
      services: [
        service({
          service: `ns/${evil}`,
          leaderService: `ns/${evil}-leader`,
          leadership: [{ pod: `ns/${evil}`, from: 0, to: 500, reason: evil }],
          leaderChanges: [
            {
              at: 500,
              from: `ns/${evil}`,
              to: evil,
              cause: evil,
              triggerAt: 490,
              sliceAt: 510,
              latencyMs: 20,
            },
          ],
          pods: [{ pod: `ns/${evil}`, created: 0, ready: [{ from: 0 }] }],
          warnings: [{ at: 600, reason: evil, message: evil }],
        }),
      ],
      writes: [{ at: 1, verb: "create", kind: "Service", object: evil, status: 500, source: evil }],
      violations: [{ at: 700, invariant: evil, message: evil }],
      decodeFailures: [
        { at: 800, object: `Pod ns/${evil}`, reason: evil, message: evil, count: 2, lastAt: 900 },
      ],
    };
    const html = renderHtml(report);
    expect(html).not.toContain("<script");
    expect(html).not.toContain(`alert("x")`);
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");
    // The bar's attributes carry the escaped pod name and stay well-formed.
    const [bar] = tags(html, "rect", "leadership");
    expect(attr(bar ?? "", "data-pod")).toBe(
      "ns/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;",
    );
    const [cross] = tags(html, "g", "decode-failure");
    expect(attr(cross ?? "", "data-object")).toBe(
      "Pod ns/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;",
    );
  });

  it("shows a long pod name's tail in its lane label (the hash that tells pods apart), and the whole name in its tooltip", () => {
    const pod = "shop/my-controller-766db6c55-6q85w";
    const html = renderHtml({
      ...EMPTY,
      endAt: 1_000,
      services: [
        service({ service: "shop/my-controller", pods: [{ pod, created: 0, ready: [{ from: 0 }] }] }),
      ],
    });
    const label = new RegExp(
      `<text class="lane-label[^"]*"[^>]*data-pod="${pod}"><title>([^<]*)</title>([^<]*)</text>`,
    ).exec(html);
    expect(label?.[1]).toBe(pod);
    expect(label?.[2]).toBe("…ontroller-766db6c55-6q85w");
    expect([...(label?.[2] ?? "")].length).toBeLessThanOrEqual(26);
  });

  it("lists the objects that could not be decoded and crosses the pod's lane where it could not be", () => {
    const html = renderHtml(SAMPLE_REPORT);
    expect(html).toContain(`<section class="decode-failures" id="decode-failures">`);
    expect(html).toContain("<h2>Decode failures: 4 reports</h2>");
    expect(html).toContain(
      `<tr><td>+31.005s</td><td>+36.005s</td><td>3</td><td>Pod shop/web-1</td><td>DecodeFailed</td><td>status.conditions: expected Array&lt;Condition&gt;, got &quot;&lt;b&gt;&amp;\\&quot;&#39;&quot;</td></tr>`,
    );
    expect(html).toContain(
      "<tr><td>+40.005s</td><td>+40.005s</td><td>1</td><td>Node node-b</td><td>DecodeFailed</td>",
    );
    expect(html).toContain(
      `<li class="warn"><span class="v">4</span><span class="k">decode failures</span></li>`,
    );
    expect(html).toContain(`<li><a href="#decode-failures">Decode failures</a></li>`);
    // The pod has a lane (in shop/web): a cross on it, at its first report; the Node has none.
    const crosses = tags(html, "g", "decode-failure");
    expect(crosses.map((g) => [attr(g, "data-object"), attr(g, "data-at")])).toEqual([
      ["Pod shop/web-1", "31005"],
    ]);
    const [label] = tags(html, "text", "lane-label").filter((t) => attr(t, "data-pod") === "shop/web-1");
    const laneMid = Number(attr(label ?? "", "y")) - 4;
    const path = /<g class="decode-failure"[^>]*>.*?<path d="M[\d.]+ ([\d.]+)L[\d.]+ ([\d.]+)/.exec(html);
    expect((Number(path?.[1]) + Number(path?.[2])) / 2).toBe(laneMid);
  });

  it("draws exactly one .leadership rect per leadership period, on the leader's lane", () => {
    const html = renderHtml(SAMPLE_REPORT);
    const bars = tags(html, "rect", "leadership");
    expect(bars).toHaveLength(SAMPLE_PERIODS);
    const expected = SAMPLE_REPORT.services.flatMap((s) =>
      s.leadership.map((p) => [p.pod, String(p.from), String(p.to ?? SAMPLE_REPORT.endAt)]),
    );
    expect(bars.map((b) => [attr(b, "data-pod"), attr(b, "data-from"), attr(b, "data-to")])).toEqual(
      expected,
    );
    for (const b of bars) expect(Number(attr(b, "width"))).toBeGreaterThan(0);
    // The open period runs to endAt and is marked open.
    expect(bars.filter((b) => attr(b, "data-open") === "true")).toHaveLength(2);
    // Bars for the same pod sit on the same lane (same y); different pods on different lanes.
    const web = bars.slice(0, 4).map((b) => attr(b, "y"));
    expect(web[0]).toBe(web[3]);
    expect(new Set(web).size).toBe(3);
  });

  it("draws leader-change markers labelled with latency and cause, and warning markers", () => {
    const html = renderHtml(SAMPLE_REPORT);
    const changes = tags(html, "g", "leader-change");
    expect(changes).toHaveLength(5);
    // Those that took leadership from a sitting leader are failovers (here all: none is a first election).
    expect(tags(html, "g", "leader-change failover")).toHaveLength(5);
    expect(html).toContain(">180ms · LeaderNotReady</text>");
    expect(html).toContain(">no slice · LeaderNotReady</text>");
    expect(tags(html, "g", "leader-change failover unaccepted")).toHaveLength(1);
    expect(tags(html, "g", "warning")).toHaveLength(3);
    // Ready intervals: one band each.
    const readyBands = SAMPLE_REPORT.services.flatMap((s) => s.pods.flatMap((p) => p.ready)).length;
    expect(tags(html, "rect", "ready")).toHaveLength(readyBands);
    // Axis ticks are labelled as offsets.
    expect(html).toMatch(/>\+10\.0s<\/text>/);
    expect(html).toMatch(/>\+60\.0s<\/text>/);
    // Every bar and marker has hover text.
    expect(html).toMatch(/<rect class="leadership"[^>]*><title>shop\/web-0 leads \+0\.120s → \+15\.000s/);
  });

  it("highlights violations and summarises writes", () => {
    const html = renderHtml(SAMPLE_REPORT);
    expect(html).toContain(`<section class="violations" id="violations">`);
    expect(html).toContain("<h2>1 invariant violation</h2>");
    expect(html).toContain("LeaderIsReady");
    expect(html).toContain(`<li class="bad"><span class="v">1</span><span class="k">violations</span></li>`);
    // EndpointSlice updates: 7 in all, 3 failed (500×2, 409×1).
    expect(html).toContain(
      `<td>EndpointSlice</td><td>update</td><td>7</td><td>4</td><td><strong class="bad">3</strong></td><td>409×1, 500×2</td>`,
    );
    expect(html).toContain(`<tr class="bad-row">`);
  });

  it("is deterministic: the same report renders byte-identical HTML", () => {
    const a = renderHtml(SAMPLE_REPORT);
    const b = renderHtml(structuredClone(SAMPLE_REPORT) as SimReport);
    expect(b).toBe(a);
    expect(renderHtml(SAMPLE_REPORT)).toBe(a);
  });

  it("is self-contained: no scripts, no external resources", () => {
    const html = renderHtml(SAMPLE_REPORT);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=/i);
    const urls = html.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(["http://www.w3.org/2000/svg"]));
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it("renders an empty report", () => {
    const html = renderHtml(EMPTY);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("No Services in this report.");
    expect(html).toContain("No invariant violations.");
    expect(html).toContain("The controller reported no object it could not decode.");
    expect(html).not.toContain(`class="decode-failure"`);
    expect(html).toContain(`<li><span class="v">0</span><span class="k">decode failures</span></li>`);
    expect(html).toContain("zen-lead made no writes.");
    expect(html).not.toContain("<svg");
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it("renders a Service with nothing observed, and a zero-length run", () => {
    const html = renderHtml({ ...EMPTY, services: [service({ service: "a/b" })] });
    expect(html).toContain("No pods observed for this Service.");
    expect(html).toContain("No leader changes.");
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it("gives zero-length periods a visible width and clamps times to the drawn range", () => {
    const html = renderHtml({
      ...EMPTY,
      endAt: 1_000,
      services: [
        service({
          service: "a/b",
          leadership: [
            { pod: "a/p", from: 500, to: 500, reason: "Elected" },
            { pod: "a/q", from: 600, reason: "Restored" },
          ],
        }),
      ],
    });
    const bars = tags(html, "rect", "leadership");
    expect(bars).toHaveLength(2);
    for (const b of bars) expect(Number(attr(b, "width"))).toBeGreaterThanOrEqual(2);
    // Pods known only from leadership periods still get a lane of their own.
    expect(new Set(bars.map((b) => attr(b, "y"))).size).toBe(2);
  });

  it("caps lanes per Service, keeping leaders and still drawing every period", () => {
    const pods: PodLane[] = Array.from({ length: 120 }, (_, i) => ({
      pod: `ns/p-${String(i).padStart(3, "0")}`,
      created: i,
      ready: [{ from: i + 1 }],
    }));
    const leaders = [119, 3, 118, 60];
    const report: SimReport = {
      ...EMPTY,
      endAt: 10_000,
      services: [
        service({
          service: "ns/big",
          pods,
          leadership: leaders.map((n, i) => ({
            pod: `ns/p-${String(n).padStart(3, "0")}`,
            from: i * 1000,
            to: i * 1000 + 900,
            reason: "Elected",
          })),
        }),
      ],
    };
    const html = renderHtml(report, { maxLanes: 10 });
    expect(tags(html, "text", "lane-label")).toHaveLength(11);
    expect(html).toContain(">+110 more pods</text>");
    expect(html).toContain("Showing 10 of 120 pods as lanes");
    expect(tags(html, "rect", "leadership")).toHaveLength(4);
    for (const n of leaders) expect(html).toContain(`>p-${String(n).padStart(3, "0")}</text>`);

    // More leaders than lanes: the rest are drawn on the overflow lane.
    const tight = renderHtml(report, { maxLanes: 2 });
    const bars = tags(tight, "rect", "leadership");
    expect(bars).toHaveLength(4);
    expect(new Set(bars.map((b) => attr(b, "y"))).size).toBe(3);

    // The default cap is 50 lanes.
    expect(tags(renderHtml(report), "text", "lane-label")).toHaveLength(51);
  });

  it("caps table rows with a note", () => {
    const leaderChanges = Array.from({ length: 30 }, (_, i) => ({
      at: i * 10 + 5,
      cause: "LeaderNotReady",
      triggerAt: i * 10,
      sliceAt: i * 10 + 8,
      latencyMs: 8,
    }));
    const html = renderHtml(
      { ...EMPTY, endAt: 400, services: [service({ service: "a/b", leaderChanges })] },
      { maxTableRows: 10 },
    );
    expect(html).toContain("Showing the first 10 of 30 rows.");
    expect(tags(html, "g", "leader-change")).toHaveLength(30);
    // None had a sitting leader to take over from: elections, not failovers.
    expect(tags(html, "g", "leader-change failover")).toHaveLength(0);
  });
});
