import { describe, expect, it } from "vitest";
import type { LogRecord } from "../event-log/index.ts";
import type { ApiObject } from "../model.ts";
import { LogRewriter, OverrideError, parseOverride, parseOverrides } from "./overrides.ts";

describe("parseOverride", () => {
  it("reads SERVICE:ANNOTATION=VALUE, the zen-lead.io/ prefix optional, a namespace optional", () => {
    expect(parseOverride("web:min-ready-duration=30s")).toEqual({
      text: "web:min-ready-duration=30s",
      service: "web",
      name: "web",
      annotation: "zen-lead.io/min-ready-duration",
      value: "30s",
    });
    expect(parseOverride("shop/web:zen-lead.io/sticky=false")).toEqual({
      text: "shop/web:zen-lead.io/sticky=false",
      service: "shop/web",
      namespace: "shop",
      name: "web",
      annotation: "zen-lead.io/sticky",
      value: "false",
    });
    // A pod name may hold anything after the first "=".
    expect(parseOverride("web:preferred-leader=web-7c9f-x2k4q").value).toBe("web-7c9f-x2k4q");
  });

  it("reads SERVICE:ANNOTATION- as the annotation removed", () => {
    const removed = parseOverride("web:preferred-leader-");
    expect(removed).toMatchObject({ annotation: "zen-lead.io/preferred-leader" });
    expect(removed).not.toHaveProperty("value");
  });

  it.each([
    ["web", "--set web: expected SERVICE:ANNOTATION=VALUE (e.g. web:min-ready-duration=30s)"],
    ["web:sticky", '--set web:sticky: expected ANNOTATION=VALUE, or ANNOTATION- to remove it, after "web:"'],
    [":sticky=true", '--set :sticky=true: "" is not a Service: write its name, or namespace/name'],
    [
      "a/b/web:sticky=true",
      '--set a/b/web:sticky=true: "a/b/web" is not a Service: write its name, or namespace/name',
    ],
    ["Web:sticky=true", '--set Web:sticky=true: "Web" is not a Service: write its name, or namespace/name'],
    [
      "web:stiky=true",
      '--set web:stiky=true: zen-lead reads no annotation "stiky" on a Service (one of: enabled, leader-service-name, sticky, min-ready-duration, preferred-leader; the zen-lead.io/ prefix is optional)',
    ],
    [
      "web:zen-lead.io/leader-pod=web-1",
      '--set web:zen-lead.io/leader-pod=web-1: zen-lead reads no annotation "zen-lead.io/leader-pod" on a Service (one of: enabled, leader-service-name, sticky, min-ready-duration, preferred-leader; the zen-lead.io/ prefix is optional)',
    ],
    ["web:sticky=", "--set web:sticky=: an empty value (write web:sticky- to remove it)"],
    ["web:sticky=maybe", '--set web:sticky=maybe: zen-lead.io/sticky="maybe" is not "true" or "false"'],
    ["web:enabled=yes", '--set web:enabled=yes: zen-lead.io/enabled="yes" is not "true" or "false"'],
    [
      "web:min-ready-duration=30",
      '--set web:min-ready-duration=30: zen-lead.io/min-ready-duration="30" is not a duration such as "30s"',
    ],
    [
      "web:min-ready-duration=-1s",
      '--set web:min-ready-duration=-1s: zen-lead.io/min-ready-duration="-1s" is negative',
    ],
    [
      "web:leader-service-name=Web_Leader",
      '--set web:leader-service-name=Web_Leader: zen-lead.io/leader-service-name="Web_Leader" is not a DNS-1035 label',
    ],
    [
      "web:leader-service-name=web",
      '--set web:leader-service-name=web: zen-lead.io/leader-service-name="web" names the source Service itself',
    ],
  ])("refuses %s in one line", (text, message) => {
    expect(() => parseOverride(text)).toThrow(new OverrideError(message));
  });

  it("refuses the same annotation of the same Service twice", () => {
    expect(() => parseOverrides(["web:sticky=false", "web:sticky-"])).toThrow(
      "--set web:sticky-: zen-lead.io/sticky of web is set twice",
    );
    expect(
      parseOverrides(["web:sticky=false", "web:min-ready-duration=30s", "api:sticky=false"]),
    ).toHaveLength(3);
  });
});

