/**
 * Renders a SimReport as one self-contained HTML page: inline CSS and inline SVG only, no scripts,
 * no fonts or images to fetch (a Content-Security-Policy forbids any). Per Service an SVG timeline
 * shows one lane per pod (existence, Ready intervals, leadership bars), leader-change and warning
 * markers, and a cross where a pod could not be decoded; tables list leader changes, leadership periods
 * and warnings; the run's writes are summarised, invariant violations stand out in red, and the
 * objects the controller could not decode are listed.
 *
 * Output is a pure function of the report: no clock, no randomness, no locale-dependent
 * formatting, so the same report always renders to byte-identical HTML.
 */
import {
  type DecodeFailureRecord,
  isFailedWrite,
  type LeaderChangeRecord,
  type LeadershipPeriod,
  type PodLane,
  type ServiceReport,
  type SimReport,
  type Violation,
  type WriteRecord,
} from "../model.ts";
import { NOT_OPTED_IN, plural } from "../report-text.ts";
import { formatDuration, formatOffset } from "../time-format.ts";

/** How much the page draws (the report's own lists are bounded by the run's limits). */
export interface HtmlOptions {
  /** Pod lanes drawn per Service before the rest fold into one overflow lane (default 50). */
  readonly maxLanes?: number;
  /** Rows per table before the rest are left out with a note (default 200). */
  readonly maxTableRows?: number;
}

/** Default of `HtmlOptions.maxLanes`. */
export const DEFAULT_MAX_LANES = 50;
/** Default of `HtmlOptions.maxTableRows`. */
export const DEFAULT_MAX_TABLE_ROWS = 200;

// ---------------------------------------------------------------------------------------------
// Escaping and formatting

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML/SVG content and attribute values. Also replaces C0 controls (other than
 * tab, newline, carriage return), DEL and lone surrogates with U+FFFD, so no input can produce a
 * malformed document.
 */
export function escapeHtml(text: string): string {
  let out = "";
  for (const ch of text.toWellFormed()) {
    const entity = ENTITIES[ch];
    if (entity !== undefined) {
      out += entity;
      continue;
    }
    const code = ch.codePointAt(0) ?? 0;
    const control = (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f;
    out += control ? "\uFFFD" : ch;
  }
  return out;
}

const esc = escapeHtml;

/** A number for SVG geometry: at most two decimals, no exponent, no `-0`. */
function num(n: number): string {
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
}

const isFiniteNumber = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n);

// ---------------------------------------------------------------------------------------------
// Timeline geometry

const WIDTH = 1100;
const GUTTER = 220; // lane labels
const RIGHT_PAD = 36;
const PLOT_W = WIDTH - GUTTER - RIGHT_PAD;
const LABEL_ROW_H = 14;
const LABEL_ROWS = 3;
const LANES_TOP = 8 + LABEL_ROWS * LABEL_ROW_H + 6;
const LANE_PITCH = 26;
const LANE_H = 20;
const MARK_ROW_H = 18;
const AXIS_H = 28;
const MIN_BAR_W = 2;
const LABEL_CHAR_W = 6.4; // rough advance of an 11px sans-serif character
/** What fits the gutter in 12px bold (a pod name's tail, its hash, is what tells lanes apart). */
const LANE_LABEL_CHARS = 26;

interface Scale {
  readonly end: number;
  x(t: number): number;
}

function scaleFor(end: number): Scale {
  return {
    end,
    x: (t) => GUTTER + (Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), end) / end) * PLOT_W,
  };
}

/** The latest time anything in the report mentions (at least endAt, and never 0). */
function timeDomain(report: SimReport): number {
  let end = isFiniteNumber(report.endAt) ? report.endAt : 0;
  const see = (t: number | undefined): void => {
    if (isFiniteNumber(t) && t > end) end = t;
  };
  for (const s of report.services) {
    for (const p of s.leadership) {
      see(p.from);
      see(p.to);
    }
    for (const f of s.leaderChanges) {
      see(f.at);
      see(f.triggerAt);
      see(f.sliceAt);
    }
    for (const lane of s.pods) {
      see(lane.created);
      see(lane.deleted);
      for (const r of lane.ready) {
        see(r.from);
        see(r.to);
      }
    }
    for (const w of s.warnings) see(w.at);
  }
  for (const v of report.violations) see(v.at);
  for (const d of report.decodeFailures) see(d.lastAt);
  return end > 0 ? end : 1;
}

/** A tick step of 1, 2 or 5 × 10^k ms giving about eight ticks (never below 1 ms). */
function tickStep(end: number): number {
  const raw = end / 8;
  let step = 1;
  for (let magnitude = 1; magnitude <= 1e12; magnitude *= 10) {
    for (const m of [1, 2, 5]) {
      step = m * magnitude;
      if (step >= raw) return step;
    }
  }
  return step;
}

interface Lane {
  readonly pod: string;
  readonly label: string;
  /** Absent for pods known only from leadership periods, and for the overflow lane. */
  readonly lane?: PodLane;
  readonly led: boolean;
  readonly overflow?: number;
}

function shortPod(pod: string, service: string): string {
  const slash = service.indexOf("/");
  const prefix = slash >= 0 ? service.slice(0, slash + 1) : "";
  return prefix !== "" && pod.startsWith(prefix) ? pod.slice(prefix.length) : pod;
}

/** `text` cut to `chars` code points from its start, keeping its end: "…66db6c55-6q85w". */
function truncateStart(text: string, chars: number): string {
  const cps = [...text];
  return cps.length <= chars ? text : `…${cps.slice(cps.length - chars + 1).join("")}`;
}

