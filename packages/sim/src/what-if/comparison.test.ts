/**
 * What-if replays of the repository's crash-loop log (testdata/README.md): the same log replayed as
 * recorded and as if annotations had been set, compared, and rendered as text, JSON and HTML.
 */
import { describe, expect, it } from "vitest";
import { difference, runRows } from "./comparison.ts";
import { renderComparisonHtml } from "./comparison-html.ts";
import { comparisonJson, renderComparisonJson } from "./comparison-json.ts";
import { renderComparisonText } from "./comparison-text.ts";
import { compareCrashloop as whatIf } from "./fixture.ts";

const web = (c: ReturnType<typeof whatIf>) => c.services.find((s) => s.service === "shop/web");

describe("a what-if replay of a crash-looping night", () => {
  it("answers 'would min-ready 30s have saved us?': far fewer failovers and writes, never without a leader", () => {
    const c = whatIf("web:min-ready-duration=30s");
    const before = web(c)?.asRecorded;
    const after = web(c)?.whatIf;
    // As recorded (sticky=false) the leader follows the oldest Ready pod through every crash.
    expect(before?.failovers).toBeGreaterThan(40);
    // With min-ready 30s the flapping pods are never chosen again: the stable one leads until the
    // oldest has stayed Ready 30 s at the end.
    expect(after).toEqual({ leaderChanges: 4, failovers: 3, leaderlessMs: 0, writes: 8 });
    // The other Service is untouched by the what-if.
    const cart = c.services.find((s) => s.service === "shop/cart");
    expect(cart?.whatIf).toEqual(cart?.asRecorded);
  });

  it("takes each figure from the runs' own reports, and the whole run's from their stats", () => {
    const c = whatIf("web:sticky=true");
    for (const side of ["asRecorded", "whatIf"] as const) {
      const report = c.reports[side];
      for (const s of c.services) {
        expect(s[side]).toEqual(report.services.find((r) => r.service === s.service)?.totals);
      }
      expect(c.totals[side]).toMatchObject({
        writes: report.stats.writes,
        failedWrites: report.stats.failedWrites,
        leaderChanges: report.stats.leaderChanges,
        failovers: report.stats.failovers,
        violations: 0,
        decodeFailures: report.stats.decodeFailures,
      });
    }
    // Sticky: once the stable pod leads, it stays.
    expect(web(c)?.whatIf?.failovers).toBe(2);
    const failovers = runRows(c.totals.asRecorded, c.totals.whatIf)[0];
    expect(failovers?.label).toBe("failovers");
    expect(difference(failovers ?? { label: "" })).toEqual({
      sign: -1,
      size: { count: (c.totals.asRecorded.failovers ?? 0) - 2 },
    });
  });

  it("shows a Service the what-if opts out as absent from that run", () => {
    const c = whatIf("cart:enabled=false");
    const cart = c.services.find((s) => s.service === "shop/cart");
    expect(cart?.asRecorded).toBeDefined();
    expect(cart).not.toHaveProperty("whatIf");
    expect(renderComparisonText(c)).toContain(
      `Service shop/cart\n  failovers                              0             -\n`,
    );
  });

  it("renders text, JSON and HTML deterministically, the same bytes for the same replays", () => {
    const a = whatIf("web:min-ready-duration=30s", "shop/web:preferred-leader-");
    const b = whatIf("web:min-ready-duration=30s", "shop/web:preferred-leader-");
    expect(renderComparisonText(b)).toBe(renderComparisonText(a));
    expect(renderComparisonJson(b)).toBe(renderComparisonJson(a));
    expect(renderComparisonHtml(b)).toBe(renderComparisonHtml(a));
    const text = renderComparisonText(a).split("\n");
    expect(text.slice(0, 8)).toEqual([
      "zen-lead what-if: replay of prod-eu-1",
      "  start +0.000s (2025-03-14T01:00:00.000Z)",
      "  end   +730.000s (2025-03-14T01:12:10.000Z)",
      "  what if web zen-lead.io/min-ready-duration=30s",
      "          shop/web without zen-lead.io/preferred-leader",
      "",
      "                               as recorded       what if        change",
      "All Services",
    ]);
    expect(text).toContain("  failovers                             54             3           -51");
    expect(text).toContain("  time without a leader                 0s            0s            0s");
  });

  it("serializes to JSON with the documented keys in order, both reports included", () => {
    const c = whatIf("web:min-ready-duration=30s");
    const json = comparisonJson(c);
    expect(Object.keys(json)).toEqual([
      "formatVersion",
      "name",
      "epochMs",
      "startedAt",
      "endAt",
      "overrides",
      "totals",
      "services",
      "reports",
    ]);
    expect(json.overrides).toEqual([
      { service: "web", annotation: "zen-lead.io/min-ready-duration", value: "30s" },
    ]);
    const parsed = JSON.parse(renderComparisonJson(c));
    expect(Object.keys(parsed.totals.whatIf)).toEqual([
      "leaderChanges",
      "failovers",
      "leaderlessMs",
      "writes",
      "failedWrites",
      "violations",
      "decodeFailures",
      "publishLatencyMs",
    ]);
    expect(parsed.services[1]).toEqual({
      service: "shop/web",
      asRecorded: web(c)?.asRecorded,
      whatIf: { leaderChanges: 4, failovers: 3, leaderlessMs: 0, writes: 8 },
    });
    expect(parsed.reports.whatIf.name).toBe(
      "replay of prod-eu-1, what if web zen-lead.io/min-ready-duration=30s",
    );
    expect(parsed.reports.asRecorded.services[1].totals).toEqual(web(c)?.asRecorded);
  });
});
