/**
 * Reading a scenario: YAML text -> plain data (syntax errors with line and column) -> io-ts
 * decoding (types, ranges, unknown keys) -> references and defaults (resolve.ts). Every failure is
 * a ScenarioError whose message is one line naming the file and the field.
 */
import { readFile } from "node:fs/promises";
import { parseTimestamp } from "@zen-lead/core";
import { type Document, isCollection, LineCounter, parseDocument } from "yaml";
import { describe, pathSegment } from "./codec.ts";
import { ScenarioError, ScenarioSyntaxError } from "./error.ts";
import { DEFAULT_START, type Path, resolveScenario } from "./resolve.ts";
import { scenarioC } from "./schema.ts";
import type { Scenario } from "./types.ts";

/** Prints a path as the message shows it: `timeline[2].deletePod.grace`. */
export function formatPath(path: Path): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : pathSegment(key, out === "");
  return out;
}

/** The path printed by codec.ts, back to keys (`[2]` -> 2) for looking the node up in the document. */
function keysOf(printed: string): Path {
  const keys: (string | number)[] = [];
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([A-Za-z_][A-Za-z0-9_]*)/gy;
  for (let m = re.exec(printed); m !== null && m[0] !== ""; m = re.exec(printed)) {
    if (m[1] !== undefined) keys.push(Number(m[1]));
    else if (m[2] !== undefined) keys.push(JSON.parse(`"${m[2]}"`) as string);
    else if (m[3] !== undefined) keys.push(m[3]);
  }
  return keys;
}

/** The 1-based line of the deepest node along `path` that exists in the document (0 if none). */
function lineOf(doc: Document | undefined, counter: LineCounter | undefined, path: Path): number {
  if (doc === undefined || counter === undefined) return 0;
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range !== undefined && (n === 0 || node !== undefined)) return counter.linePos(range[0]).line;
  }
  return 0;
}

/**
 * Validates decoded YAML (or any plain data shaped like a scenario file) into a Scenario.
 * Throws ScenarioError naming the first offending field.
 */
export function decodeScenario(raw: unknown, file: string, doc?: Document, counter?: LineCounter): Scenario {
  const decoded = scenarioC.decode(raw);
  if (decoded._tag === "Left") {
    const first = describe(decoded.left)[0] ?? { path: "", message: "invalid scenario" };
    const message =
      raw === null || raw === undefined ? "expected a scenario (a YAML map), got nothing" : first.message;
    throw new ScenarioError(file, first.path, message, lineOf(doc, counter, keysOf(first.path)));
  }
  const input = decoded.right;
  const epochMs = parseTimestamp(DEFAULT_START) as number;
  const fail = (path: Path, reason: string): never => {
    throw new ScenarioError(file, formatPath(path), reason, lineOf(doc, counter, path));
  };
  const scenario = resolveScenario(input, file, input.start ?? epochMs, fail);
  return doc === undefined ? scenario : { ...scenario, lineOf: (path) => lineOf(doc, counter, path) };
}

/** Parses scenario YAML; `file` names it in messages. Throws ScenarioError. */
export function parseScenario(text: string, file: string): Scenario {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const pos = syntax.linePos?.[0] ?? counter.linePos(syntax.pos[0]);
    const reason = (syntax.message.split("\n")[0] ?? syntax.message).replace(
      / at line \d+, column \d+:?$/,
      "",
    );
    throw new ScenarioSyntaxError(file, pos.line, pos.col, reason);
  }
  if (doc.contents !== null && !isCollection(doc.contents) && typeof doc.toJS() !== "object") {
    throw new ScenarioError(
      file,
      "",
      `expected a scenario (a YAML map), got ${JSON.stringify(doc.toJS())}`,
      1,
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw new ScenarioError(file, "", error instanceof Error ? error.message : String(error));
  }
  return decodeScenario(raw, file, doc, counter);
}

/** Reads and parses a scenario file. Throws ScenarioError (also when the file cannot be read). */
export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/\s*[\r\n]+\s*/g, " ") : String(error);
    throw new ScenarioError(path, "", `cannot read (${reason})`, 0, { cause: error });
  }
  return parseScenario(text, path);
}
