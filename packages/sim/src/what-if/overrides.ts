/**
 * What-if replays: a recorded log replayed as if some of its Services had carried other zen-lead
 * annotations. An override is written `SERVICE:ANNOTATION=VALUE` (or `SERVICE:ANNOTATION-` to
 * remove the annotation), e.g. `web:min-ready-duration=30s`, `shop/web:sticky=false`; the rules
 * are in docs/cli.md ("What if"). Values are read by the core's own reading of a Service's
 * annotations, so a value the controller would refuse (an InvalidAnnotation Event) is refused here.
 * The log's Service objects are rewritten as they stream past; nothing else in the log changes.
 */
import {
  ANNOTATIONS,
  decode,
  isDns1035Label,
  isFailure,
  readSourceConfig,
  type ServiceView,
} from "@zen-lead/core";
import type { LogRecord } from "../event-log/index.ts";
import type { ApiObject } from "../model.ts";
import { isZenLeadObject } from "../replay.ts";

/** `zen-lead.io/`: may be left out of an override's annotation. */
const ANNOTATION_PREFIX = ANNOTATIONS.enabled.slice(0, ANNOTATIONS.enabled.indexOf("/") + 1);

/** The annotations a what-if may set: those zen-lead reads on a source Service. */
export const SETTABLE_ANNOTATIONS: readonly string[] = [
  ANNOTATIONS.enabled,
  ANNOTATIONS.leaderServiceName,
  ANNOTATIONS.sticky,
  ANNOTATIONS.minReadyDuration,
  ANNOTATIONS.preferredLeader,
];

/** One `--set`: an annotation a Service is replayed with (or without). */
export interface AnnotationOverride {
  /** The override as it was written (for messages). */
  readonly text: string;
  /** As written: `name` (that Service in whichever namespace has it) or `namespace/name`. */
  readonly service: string;
  readonly namespace?: string;
  readonly name: string;
  /** The full key, `zen-lead.io/min-ready-duration`. */
  readonly annotation: string;
  /** Absent: the annotation is removed. */
  readonly value?: string;
}

/** A `--set` that cannot be used; `message` is one line, naming it as written. */
export class OverrideError extends Error {
  override readonly name = "OverrideError";
}

const EXAMPLE = "web:min-ready-duration=30s";

/**
 * Parses one `SERVICE:ANNOTATION=VALUE` (or `SERVICE:ANNOTATION-`). Throws OverrideError with a
 * one-line reason: no `:` or `=`, a malformed Service, an annotation zen-lead does not read on a
 * source Service, or a value the controller would refuse.
 */
export function parseOverride(text: string): AnnotationOverride {
  const fail = (reason: string): never => {
    throw new OverrideError(`--set ${text}: ${reason}`);
  };
  const colon = text.indexOf(":");
  if (colon < 0) fail(`expected SERVICE:ANNOTATION=VALUE (e.g. ${EXAMPLE})`);
  const service = text.slice(0, colon);
  const parts = service.split("/");
  const name = parts[parts.length - 1] ?? "";
  const namespace = parts.length === 2 ? parts[0] : undefined;
  if (parts.length > 2 || namespace === "" || !isDns1035Label(name)) {
    fail(`"${service}" is not a Service: write its name, or namespace/name`);
  }
  const rest = text.slice(colon + 1);
  const eq = rest.indexOf("=");
  const removed = eq < 0 && rest.endsWith("-");
  if (eq < 0 && !removed) fail(`expected ANNOTATION=VALUE, or ANNOTATION- to remove it, after "${service}:"`);
  const key = removed ? rest.slice(0, -1) : rest.slice(0, eq);
  const annotation = key.startsWith(ANNOTATION_PREFIX) ? key : `${ANNOTATION_PREFIX}${key}`;
  if (!SETTABLE_ANNOTATIONS.includes(annotation)) {
    const known = SETTABLE_ANNOTATIONS.map((a) => a.slice(ANNOTATION_PREFIX.length)).join(", ");
    fail(
      `zen-lead reads no annotation "${key}" on a Service (one of: ${known}; the ${ANNOTATION_PREFIX} prefix is optional)`,
    );
  }
  const override: AnnotationOverride = {
    text,
    service,
    ...(namespace !== undefined ? { namespace } : {}),
    name,
    annotation,
    ...(removed ? {} : { value: rest.slice(eq + 1) }),
  };
  const problem = valueProblem(override);
  if (problem !== undefined) fail(problem);
  return override;
}

/** Parses every `--set`; the same annotation of the same Service twice is refused. */
export function parseOverrides(texts: readonly string[]): AnnotationOverride[] {
  const seen = new Set<string>();
  return texts.map((text) => {
    const override = parseOverride(text);
    const key = `${override.service} ${override.annotation}`;
    if (seen.has(key))
      throw new OverrideError(`--set ${text}: ${override.annotation} of ${override.service} is set twice`);
    seen.add(key);
    return override;
  });
}

