/**
 * A comparison for people: the overrides, then the whole run's figures and each Service's, in
 * three columns — as recorded, what if, and the change. Fixed-width, no locale, no time zone (see
 * time-format.ts): the same comparison prints the same bytes anywhere.
 */
import { formatAbsolute, formatOffset } from "../time-format.ts";
import {
  type Comparison,
  difference,
  type FigureRow,
  formatFigure,
  runRows,
  serviceRows,
} from "./comparison.ts";
import { describeOverride } from "./overrides.ts";

const LABEL = 26;
const COLUMN = 14;

function line(row: FigureRow): string {
  const d = difference(row);
  const change = d === undefined ? "" : `${d.sign > 0 ? "+" : d.sign < 0 ? "-" : ""}${formatFigure(d.size)}`;
  const cells = [row.asRecorded, row.whatIf].map((f) => (f === undefined ? "-" : formatFigure(f)));
  return `  ${row.label.padEnd(LABEL)}${[...cells, change].map((c) => c.padStart(COLUMN)).join("")}`.trimEnd();
}

/** The comparison as text (ends with a newline). */
export function renderComparisonText(c: Comparison): string {
  const at = (t: number) =>
    c.epochMs !== undefined ? `${formatOffset(t)} (${formatAbsolute(c.epochMs, t)})` : formatOffset(t);
  const lines = [`zen-lead what-if: ${c.name}`, `  start ${at(0)}`, `  end   ${at(c.endAt)}`];
  c.overrides.forEach((o, i) => {
    lines.push(`  ${i === 0 ? "what if" : "       "} ${describeOverride(o)}`);
  });
  const headers = ["as recorded", "what if", "change"].map((h) => h.padStart(COLUMN)).join("");
  lines.push("", `  ${"".padEnd(LABEL)}${headers}`);
  lines.push("All Services", ...runRows(c.totals.asRecorded, c.totals.whatIf).map(line));
  for (const s of c.services) {
    lines.push("", `Service ${s.service}`, ...serviceRows(s.asRecorded, s.whatIf).map(line));
  }
  return `${lines.join("\n")}\n`;
}