/**
 * The lanes to draw: the report's pods in order, then pods known only from leadership periods.
 * Beyond maxLanes, pods that led are kept first; the rest fold into one overflow lane, which also
 * carries the leadership bars of hidden pods (so every period is drawn).
 */
function lanesFor(
  service: ServiceReport,
  maxLanes: number,
): {
  readonly lanes: readonly Lane[];
  readonly laneOf: ReadonlyMap<string, number>;
  readonly hidden: number;
} {
  const leaders = new Set(service.leadership.map((p) => p.pod));
  const all: Lane[] = [];
  const seen = new Set<string>();
  for (const lane of service.pods) {
    if (seen.has(lane.pod)) continue;
    seen.add(lane.pod);
    all.push({ pod: lane.pod, label: shortPod(lane.pod, service.service), lane, led: leaders.has(lane.pod) });
  }
  for (const p of service.leadership) {
    if (seen.has(p.pod)) continue;
    seen.add(p.pod);
    all.push({ pod: p.pod, label: shortPod(p.pod, service.service), led: true });
  }

  let shown: Lane[] = all;
  let hidden = 0;
  const limit = Math.max(1, Math.floor(maxLanes));
  if (all.length > limit) {
    const keep = new Set<Lane>();
    for (const lane of all) if (lane.led && keep.size < limit) keep.add(lane);
    for (const lane of all) if (!lane.led && keep.size < limit) keep.add(lane);
    shown = all.filter((lane) => keep.has(lane));
    hidden = all.length - shown.length;
    shown.push({ pod: "", label: `+${hidden} more pods`, led: false, overflow: hidden });
  }
  const laneOf = new Map<string, number>();
  shown.forEach((lane, i) => {
    if (lane.overflow === undefined) laneOf.set(lane.pod, i);
  });
  return { lanes: shown, laneOf, hidden };
}

// ---------------------------------------------------------------------------------------------
// SVG timeline

/** Where everything goes in one Service's timeline (px, on the scale's virtual ms). */
interface Frame {
  readonly scale: Scale;
  /** Lane rows drawn: one per lane, and one (empty) when there is none. */
  readonly laneCount: number;
  /** Below the last lane: the marker row starts here. */
  readonly lanesBottom: number;
  readonly axisY: number;
  readonly height: number;
  /** Axis ticks (ms) and the decimals their labels need. */
  readonly ticks: readonly number[];
  readonly tickDecimals: number;
  /** The top of lane `i`'s bar area. */
  laneY(i: number): number;
  /** The lane that draws `pod`: its own, else the overflow lane (the last). */
  laneIndexOf(pod: string): number;
  /** An interval's x and width (at least MIN_BAR_W), as attribute values. */
  span(from: number, to: number): { readonly x: string; readonly w: string };
}

function frameFor(scale: Scale, lanes: readonly Lane[], laneOf: ReadonlyMap<string, number>): Frame {
  const laneCount = Math.max(lanes.length, 1);
  const lanesBottom = LANES_TOP + laneCount * LANE_PITCH;
  const axisY = lanesBottom + MARK_ROW_H;
  const step = tickStep(scale.end);
  const ticks: number[] = [];
  for (let i = 0; i * step <= scale.end; i++) ticks.push(i * step);
  const overflowLane = lanes.length - 1;
  return {
    scale,
    laneCount,
    lanesBottom,
    axisY,
    height: axisY + AXIS_H,
    ticks,
    tickDecimals: step >= 100 ? 1 : step >= 10 ? 2 : 3,
    laneY: (i) => LANES_TOP + i * LANE_PITCH + (LANE_PITCH - LANE_H) / 2,
    laneIndexOf: (pod) => laneOf.get(pod) ?? overflowLane,
    span(from, to) {
      const x0 = scale.x(from);
      return { x: num(x0), w: num(Math.max(scale.x(to) - x0, MIN_BAR_W)) };
    },
  };
}

/**
 * One Service's timeline as an SVG element (lines joined by "\n"): lanes and grid, lane labels,
 * pod existence and Ready intervals, publish latency windows, leadership bars, decode-failure
 * crosses, leader-change markers, warning and violation markers, the axis — in that order (later ones
 * are drawn on top).
 */
function svgTimeline(
  service: ServiceReport,
  index: number,
  report: SimReport,
  scale: Scale,
  lanes: readonly Lane[],
  laneOf: ReadonlyMap<string, number>,
): string {
  const frame = frameFor(scale, lanes, laneOf);
  return [
    ...svgHeader(service, index, lanes, frame),
    ...laneBackgrounds(frame),
    ...laneLabels(service, lanes, frame),
    ...podIntervals(lanes, frame),
    ...latencyWindows(service.leaderChanges, frame),
    ...leadershipBars(service.leadership, report.endAt, frame),
    ...decodeFailureCrosses(service.service, report.decodeFailures, lanes, frame),
    ...leaderChangeMarkers(service.leaderChanges, frame),
    ...warningAndViolationMarkers(service.warnings, report.violations, frame),
    ...axis(frame),
    `</svg>`,
  ].join("\n");
}