/** The controller's own verdict on the value (its InvalidAnnotation warning, without its fallback). */
function valueProblem(o: AnnotationOverride): string | undefined {
  if (o.value === undefined) return undefined;
  if (o.value === "")
    return `an empty value (write ${o.service}:${o.annotation.slice(ANNOTATION_PREFIX.length)}- to remove it)`;
  // A Service opted in with a selector, carrying the value: how the controller would read it.
  const annotations = { [ANNOTATIONS.enabled]: "true", [o.annotation]: o.value };
  const view = decode("Service", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: o.name, namespace: o.namespace ?? "default", uid: "what-if", annotations },
    spec: { selector: { app: o.name }, ports: [{ port: 80 }] },
  });
  if (isFailure(view)) return `cannot be read (${view.reason})`;
  const refused = readSourceConfig(view as ServiceView).warnings.find(
    (w) => w.reason === "InvalidAnnotation",
  );
  return refused?.message.replace(/; (using|the Service is) .*$/, "");
}

/** `default/web zen-lead.io/min-ready-duration=30s`, `default/web without zen-lead.io/sticky`. */
export function describeOverride(o: AnnotationOverride): string {
  return o.value === undefined
    ? `${o.service} without ${o.annotation}`
    : `${o.service} ${o.annotation}=${o.value}`;
}

const matches = (o: AnnotationOverride, namespace: string, name: string) =>
  o.name === name && (o.namespace === undefined || o.namespace === namespace);

/**
 * Rewrites a log's Service objects as the overrides say, record by record, and remembers which
 * Services each override met: every appearance of a matching Service (initial list, watch events,
 * relists) carries the overridden annotations, so a recorded change to one of them is overridden
 * too, while its other annotations and every other object pass through unchanged. zen-lead's own
 * Services in the log are left alone (the replay drops them anyway).
 */
export class LogRewriter {
  readonly #overrides: readonly AnnotationOverride[];
  /** For each override, the namespaces of the Services it met. */
  readonly #met = new Map<AnnotationOverride, Set<string>>();

  constructor(overrides: readonly AnnotationOverride[]) {
    this.#overrides = overrides;
    for (const o of overrides) this.#met.set(o, new Set());
  }

  /** The record with its Service rewritten (the same record when no override applies). */
  record(record: LogRecord): LogRecord {
    if (record.kind !== "Service" || record.object === undefined || !("metadata" in record.object))
      return record;
    if (record.type !== "ADDED" && record.type !== "MODIFIED" && record.type !== "DELETED") return record;
    const object = record.object as ApiObject;
    if (isZenLeadObject("Service", object)) return record;
    const namespace =
      typeof object.metadata.namespace === "string" && object.metadata.namespace !== ""
        ? object.metadata.namespace
        : "default";
    const applying = this.#overrides.filter((o) => matches(o, namespace, object.metadata.name));
    if (applying.length === 0) return record;
    for (const o of applying) this.#met.get(o)?.add(namespace);
    const current = object.metadata.annotations;
    // Malformed annotations stay malformed: the replay reports the object as the cluster had it.
    if (
      current !== undefined &&
      current !== null &&
      (typeof current !== "object" || Array.isArray(current))
    ) {
      return record;
    }
    const annotations: Record<string, unknown> = {
      ...(current as Record<string, unknown> | null | undefined),
    };
    for (const o of applying) {
      if (o.value === undefined) delete annotations[o.annotation];
      else annotations[o.annotation] = o.value;
    }
    return { ...record, object: { ...object, metadata: { ...object.metadata, annotations } } };
  }

  /** Each batch of a log with its Services rewritten. */
  async *batches(source: AsyncIterable<readonly LogRecord[]>): AsyncIterable<readonly LogRecord[]> {
    for await (const batch of source) yield batch.map((r) => this.record(r));
  }

  /**
   * One line per override that did not name exactly one Service of the log (none, or a bare name
   * found in several namespaces): the what-if would not be the one asked for.
   */
  problems(): string[] {
    const out: string[] = [];
    for (const o of this.#overrides) {
      const namespaces = [...(this.#met.get(o) ?? [])].sort();
      const text = o.text;
      if (namespaces.length === 0) out.push(`--set ${text}: the log has no Service ${o.service}`);
      else if (namespaces.length > 1) {
        out.push(
          `--set ${text}: the log has a Service ${o.name} in ${namespaces.length} namespaces (${namespaces.join(", ")}): write namespace/${o.name}`,
        );
      }
    }
    return out;
  }
}
