/**
 * A source Service's annotations as configuration: every valid value, and every invalid one
 * becoming an InvalidAnnotation warning with the documented default used instead.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readSourceConfig, type SourceConfig, wantsLeader } from "./config.ts";
import type { ServiceView } from "./views.ts";

function service(annotations: Record<string, string>, overrides: Partial<ServiceView> = {}): ServiceView {
  return {
    kind: "Service",
    namespace: "default",
    name: "web",
    uid: "uid-web",
    annotations,
    labels: {},
    createdAt: 0,
    owners: [],
    extraSpec: [],
    selector: { app: "web" },
    type: "ClusterIP",
    headless: false,
    ipFamilies: ["IPv4"],
    ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080 }],
    ...overrides,
  };
}

const ENABLED = { "zen-lead.io/enabled": "true" };
const opted = (extra: Record<string, string>) => readSourceConfig(service({ ...ENABLED, ...extra }));

/** The configuration of a usable source (fails the test for any other outcome). */
function configOf(result: SourceConfig) {
  if (!result.optedIn || !result.usable) throw new Error("expected a usable source");
  return result.config;
}

describe("zen-lead.io/enabled", () => {
  it('opts in with exactly "true": the defaults, and no warning', () => {
    expect(readSourceConfig(service(ENABLED))).toEqual({
      optedIn: true,
      usable: true,
      config: { leaderServiceName: "web-leader", sticky: true, minReadyMs: 0 },
      warnings: [],
    });
  });

  it.each([
    ["absent", {}],
    ['"false"', { "zen-lead.io/enabled": "false" }],
  ])("%s: not opted in, silently", (_, annotations) => {
    expect(readSourceConfig(service(annotations))).toEqual({ optedIn: false, warnings: [] });
  });

  it.each(["yes", "True", "TRUE", "1", "", " true", "false "])(
    "%j: not opted in, with an InvalidAnnotation warning",
    (value) => {
      expect(readSourceConfig(service({ "zen-lead.io/enabled": value }))).toEqual({
        optedIn: false,
        warnings: [
          {
            reason: "InvalidAnnotation",
            message: `zen-lead.io/enabled=${JSON.stringify(value)} is not "true" or "false"; the Service is not opted in`,
          },
        ],
      });
    },
  );

  it("opted in without a selector: NoSelector, unusable", () => {
    expect(readSourceConfig(service(ENABLED, { selector: undefined }))).toEqual({
      optedIn: true,
      usable: false,
      warnings: [
        {
          reason: "NoSelector",
          message: "the Service has no selector, so zen-lead has no pods to choose from",
        },
      ],
    });
  });

  it("opted in as an ExternalName Service: ExternalNameSource, unusable (with or without a selector)", () => {
    for (const selector of [{ app: "web" }, undefined]) {
      const result = readSourceConfig(service(ENABLED, { type: "ExternalName", selector }));
      expect(result).toEqual({
        optedIn: true,
        usable: false,
        warnings: [{ reason: "ExternalNameSource", message: "an ExternalName Service has no pods to lead" }],
      });
    }
  });

  it.each(["NodePort", "LoadBalancer"] as const)("a %s Service is a usable source", (type) => {
    expect(readSourceConfig(service(ENABLED, { type }))).toMatchObject({ optedIn: true, usable: true });
  });

  it("other zen-lead settings are not read (nor warned about) while the Service is not opted in", () => {
    const result = readSourceConfig(
      service({ "zen-lead.io/sticky": "maybe", "zen-lead.io/min-ready-duration": "x" }),
    );
    expect(result).toEqual({ optedIn: false, warnings: [] });
  });
});

describe("zen-lead.io/leader-service-name", () => {
  it.each(["primary", "a", "web-primary-1", `p${"x".repeat(62)}`])("%s: used as the name", (name) => {
    const result = opted({ "zen-lead.io/leader-service-name": name });
    expect(configOf(result).leaderServiceName).toBe(name);
    expect(result.warnings).toEqual([]);
  });

  it.each([
    ["Bad_Name", "is not a DNS-1035 label"],
    ["Primary", "is not a DNS-1035 label"],
    ["1primary", "is not a DNS-1035 label"],
    ["primary-", "is not a DNS-1035 label"],
    ["pri.mary", "is not a DNS-1035 label"],
    ["", "is not a DNS-1035 label"],
    [`p${"x".repeat(63)}`, "is not a DNS-1035 label"],
    ["web", "names the source Service itself"],
  ])("%j: InvalidAnnotation (%s), and the default name", (name, why) => {
    const result = opted({ "zen-lead.io/leader-service-name": name });
    expect(configOf(result).leaderServiceName).toBe("web-leader");
    expect(result.warnings).toEqual([
      {
        reason: "InvalidAnnotation",
        message: `zen-lead.io/leader-service-name=${JSON.stringify(name)} ${why}; using web-leader`,
      },
    ]);
  });

  it("falls back to the shortened default for a long source name", () => {
    const long = `s${"x".repeat(61)}`;
    const result = readSourceConfig(
      service({ ...ENABLED, "zen-lead.io/leader-service-name": "Nope" }, { name: long }),
    );
    const name = configOf(result).leaderServiceName;
    expect(name.length).toBeLessThanOrEqual(63);
    expect(result.warnings[0]?.message).toBe(
      `zen-lead.io/leader-service-name="Nope" is not a DNS-1035 label; using ${name}`,
    );
  });
});