/** The opening `<svg>` with its accessible title and description. */
function svgHeader(service: ServiceReport, index: number, lanes: readonly Lane[], frame: Frame): string[] {
  const id = `svc-${index}`;
  const height = num(frame.height);
  return [
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-labelledby="${id}-svg-title ${id}-svg-desc">`,
    `<title id="${id}-svg-title">Timeline of ${esc(service.service)}</title>`,
    `<desc id="${id}-svg-desc">${plural(lanes.length, "pod lane")}, ${plural(service.leadership.length, "leadership period")}, ${plural(service.leaderChanges.length, "leader change")}, ${plural(service.warnings.length, "warning")}; virtual time from +0s to ${formatOffset(frame.scale.end, 1)}.</desc>`,
  ];
}

/** Alternating lane backgrounds, and a vertical grid line per tick. */
function laneBackgrounds(frame: Frame): string[] {
  const out = [`<g class="lanes">`];
  for (let i = 0; i < frame.laneCount; i++) {
    out.push(
      `<rect class="lane-bg${i % 2 === 1 ? " odd" : ""}" x="${GUTTER}" y="${num(LANES_TOP + i * LANE_PITCH)}" width="${PLOT_W}" height="${LANE_PITCH}"/>`,
    );
  }
  out.push(`</g>`, `<g class="grid">`);
  for (const t of frame.ticks) {
    const tx = num(frame.scale.x(t));
    out.push(`<line x1="${tx}" x2="${tx}" y1="${LANES_TOP}" y2="${num(frame.lanesBottom)}"/>`);
  }
  out.push(`</g>`);
  return out;
}

/** Each lane's (shortened) pod name with its full name as a tooltip; a note when there is no pod. */
function laneLabels(service: ServiceReport, lanes: readonly Lane[], frame: Frame): string[] {
  const out = [`<g class="lane-labels">`];
  if (lanes.length === 0) {
    const note = service.optedIn
      ? "No pods observed for this Service."
      : `Not opted in: zen-lead follows none of its pods.`;
    out.push(
      `<text class="empty" x="${GUTTER + 8}" y="${num(frame.laneY(0) + LANE_H / 2 + 4)}">${note}</text>`,
    );
  }
  lanes.forEach((lane, i) => {
    const cls =
      lane.overflow !== undefined ? "lane-label overflow" : lane.led ? "lane-label led" : "lane-label";
    const tip =
      lane.overflow !== undefined
        ? `${lane.overflow} more pods not drawn as lanes; their leadership periods are drawn here`
        : lane.lane === undefined
          ? `${lane.pod} (known only from leadership periods)`
          : `${lane.pod}`;
    out.push(
      `<text class="${cls}" x="${GUTTER - 8}" y="${num(frame.laneY(i) + LANE_H / 2 + 4)}" data-pod="${esc(lane.pod)}"><title>${esc(tip)}</title>${esc(truncateStart(lane.label, LANE_LABEL_CHARS))}</text>`,
    );
  });
  out.push(`</g>`);
  return out;
}

/** Each pod's existence span and its Ready intervals, on its lane. */
function podIntervals(lanes: readonly Lane[], frame: Frame): string[] {
  const out = [`<g class="pods">`];
  lanes.forEach((lane, i) => {
    const pod = lane.lane;
    if (pod === undefined) return;
    const end = pod.deleted ?? frame.scale.end;
    const y = frame.laneY(i);
    const s = frame.span(pod.created, end);
    const life = `${pod.pod}: exists ${formatOffset(pod.created)} → ${pod.deleted === undefined ? "end of run" : formatOffset(pod.deleted)}`;
    out.push(
      `<rect class="exists" x="${s.x}" y="${num(y + 2)}" width="${s.w}" height="${LANE_H - 4}" data-pod="${esc(pod.pod)}"><title>${esc(life)}</title></rect>`,
    );
    for (const r of pod.ready) {
      const rs = frame.span(r.from, r.to ?? end);
      const tip = `${pod.pod}: Ready ${formatOffset(r.from)} → ${r.to === undefined ? "end" : formatOffset(r.to)}`;
      out.push(
        `<rect class="ready" x="${rs.x}" y="${num(y + 2)}" width="${rs.w}" height="${LANE_H - 4}" data-pod="${esc(pod.pod)}"><title>${esc(tip)}</title></rect>`,
      );
    }
  });
  out.push(`</g>`);
  return out;
}

/** Publish latency windows (behind the bars): trigger → slice accepted, across every lane. */
function latencyWindows(changes: readonly LeaderChangeRecord[], frame: Frame): string[] {
  const out = [`<g class="latency-windows">`];
  for (const f of changes) {
    if (!isFiniteNumber(f.sliceAt) || f.sliceAt <= f.triggerAt) continue;
    const s = frame.span(f.triggerAt, f.sliceAt);
    out.push(
      `<rect class="latency" x="${s.x}" y="${LANES_TOP}" width="${s.w}" height="${num(frame.lanesBottom - LANES_TOP)}"/>`,
    );
  }
  out.push(`</g>`);
  return out;
}

/** One bar per leadership period, on the leader's lane; an open period runs to `endAt`. */
function leadershipBars(periods: readonly LeadershipPeriod[], endAt: number, frame: Frame): string[] {
  const out = [`<g class="leadership-bars">`];
  for (const p of periods) {
    const to = p.to ?? endAt;
    const s = frame.span(p.from, to);
    const y = frame.laneY(frame.laneIndexOf(p.pod));
    const tip = `${p.pod} leads ${formatOffset(p.from)} → ${p.to === undefined ? `end of run (${formatOffset(endAt)}, still leading)` : formatOffset(p.to)}, ${formatDuration(to - p.from)}; reason: ${p.reason}`;
    out.push(
      `<rect class="leadership" x="${s.x}" y="${num(y + 5)}" width="${s.w}" height="${LANE_H - 10}" rx="2" data-pod="${esc(p.pod)}" data-from="${esc(String(p.from))}" data-to="${esc(String(to))}" data-reason="${esc(p.reason)}"${p.to === undefined ? ` data-open="true"` : ""}><title>${esc(tip)}</title></rect>`,
    );
  }
  out.push(`</g>`);
  return out;
}

/**
 * A cross on a pod's lane where the controller could not decode the pod (its first report; the
 * tooltip says how often and until when). Failures of objects without a lane here are not drawn.
 */
function decodeFailureCrosses(
  service: string,
  failures: readonly DecodeFailureRecord[],
  lanes: readonly Lane[],
  frame: Frame,
): string[] {
  const namespace = service.slice(0, service.indexOf("/") + 1);
  const laneOfObject = new Map<string, number>();
  lanes.forEach((lane, i) => {
    if (lane.overflow !== undefined) return;
    laneOfObject.set(`Pod ${lane.pod.includes("/") ? lane.pod : namespace + lane.pod}`, i);
  });
  const out = [`<g class="decode-failures">`];
  for (const d of failures) {
    const i = laneOfObject.get(d.object);
    if (i === undefined) continue;
    const x = frame.scale.x(d.at);
    const y = frame.laneY(i);
    const tip = `${d.object} could not be decoded at ${formatOffset(d.at)}${d.count > 1 ? ` (${d.count} times, last ${formatOffset(d.lastAt)})` : ""}: ${d.reason}: ${d.message}`;
    out.push(
      `<g class="decode-failure" data-at="${esc(String(d.at))}" data-object="${esc(d.object)}"><title>${esc(tip)}</title><path d="M${num(x - 4)} ${num(y + 4)}L${num(x + 4)} ${num(y + LANE_H - 4)}M${num(x + 4)} ${num(y + 4)}L${num(x - 4)} ${num(y + LANE_H - 4)}"/></g>`,
    );
  }
  out.push(`</g>`);
  return out;
}

/**
 * A marker per leader change, its label staggered over LABEL_ROWS rows in time order (a label that
 * fits nowhere is left to the tooltip).
 */
function leaderChangeMarkers(changes: readonly LeaderChangeRecord[], frame: Frame): string[] {
  const out = [`<g class="leader-changes">`];
  const rowEnds: number[] = Array.from({ length: LABEL_ROWS }, () => -Infinity);
  const ordered = changes.map((f, i) => ({ f, i })).sort((a, b) => a.f.at - b.f.at || a.i - b.i);
  for (const { f, i } of ordered) {
    const fx = frame.scale.x(f.at);
    const label = `${isFiniteNumber(f.latencyMs) ? formatDuration(f.latencyMs) : "no slice"} · ${f.cause}`;
    const w = [...label].length * LABEL_CHAR_W;
    const anchorEnd = fx + 4 + w > WIDTH - 2;
    const left = anchorEnd ? fx - 4 - w : fx + 4;
    const row = rowEnds.findIndex((end) => left > end + 6);
    const top = row >= 0 ? 8 + row * LABEL_ROW_H : LANES_TOP - 4;
    out.push(
      `<g ${leaderChangeAttributes(f)}><title>${esc(leaderChangeTip(f, i))}</title>`,
      `<line x1="${num(fx)}" x2="${num(fx)}" y1="${num(top)}" y2="${num(frame.lanesBottom)}"/>`,
      `<circle cx="${num(fx)}" cy="${num(top + 2)}" r="2.5"/>`,
    );
    if (row >= 0) {
      rowEnds[row] = left + w;
      out.push(
        `<text x="${num(anchorEnd ? fx - 4 : fx + 4)}" y="${num(8 + (row + 1) * LABEL_ROW_H - 3)}"${anchorEnd ? ` text-anchor="end"` : ""}>${esc(label)}</text>`,
      );
    }
    out.push(`</g>`);
  }
  out.push(`</g>`);
  return out;
}

/**
 * A leader-change marker's class (`failover` too when it took leadership from a sitting leader)
 * and data attributes (for tests and readers of the HTML).
 */
function leaderChangeAttributes(f: LeaderChangeRecord): string {
  return [
    `class="leader-change${f.from !== undefined ? " failover" : ""}${isFiniteNumber(f.sliceAt) ? "" : " unaccepted"}"`,
    `data-at="${esc(String(f.at))}"`,
    f.from === undefined ? "" : `data-from="${esc(f.from)}"`,
    f.to === undefined ? "" : `data-to="${esc(f.to)}"`,
    `data-cause="${esc(f.cause)}"`,
    isFiniteNumber(f.latencyMs) ? `data-latency-ms="${esc(String(f.latencyMs))}"` : "",
  ]
    .filter((a) => a !== "")
    .join(" ");
}

/** A leader change's tooltip: the `i`th (0-based) leader change of its Service, in full. */
function leaderChangeTip(f: LeaderChangeRecord, i: number): string {
  return `Leader change #${i + 1} (${f.from !== undefined ? "failover" : "election"}) decided at ${formatOffset(f.at)}: ${f.from ?? "(none)"} → ${f.to ?? "(none)"}; cause ${f.cause}; triggered ${formatOffset(f.triggerAt)}; slice ${isFiniteNumber(f.sliceAt) ? `accepted ${formatOffset(f.sliceAt)}` : "never accepted"}${isFiniteNumber(f.latencyMs) ? `; latency ${formatDuration(f.latencyMs)}` : ""}`;
}

/** In the marker row: the Service's warnings (amber triangles) and run-wide violations (red diamonds). */
function warningAndViolationMarkers(
  warnings: ServiceReport["warnings"],
  violations: readonly Violation[],
  frame: Frame,
): string[] {
  const markY = frame.lanesBottom + 3;
  const out = [`<g class="markers">`];
  for (const w of warnings) {
    const wx = frame.scale.x(w.at);
    out.push(
      `<g class="warning" data-at="${esc(String(w.at))}" data-reason="${esc(w.reason)}"><title>${esc(`Warning at ${formatOffset(w.at)}: ${w.reason}: ${w.message}`)}</title><path d="M${num(wx)} ${num(markY)}L${num(wx + 5.5)} ${num(markY + 10)}L${num(wx - 5.5)} ${num(markY + 10)}Z"/></g>`,
    );
  }
  for (const v of violations) {
    const vx = frame.scale.x(v.at);
    out.push(
      `<g class="violation" data-at="${esc(String(v.at))}"><title>${esc(`Invariant violation (run-wide) at ${formatOffset(v.at)}: ${v.invariant}: ${v.message}`)}</title><path d="M${num(vx)} ${num(markY)}L${num(vx + 5)} ${num(markY + 5.5)}L${num(vx)} ${num(markY + 11)}L${num(vx - 5)} ${num(markY + 5.5)}Z"/></g>`,
    );
  }
  out.push(`</g>`);
  return out;
}

/** The time axis: a line, and a tick with its offset label per tick. */
function axis(frame: Frame): string[] {
  const { axisY } = frame;
  const out = [
    `<g class="axis"><line x1="${GUTTER}" x2="${GUTTER + PLOT_W}" y1="${num(axisY)}" y2="${num(axisY)}"/>`,
  ];
  for (const t of frame.ticks) {
    const tx = num(frame.scale.x(t));
    out.push(
      `<line x1="${tx}" x2="${tx}" y1="${num(axisY)}" y2="${num(axisY + 5)}"/><text x="${tx}" y="${num(axisY + 18)}" text-anchor="middle">${formatOffset(t, frame.tickDecimals)}</text>`,
    );
  }
  out.push(`</g>`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tables

/** A table with a caption; rows beyond `maxRows` are left out with a note. Cells are HTML. */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly { readonly cls?: string; readonly cells: readonly string[] }[],
  maxRows: number,
  cls = "",
): string {
  const shown = rows.slice(0, Math.max(0, maxRows));
  const out = [
    `<table${cls === "" ? "" : ` class="${cls}"`}>`,
    `<caption>${caption}</caption>`,
    `<thead><tr>${headers.map((h) => `<th scope="col">${h}</th>`).join("")}</tr></thead>`,
    "<tbody>",
  ];
  for (const row of shown) {
    out.push(
      `<tr${row.cls === undefined ? "" : ` class="${row.cls}"`}>${row.cells.map((c) => `<td>${c}</td>`).join("")}</tr>`,
    );
  }
  out.push("</tbody>", "</table>");
  if (rows.length > shown.length) {
    out.push(`<p class="note">Showing the first ${shown.length} of ${rows.length} rows.</p>`);
  }
  return out.join("\n");
}

function leaderChangeTable(changes: readonly LeaderChangeRecord[], maxRows: number): string {
  if (changes.length === 0) return `<p class="muted">No leader changes.</p>`;
  return table(
    "Leader changes",
    ["#", "decided", "from", "to", "cause", "triggered", "slice accepted", "latency"],
    changes.map((f, i) => {
      const accepted = isFiniteNumber(f.sliceAt);
      const row = {
        cells: [
          String(i + 1),
          formatOffset(f.at),
          f.from === undefined ? `<span class="muted">none</span>` : esc(f.from),
          f.to === undefined ? `<span class="muted">none</span>` : esc(f.to),
          esc(f.cause),
          formatOffset(f.triggerAt),
          accepted ? formatOffset(f.sliceAt) : `<strong class="bad">never</strong>`,
          isFiniteNumber(f.latencyMs) ? formatDuration(f.latencyMs) : "—",
        ],
      };
      return accepted ? row : { ...row, cls: "bad-row" };
    }),
    maxRows,
    "leader changes",
  );
}

function leadershipTable(periods: readonly LeadershipPeriod[], endAt: number, maxRows: number): string {
  if (periods.length === 0) return `<p class="muted">No pod led this Service.</p>`;
  return table(
    "Leadership periods",
    ["pod", "from", "to", "duration", "reason"],
    periods.map((p) => ({
      cells: [
        esc(p.pod),
        formatOffset(p.from),
        p.to === undefined ? `<span class="muted">end (still leading)</span>` : formatOffset(p.to),
        formatDuration((p.to ?? endAt) - p.from),
        esc(p.reason),
      ],
    })),
    maxRows,
    "leadership",
  );
}

function warningTable(warnings: ServiceReport["warnings"], maxRows: number): string {
  if (warnings.length === 0) return "";
  return table(
    "Warnings",
    ["at", "reason", "message"],
    warnings.map((w) => ({ cells: [formatOffset(w.at), esc(w.reason), esc(w.message)] })),
    maxRows,
    "warnings",
  );
}

function violationsSection(violations: readonly Violation[], maxRows: number): string {
  if (violations.length === 0) {
    return `<section class="violations ok" id="violations"><h2>Invariants</h2><p>No invariant violations.</p></section>`;
  }
  return [
    `<section class="violations" id="violations">`,
    `<h2>${plural(violations.length, "invariant violation")}</h2>`,
    table(
      "Invariant violations",
      ["at", "invariant", "message"],
      violations.map((v) => ({ cells: [formatOffset(v.at), esc(v.invariant), esc(v.message)] })),
      maxRows,
    ),
    `</section>`,
  ].join("\n");
}

function decodeFailuresSection(
  failures: readonly DecodeFailureRecord[],
  reports: number,
  maxRows: number,
): string {
  if (reports === 0) {
    return `<section class="decode-failures ok" id="decode-failures"><h2>Decode failures</h2><p>The controller reported no object it could not decode.</p></section>`;
  }
  return [
    `<section class="decode-failures" id="decode-failures">`,
    `<h2>Decode failures: ${plural(reports, "report")}</h2>`,
    `<p>Objects the controller could not read: it treats each as gone until a readable version arrives. One row per object and message.</p>`,
    table(
      "Objects that could not be decoded",
      ["first", "last", "times", "object", "reason", "message"],
      failures.map((d) => ({
        cells: [
          formatOffset(d.at),
          formatOffset(d.lastAt),
          String(d.count),
          esc(d.object),
          esc(d.reason),
          esc(d.message),
        ],
      })),
      maxRows,
    ),
    `</section>`,
  ].join("\n");
}

const VERB_ORDER: Readonly<Record<string, number>> = { create: 0, update: 1, delete: 2 };

function writesSection(writes: readonly WriteRecord[], maxRows: number): string {
  const out = [`<section class="writes" id="writes">`, `<h2>Writes</h2>`];
  if (writes.length === 0) {
    out.push(`<p class="muted">zen-lead made no writes.</p>`, `</section>`);
    return out.join("\n");
  }
  const failed = writes.filter(isFailedWrite).length;
  out.push(
    `<p>${plural(writes.length, "write")}, ${failed === 0 ? "none failed" : `<strong class="bad">${failed} failed</strong>`}.</p>`,
  );

  interface Group {
    readonly key: readonly string[];
    total: number;
    failed: number;
    readonly codes: Map<number, number>;
  }
  const group = (keyOf: (w: WriteRecord) => readonly string[]): Group[] => {
    const groups = new Map<string, Group>();
    for (const w of writes) {
      const key = keyOf(w);
      const id = JSON.stringify(key);
      let g = groups.get(id);
      if (g === undefined) {
        g = { key, total: 0, failed: 0, codes: new Map() };
        groups.set(id, g);
      }
      g.total++;
      if (isFailedWrite(w)) {
        g.failed++;
        g.codes.set(w.status, (g.codes.get(w.status) ?? 0) + 1);
      }
    }
    return [...groups.values()];
  };
  const codes = (g: Group): string =>
    [...g.codes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([code, n]) => `${code}×${n}`)
      .join(", ");
  const cells = (g: Group): string[] => [
    ...g.key.map(esc),
    String(g.total),
    String(g.total - g.failed),
    g.failed === 0 ? "0" : `<strong class="bad">${g.failed}</strong>`,
    codes(g),
  ];
  const byVerb = group((w) => [w.kind, w.verb]).sort(
    (a, b) =>
      compare(a.key[0] ?? "", b.key[0] ?? "") ||
      (VERB_ORDER[a.key[1] ?? ""] ?? 9) - (VERB_ORDER[b.key[1] ?? ""] ?? 9),
  );
  out.push(
    table(
      "Writes by kind and verb",
      ["kind", "verb", "total", "succeeded", "failed", "failure codes"],
      byVerb.map((g) => ({ cells: cells(g) })),
      maxRows,
      "writes-summary",
    ),
  );
  const bySource = group((w) => [w.source]).sort(
    (a, b) => b.total - a.total || compare(a.key[0] ?? "", b.key[0] ?? ""),
  );
  out.push(
    table(
      "Writes by source",
      ["source", "total", "succeeded", "failed", "failure codes"],
      bySource.map((g) => ({ cells: cells(g) })),
      maxRows,
      "writes-by-source",
    ),
    `</section>`,
  );
  return out.join("\n");
}

/** Code-unit order: locale-independent, so output never depends on the machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Sections and page

function serviceSummary(service: ServiceReport, lanes: number): string {
  const latencies = service.leaderChanges
    .map((f) => f.latencyMs)
    .filter(isFiniteNumber)
    .sort((a, b) => a - b);
  const never = service.leaderChanges.filter((f) => !isFiniteNumber(f.sliceAt)).length;
  const parts = [
    ...(service.optedIn ? [] : [`<strong>${NOT_OPTED_IN}</strong>`]),
    service.optedIn || lanes > 0 ? plural(lanes, "pod") : "no pods followed",
    plural(service.leadership.length, "leadership period"),
    plural(service.totals.leaderChanges, "leader change"),
    plural(service.totals.failovers, "failover"),
  ];
  if (latencies.length > 0) {
    const p50 = latencies[Math.ceil(latencies.length / 2) - 1] ?? 0;
    const max = latencies[latencies.length - 1] ?? 0;
    parts.push(`publish latency p50 ${formatDuration(p50)}, max ${formatDuration(max)}`);
  }
  if (never > 0)
    parts.push(`<strong class="bad">${plural(never, "leader change")} never got a slice</strong>`);
  parts.push(`${formatDuration(service.totals.leaderlessMs)} without a leader`);
  parts.push(
    service.warnings.length > 0
      ? `<span class="warn">${plural(service.warnings.length, "warning")}</span>`
      : "no warnings",
  );
  return `<p class="summary">${parts.join(" · ")}</p>`;
}

function serviceSection(
  service: ServiceReport,
  index: number,
  report: SimReport,
  scale: Scale,
  options: Required<HtmlOptions>,
): string {
  const { lanes, laneOf, hidden } = lanesFor(service, options.maxLanes);
  const podCount = lanes.length - (hidden > 0 ? 1 : 0) + hidden;
  const out = [
    `<section class="service" id="svc-${index}" data-service="${esc(service.service)}">`,
    `<h2>${esc(service.service)}</h2>`,
    service.leaderService === undefined
      ? `<p class="muted">No leader Service recorded.</p>`
      : `<p>Leader Service: <code>${esc(service.leaderService)}</code></p>`,
    serviceSummary(service, podCount),
  ];
  if (hidden > 0) {
    out.push(
      `<p class="note">Showing ${lanes.length - 1} of ${podCount} pods as lanes (pods that led first); the leadership periods of the ${hidden} other pods are drawn on the last lane.</p>`,
    );
  }
  out.push(
    `<div class="figure">`,
    svgTimeline(service, index, report, scale, lanes, laneOf),
    `</div>`,
    leaderChangeTable(service.leaderChanges, options.maxTableRows),
    leadershipTable(service.leadership, report.endAt, options.maxTableRows),
    warningTable(service.warnings, options.maxTableRows),
    `</section>`,
  );
  return out.join("\n");
}

const CSS = `
:root { color-scheme: light; --ink: #111827; --muted: #4b5563; --line: #d1d5db; --bad: #b91c1c; --warn: #92400e; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 6px; }
header p { margin: 2px 0; color: var(--muted); }
code { font: 13px ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; }
.stats { display: flex; flex-wrap: wrap; gap: 8px; margin: 14px 0 6px; padding: 0; list-style: none; }
.stats li { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; min-width: 96px; }
.stats .v { display: block; font-size: 20px; font-weight: 600; }
.stats .k { color: var(--muted); font-size: 12px; }
.stats li.bad { border-color: var(--bad); background: #fef2f2; color: var(--bad); }
.stats li.bad .k { color: var(--bad); }
.stats li.warn { border-color: #f59e0b; background: #fffbeb; color: var(--warn); }
.stats li.warn .k { color: var(--warn); }
nav ul { margin: 4px 0 0; padding-left: 20px; }
section { margin-top: 28px; padding-top: 12px; border-top: 1px solid var(--line); }
.violations { border: 2px solid var(--bad); border-radius: 6px; background: #fef2f2; padding: 12px 16px; color: var(--bad); }
.violations h2 { color: var(--bad); }
.violations.ok { border: 1px solid #86efac; background: #f0fdf4; color: #166534; }
.violations.ok h2 { color: #166534; }
.violations td { color: #7f1d1d; }
.decode-failures { border: 2px solid #f59e0b; border-radius: 6px; background: #fffbeb; padding: 12px 16px; }
.decode-failures h2 { color: var(--warn); }
.decode-failures.ok { border: 1px solid var(--line); background: #fff; }
.decode-failures.ok h2 { color: var(--ink); }
.decode-failures th { background: #fef3c7; }
.muted { color: var(--muted); }
.note { color: var(--warn); background: #fffbeb; border-left: 3px solid #f59e0b; padding: 4px 8px; }
.bad { color: var(--bad); }
.warn { color: var(--warn); }
.summary { margin: 4px 0 8px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 8px 0 0; padding: 0; list-style: none; font-size: 13px; color: var(--muted); }
.legend li { display: flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 22px; height: 12px; border-radius: 2px; border: 1px solid transparent; }
.sw.exists { background: #e5e7eb; border-color: #9ca3af; }
.sw.ready { background: #bbf7d0; border-color: #16a34a; }
.sw.leadership { background: #1d4ed8; }
.sw.leader-change { width: 3px; background: #c2410c; }
.sw.latency { background: rgba(234, 88, 12, 0.15); border-color: #fdba74; }
.sw.warning { width: 0; height: 0; border: 6px solid transparent; border-bottom: 11px solid #eab308; border-top: 0; border-radius: 0; }
.sw.decode-failure { width: 12px; height: 12px; border: 0; background: linear-gradient(45deg, transparent 42%, #b45309 42% 58%, transparent 58%), linear-gradient(-45deg, transparent 42%, #b45309 42% 58%, transparent 58%); }
.sw.violation { width: 10px; height: 10px; background: var(--bad); transform: rotate(45deg); border-radius: 0; }
.figure { overflow-x: auto; margin: 8px 0 12px; }
svg.timeline { display: block; max-width: 100%; height: auto; font: 11px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
svg .lane-bg { fill: #ffffff; }
svg .lane-bg.odd { fill: #f8fafc; }
svg .grid line { stroke: #e5e7eb; stroke-width: 1; }
svg .lane-label { fill: #1f2937; text-anchor: end; font-size: 12px; }
svg .lane-label.led { font-weight: 600; }
svg .lane-label.overflow { font-style: italic; fill: var(--warn); }
svg text.empty { fill: var(--muted); font-style: italic; }
svg .exists { fill: #e5e7eb; stroke: #9ca3af; stroke-width: 0.5; }
svg .ready { fill: #bbf7d0; stroke: #16a34a; stroke-width: 0.5; }
svg .leadership { fill: #1d4ed8; stroke: #1e3a8a; stroke-width: 0.5; }
svg .latency { fill: #ea580c; fill-opacity: 0.15; }
svg .leader-change line { stroke: #c2410c; stroke-width: 1.5; stroke-dasharray: 4 3; }
svg .leader-change circle { fill: #c2410c; }
svg .leader-change text { fill: #9a3412; font-size: 11px; }
svg .leader-change.unaccepted line, svg .leader-change.unaccepted circle { stroke: var(--bad); fill: var(--bad); }
svg .leader-change.unaccepted text { fill: var(--bad); font-weight: 600; }
svg .warning path { fill: #eab308; stroke: #854d0e; stroke-width: 1; }
svg .decode-failure path { fill: none; stroke: #b45309; stroke-width: 2; }
svg .violation path { fill: var(--bad); stroke: #7f1d1d; stroke-width: 1; }
svg .axis line { stroke: #6b7280; stroke-width: 1; }
svg .axis text { fill: #374151; font-size: 11px; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
td { font-variant-numeric: tabular-nums; }
tr.bad-row td { background: #fef2f2; color: #7f1d1d; }
.violations th { background: #fee2e2; }
`;

/** The timeline's legend: what each colour and marker means. */
export function legend(): string {
  const item = (cls: string, text: string): string =>
    `<li><span class="sw ${cls}" aria-hidden="true"></span>${text}</li>`;
  return `<ul class="legend" aria-label="Legend">${[
    item("exists", "pod exists"),
    item("ready", "pod Ready"),
    item("leadership", "leader (in the leader slice)"),
    item("leader-change", "leader change: an election or a failover (label: latency · cause)"),
    item("latency", "trigger → slice accepted"),
    item("warning", "warning"),
    item("decode-failure", "pod could not be decoded"),
    item("violation", "invariant violation (run-wide)"),
  ].join("")}</ul>`;
}

/** A header figure; `tone` colours it: `bad` (red) for a broken run, `warn` (amber) for bad input. */
function stat(value: string | number, key: string, tone?: "bad" | "warn"): string {
  return `<li${tone !== undefined ? ` class="${tone}"` : ""}><span class="v">${typeof value === "number" ? String(value) : value}</span><span class="k">${key}</span></li>`;
}

/** Renders the report as one self-contained, deterministic HTML page. */
export function renderHtml(report: SimReport, options: HtmlOptions = {}): string {
  const opts: Required<HtmlOptions> = {
    maxLanes: options.maxLanes ?? DEFAULT_MAX_LANES,
    maxTableRows: options.maxTableRows ?? DEFAULT_MAX_TABLE_ROWS,
  };
  const scale = scaleFor(timeDomain(report));
  const title = `zen-lead simulation: ${report.name}`;
  const out = [
    "<header>",
    `<h1>${esc(title)}</h1>`,
    `<p>Source: <strong>${esc(report.source)}</strong> · seed <code>${esc(String(report.seed))}</code> · virtual run length ${formatOffset(report.endAt)} · report format ${esc(String(report.formatVersion))}</p>`,
    `<ul class="stats">`,
    stat(report.services.length, "services"),
    stat(report.stats.events, "events"),
    stat(report.stats.writes, "writes"),
    stat(report.stats.failedWrites, "failed writes", report.stats.failedWrites > 0 ? "bad" : undefined),
    stat(report.stats.leaderChanges, "leader changes"),
    stat(report.stats.failovers, "failovers"),
    stat(report.violations.length, "violations", report.violations.length > 0 ? "bad" : undefined),
    stat(
      report.stats.decodeFailures,
      "decode failures",
      report.stats.decodeFailures > 0 ? "warn" : undefined,
    ),
    `</ul>`,
  ];
  if (report.services.length > 0) {
    out.push(
      `<nav aria-label="Services"><ul>`,
      ...report.services.map(
        (s, i) =>
          `<li><a href="#svc-${i}">${esc(s.service)}</a> — ${plural(s.totals.leaderChanges, "leader change")}, ${plural(s.totals.failovers, "failover")}${s.optedIn ? "" : ` (${NOT_OPTED_IN})`}</li>`,
      ),
      `<li><a href="#decode-failures">Decode failures</a></li>`,
      `<li><a href="#writes">Writes</a></li>`,
      `</ul></nav>`,
    );
  }
  out.push(
    "</header>",
    "<main>",
    violationsSection(report.violations, opts.maxTableRows),
    decodeFailuresSection(report.decodeFailures, report.stats.decodeFailures, opts.maxTableRows),
  );
  if (report.services.length === 0) {
    out.push(`<section class="no-services"><p class="muted">No Services in this report.</p></section>`);
  } else {
    out.push(legend());
    report.services.forEach((s, i) => {
      out.push(serviceSection(s, i, report, scale, opts));
    });
  }
  out.push(writesSection(report.writes, opts.maxTableRows), "</main>");
  return page(title, report.formatVersion, out);
}

/**
 * A whole page around `body` (HTML lines): the head with the stylesheet (plus `extraCss`) and a
 * Content-Security-Policy that lets nothing be fetched or run.
 */
export function page(title: string, formatVersion: number, body: readonly string[], extraCss = ""): string {
  return [
    "<!doctype html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="generator" content="zen-lead simulator (report format ${esc(String(formatVersion))})">`,
    `<title>${esc(title)}</title>`,
    `<style>${CSS}${extraCss}</style>`,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/**
 * One Service's timeline of one run, drawn on the time axis of `reports` (all of them share it):
 * for pages that show several runs of one log. `id` must be unique in the page.
 */
export function timelineFigure(
  service: ServiceReport,
  id: number,
  report: SimReport,
  reports: readonly SimReport[],
  maxLanes = DEFAULT_MAX_LANES,
): string {
  const scale = scaleFor(Math.max(...reports.map(timeDomain)));
  const { lanes, laneOf } = lanesFor(service, maxLanes);
  return [`<div class="figure">`, svgTimeline(service, id, report, scale, lanes, laneOf), `</div>`].join(
    "\n",
  );
}
