/**
 * A Service that is not opted in (docs/simulator.md, `optedIn`): text, JSON and HTML all say so,
 * and none counts its pods as "0 pods" — it has pods; zen-lead does not follow them.
 */
import { describe, expect, it } from "vitest";
import { renderHtml } from "./report/html.ts";
import { renderJson } from "./report-json.ts";
import { renderText } from "./report-text.ts";
import { parseScenario, runScenario } from "./scenario/index.ts";

const SCENARIO = `
name: opt-in
deployments:
  - { name: web, replicas: 2, readyAfter: 1s }
services:
  - name: web
    annotations: { zen-lead.io/enabled: "true" }
    selector: { app: web }
    ports: [{ port: 80 }]
  - name: typo
    annotations: { zen-lead.io/enabled: "yes" }
    selector: { app: web }
    ports: [{ port: 80 }]
  - name: leaves
    annotations: { zen-lead.io/enabled: "true" }
    selector: { app: web }
    ports: [{ port: 80 }]
timeline:
  - { at: 5s, annotate: { service: leaves, annotations: { zen-lead.io/enabled: null } } }
`;

const { report } = runScenario(parseScenario(SCENARIO, "opt-in.yaml"));

/** The lines of `text` from `Service NAME` up to the next blank line. */
function textSection(text: string, name: string): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`Service default/${name}`));
  const end = lines.indexOf("", start);
  return lines.slice(start, end);
}

/** The HTML section of one Service. */
function htmlSection(html: string, name: string): string {
  const start = html.indexOf(`data-service="default/${name}"`);
  return html.slice(start, html.indexOf("</section>", start));
}

describe("a Service that is not opted in", () => {
  it("is optedIn: false in JSON; an opted-in one true", () => {
    const json = JSON.parse(renderJson(report)) as {
      services: { service: string; optedIn: boolean; pods: unknown[] }[];
    };
    const byName = new Map(json.services.map((s) => [s.service, s]));
    expect(byName.get("default/web")?.optedIn).toBe(true);
    expect(byName.get("default/typo")).toMatchObject({ optedIn: false, pods: [] });
    // Opted out at 5s: its pods were followed while it was opted in.
    expect(byName.get("default/leaves")?.optedIn).toBe(false);
    expect(byName.get("default/leaves")?.pods).toHaveLength(2);
  });

  it("says so in text, instead of listing no pods", () => {
    const text = renderText(report);
    const typo = textSection(text, "typo");
    expect(typo[0]).toBe("Service default/typo  (not opted in)");
    expect(typo.slice(-2)).toEqual(["  Pods", "    (not opted in: zen-lead follows none of its pods)"]);
    expect(textSection(text, "leaves")[0]).toBe(
      "Service default/leaves -> default/leaves-leader  (not opted in)",
    );
    expect(textSection(text, "web")[0]).toBe("Service default/web -> default/web-leader");
  });

  it("says so in HTML, with no '0 pods'", () => {
    const html = renderHtml(report);
    const typo = htmlSection(html, "typo");
    expect(typo).toContain("<strong>not opted in</strong> · no pods followed ·");
    expect(typo).not.toMatch(/\b0 pods\b/);
    expect(typo).toContain("Not opted in: zen-lead follows none of its pods.");
    expect(typo).not.toContain("No pods observed");
    expect(htmlSection(html, "leaves")).toContain("<strong>not opted in</strong> · 2 pods ·");
    expect(htmlSection(html, "web")).not.toContain("not opted in");
    expect(html).toMatch(/default\/typo<\/a> — 0 leader changes, 0 failovers \(not opted in\)/);
  });
});