describe("zen-lead.io/sticky", () => {
  it.each([
    ["true", true],
    ["false", false],
  ])("%s: sticky is %s", (value, sticky) => {
    const result = opted({ "zen-lead.io/sticky": value });
    expect(configOf(result).sticky).toBe(sticky);
    expect(result.warnings).toEqual([]);
  });

  it.each(["False", "no", "0", "", "yes"])("%j: InvalidAnnotation, and sticky", (value) => {
    const result = opted({ "zen-lead.io/sticky": value });
    expect(configOf(result).sticky).toBe(true);
    expect(result.warnings).toEqual([
      {
        reason: "InvalidAnnotation",
        message: `zen-lead.io/sticky=${JSON.stringify(value)} is not "true" or "false"; using true`,
      },
    ]);
  });
});

describe("zen-lead.io/min-ready-duration", () => {
  it.each([
    ["30s", 30_000],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    ["500ms", 500],
    ["1.5s", 1500],
    ["0", 0],
    ["0s", 0],
  ])("%s: %i ms", (value, ms) => {
    const result = opted({ "zen-lead.io/min-ready-duration": value });
    expect(configOf(result).minReadyMs).toBe(ms);
    expect(result.warnings).toEqual([]);
  });

  it.each([
    ["30", 'is not a duration such as "30s"'],
    ["soon", 'is not a duration such as "30s"'],
    ["", 'is not a duration such as "30s"'],
    ["30 s", 'is not a duration such as "30s"'],
    ["1d", 'is not a duration such as "30s"'],
    ["-1s", "is negative"],
    // Go's time.Duration ends at 2562047h47m16.854775807s (int64 nanoseconds).
    ["99999999h", "is beyond the range of a Go duration (about 292 years)"],
    ["2562047h47m16.854775808s", "is beyond the range of a Go duration (about 292 years)"],
  ])("%j: InvalidAnnotation (%s), and no damping", (value, why) => {
    const result = opted({ "zen-lead.io/min-ready-duration": value });
    expect(configOf(result).minReadyMs).toBe(0);
    expect(result.warnings).toEqual([
      {
        reason: "InvalidAnnotation",
        message: `zen-lead.io/min-ready-duration=${JSON.stringify(value)} ${why}; using 0s`,
      },
    ]);
  });

  it("takes the longest Go duration there is", () => {
    const result = opted({ "zen-lead.io/min-ready-duration": "2562047h47m16.854775807s" });
    expect(configOf(result).minReadyMs).toBe(9_223_372_036_855);
    expect(result.warnings).toEqual([]);
  });
});

describe("zen-lead.io/preferred-leader", () => {
  it("names the preferred pod", () => {
    expect(configOf(opted({ "zen-lead.io/preferred-leader": "web-1" })).preferredLeader).toBe("web-1");
  });

  it("empty means none", () => {
    const result = opted({ "zen-lead.io/preferred-leader": "" });
    expect(configOf(result)).not.toHaveProperty("preferredLeader");
    expect(result.warnings).toEqual([]);
  });
});

describe("several annotations at once", () => {
  it("each bad value gets its own warning, and every good one still applies", () => {
    const result = opted({
      "zen-lead.io/leader-service-name": "BAD",
      "zen-lead.io/sticky": "nope",
      "zen-lead.io/min-ready-duration": "later",
      "zen-lead.io/preferred-leader": "web-2",
    });
    expect(configOf(result)).toEqual({
      leaderServiceName: "web-leader",
      sticky: true,
      minReadyMs: 0,
      preferredLeader: "web-2",
    });
    expect(result.warnings.map((w) => w.message.split("=")[0])).toEqual([
      "zen-lead.io/leader-service-name",
      "zen-lead.io/sticky",
      "zen-lead.io/min-ready-duration",
    ]);
  });

  it("ignores annotations that are not zen-lead's", () => {
    const result = opted({ "example.com/sticky": "false", "zen-lead.io/unknown": "1" });
    expect(result).toEqual(readSourceConfig(service(ENABLED)));
  });

  it("wantsLeader agrees with readSourceConfig for any annotations, selector and type", () => {
    const value = fc.constantFrom("true", "false", "yes", "", "30s", "web", "Bad_Name", "web-0");
    const key = fc.constantFrom(
      "zen-lead.io/enabled",
      "zen-lead.io/sticky",
      "zen-lead.io/min-ready-duration",
      "zen-lead.io/leader-service-name",
      "zen-lead.io/preferred-leader",
    );
    fc.assert(
      fc.property(
        fc.dictionary(key, value),
        fc.constantFrom({ app: "web" }, undefined),
        fc.constantFrom("ClusterIP", "NodePort", "LoadBalancer", "ExternalName") as fc.Arbitrary<
          ServiceView["type"]
        >,
        (annotations, selector, type) => {
          const svc = service(annotations, { selector, type });
          const config = readSourceConfig(svc);
          expect(wantsLeader(svc)).toBe(config.optedIn && config.usable);
          // Warnings are always InvalidAnnotation or say why the source is unusable.
          for (const w of config.warnings) {
            expect(["InvalidAnnotation", "NoSelector", "ExternalNameSource"]).toContain(w.reason);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