const service = (namespace: string, name: string, annotations?: unknown, labels?: Record<string, string>) =>
  ({
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace,
      resourceVersion: "7",
      ...(labels !== undefined ? { labels } : {}),
      ...(annotations !== undefined ? { annotations } : {}),
    },
    spec: { selector: { app: name } },
  }) as ApiObject;

const rec = (type: LogRecord["type"], object: ApiObject, kind: LogRecord["kind"] = "Service") =>
  ({ t: 0, kind, type, object }) as LogRecord;

const annotationsOf = (r: LogRecord) => (r.object as ApiObject).metadata.annotations;

describe("LogRewriter", () => {
  const ENABLED = { "zen-lead.io/enabled": "true", "team.example.com/owner": "checkout" };

  it("rewrites every appearance of the Service: listed, added, modified, deleted; other annotations stay", () => {
    const rewriter = new LogRewriter(parseOverrides(["web:min-ready-duration=30s", "web:sticky-"]));
    for (const type of ["ADDED", "MODIFIED", "DELETED"] as const) {
      const before = rec(type, service("shop", "web", { ...ENABLED, "zen-lead.io/sticky": "false" }));
      const after = rewriter.record(before);
      expect(annotationsOf(after)).toEqual({ ...ENABLED, "zen-lead.io/min-ready-duration": "30s" });
      // Only the annotations change: the resourceVersion and the record's place stay.
      expect({ ...after, object: undefined }).toEqual({ ...before, object: undefined });
      expect((after.object as ApiObject).metadata.resourceVersion).toBe("7");
      expect(annotationsOf(before)).toEqual({ ...ENABLED, "zen-lead.io/sticky": "false" });
    }
    // A recorded change of the overridden annotation is overridden too.
    const changed = rec(
      "MODIFIED",
      service("shop", "web", { ...ENABLED, "zen-lead.io/min-ready-duration": "5s" }),
    );
    expect(annotationsOf(rewriter.record(changed))).toMatchObject({
      "zen-lead.io/min-ready-duration": "30s",
    });
    // A Service without annotations gets them.
    expect(annotationsOf(rewriter.record(rec("ADDED", service("shop", "web"))))).toEqual({
      "zen-lead.io/min-ready-duration": "30s",
    });
    expect(rewriter.problems()).toEqual([]);
  });

  it("leaves alone other Services, other namespaces, other kinds, markers and zen-lead's own Services", () => {
    const rewriter = new LogRewriter(parseOverrides(["shop/web:sticky=false"]));
    const untouched = [
      rec("ADDED", service("shop", "api", ENABLED)),
      rec("ADDED", service("staging", "web", ENABLED)),
      rec("ADDED", service("shop", "web", ENABLED), "Pod"),
      { t: 0, kind: "Service", type: "RELIST_START" } as LogRecord,
      rec("ADDED", service("shop", "web", {}, { "app.kubernetes.io/managed-by": "zen-lead" })),
    ];
    for (const r of untouched) expect(rewriter.record(r)).toBe(r);
    expect(rewriter.problems()).toEqual(["--set shop/web:sticky=false: the log has no Service shop/web"]);
  });

  it("leaves malformed annotations as the cluster had them (the replay reports the object)", () => {
    const rewriter = new LogRewriter(parseOverrides(["web:sticky=false"]));
    const malformed = rec("ADDED", service("shop", "web", ["not", "a", "map"]));
    expect(rewriter.record(malformed)).toBe(malformed);
  });

  it("says when a bare name met the Service in several namespaces", () => {
    const rewriter = new LogRewriter(parseOverrides(["web:sticky=false", "api:sticky=false"]));
    rewriter.record(rec("ADDED", service("shop", "web", ENABLED)));
    rewriter.record(rec("ADDED", service("staging", "web", ENABLED)));
    rewriter.record(rec("ADDED", service("", "api", ENABLED)));
    expect(rewriter.problems()).toEqual([
      "--set web:sticky=false: the log has a Service web in 2 namespaces (shop, staging): write namespace/web",
    ]);
  });
});
