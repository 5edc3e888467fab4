/**
 * A comparison as one self-contained HTML page, like the report's (report/html.ts: no script, no
 * fetch, deterministic): the overrides, a table of the whole run's figures and each Service's —
 * as recorded, what if, and the change — and per Service its two timelines, one above the other
 * on the same time axis, so a user sees where the leader stopped moving.
 */
import type { ServiceReport, SimReport } from "../model.ts";
import { escapeHtml as esc, legend, page, table, timelineFigure } from "../report/html.ts";
import { formatOffset } from "../time-format.ts";
import {
  type Comparison,
  difference,
  type FigureRow,
  formatFigure,
  runRows,
  serviceRows,
} from "./comparison.ts";
import { describeOverride } from "./overrides.ts";

/** A table row: the label, both figures, and the change classed `down` (fewer, shorter) or `up`. */
function cells(row: FigureRow): { cells: string[] } {
  const d = difference(row);
  const shown = [row.asRecorded, row.whatIf].map((f) =>
    f === undefined ? `<span class="muted">—</span>` : formatFigure(f),
  );
  const size = d === undefined ? "" : formatFigure(d.size);
  const change =
    d === undefined
      ? ""
      : d.sign === 0
        ? `<span class="same">${size}</span>`
        : d.sign < 0
          ? `<span class="down">−${size}</span>`
          : `<span class="up">+${size}</span>`;
  return { cells: [esc(row.label), ...shown, change] };
}

const HEADERS = ["", "as recorded", "what if", "change"];

const CSS = `
.overrides code { font-weight: 600; }
table.comparison td:not(:first-child) { text-align: right; }
.down { color: #166534; font-weight: 600; }
.up { color: var(--bad); font-weight: 600; }
.same { color: var(--muted); }
h3 { font-size: 15px; margin: 14px 0 2px; }
`;

/** One run's timeline of a Service, or why there is none. */
function figure(
  label: string,
  cls: string,
  service: ServiceReport | undefined,
  id: number,
  report: SimReport,
  reports: readonly SimReport[],
): string[] {
  return [
    `<div class="run ${cls}">`,
    `<h3>${label}</h3>`,
    service === undefined
      ? `<p class="muted">This run made no decision for this Service.</p>`
      : timelineFigure(service, id, report, reports),
    `</div>`,
  ];
}

/** The comparison as one self-contained, deterministic HTML page. */
export function renderComparisonHtml(c: Comparison): string {
  const { asRecorded, whatIf } = c.reports;
  const reports = [asRecorded, whatIf];
  const title = `zen-lead what-if: ${c.name}`;
  const body = [
    "<header>",
    `<h1>${esc(title)}</h1>`,
    `<p>The same log replayed twice: <strong>as recorded</strong>, and <strong>what if</strong>:</p>`,
    `<ul class="overrides">${c.overrides.map((o) => `<li><code>${esc(describeOverride(o))}</code></li>`).join("")}</ul>`,
    `<p>Virtual run length ${formatOffset(c.endAt)}.</p>`,
    "</header>",
    "<main>",
    `<section id="all-services">`,
    table(
      "All Services",
      HEADERS,
      runRows(c.totals.asRecorded, c.totals.whatIf).map(cells),
      100,
      "comparison",
    ),
    `</section>`,
  ];
  if (c.services.length > 0) body.push(legend());
  c.services.forEach((s, i) => {
    const before = asRecorded.services.find((x) => x.service === s.service);
    const after = whatIf.services.find((x) => x.service === s.service);
    body.push(
      `<section class="service" id="svc-${i}" data-service="${esc(s.service)}">`,
      `<h2>${esc(s.service)}</h2>`,
      table(
        "Failovers, leader changes, time without a leader, writes",
        HEADERS,
        serviceRows(s.asRecorded, s.whatIf).map(cells),
        100,
        "comparison",
      ),
      ...figure("As recorded", "as-recorded", before, 2 * i, asRecorded, reports),
      ...figure("What if", "what-if", after, 2 * i + 1, whatIf, reports),
      `</section>`,
    );
  });
  body.push("</main>");
  return page(title, asRecorded.formatVersion, body, CSS);
}
