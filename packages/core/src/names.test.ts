/** Names of the objects zen-lead owns: valid, stable across versions, and never clashing. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultLeaderServiceName, fnv1a, isDns1035Label, leaderSliceName } from "./names.ts";

/** DNS-1035 labels (what a Service name is) of the given lengths. */
function dnsLabel(minLength: number, maxLength: number): fc.Arbitrary<string> {
  const letter = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz");
  const inner = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-", "-", "-");
  const last = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789");
  const long = fc
    .tuple(letter, fc.array(inner, { minLength: Math.max(0, minLength - 2), maxLength: maxLength - 2 }), last)
    .map(([first, middle, end]) => first + middle.join("") + end);
  return minLength > 1 ? long : fc.oneof(letter, long);
}

describe("isDns1035Label", () => {
  it.each(["a", "web", "web-leader", "a1", "a-1-b", `a${"b".repeat(62)}`])("%j is a label", (name) => {
    expect(isDns1035Label(name)).toBe(true);
  });

  it.each(["", "1a", "-a", "a-", "A", "Web", "a_b", "a.b", "a b", "é", `a${"b".repeat(63)}`])(
    "%j is not",
    (name) => {
      expect(isDns1035Label(name)).toBe(false);
    },
  );
});

describe("defaultLeaderServiceName", () => {
  it("is <svc>-leader while that fits in 63 characters", () => {
    expect(defaultLeaderServiceName("web")).toBe("web-leader");
    const longest = "a".repeat(56);
    expect(defaultLeaderServiceName(longest)).toBe(`${longest}-leader`);
    expect(defaultLeaderServiceName(longest)).toHaveLength(63);
  });

  it("is shortened past that: 47 characters, 8 hex of FNV-1a, -leader", () => {
    const name = `a${"b".repeat(56)}`; // 57 characters: 64 with "-leader"
    expect(defaultLeaderServiceName(name)).toBe(
      `${name.slice(0, 47)}-${fnv1a(name).toString(16).padStart(8, "0")}-leader`,
    );
  });

  it("drops the prefix's trailing dashes", () => {
    const name = `${"a".repeat(44)}---${"b".repeat(15)}`;
    expect(defaultLeaderServiceName(name)).toMatch(/^a{44}-[0-9a-f]{8}-leader$/);
  });

  it("does not change between versions (a rename would orphan every long leader Service)", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
    expect(defaultLeaderServiceName(`a${"b".repeat(61)}`)).toBe(
      "abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-26879262-leader",
    );
  });

  it("is a valid, deterministic Service name for any valid Service name", () => {
    fc.assert(
      fc.property(dnsLabel(1, 63), (svc) => {
        const name = defaultLeaderServiceName(svc);
        expect(isDns1035Label(name)).toBe(true);
        expect(name.length).toBeLessThanOrEqual(63);
        expect(name.endsWith("-leader")).toBe(true);
        expect(name).toMatch(/^[a-z]/);
        expect(defaultLeaderServiceName(svc)).toBe(name);
        expect(name).not.toBe(svc);
      }),
      { numRuns: 500 },
    );
  });

  it("differs for different long names, even when they share the kept prefix", () => {
    fc.assert(
      fc.property(dnsLabel(57, 63), dnsLabel(10, 16), dnsLabel(10, 16), (base, tailA, tailB) => {
        fc.pre(tailA !== tailB);
        const a = `${base.slice(0, 47)}${tailA}`.slice(0, 63);
        const b = `${base.slice(0, 47)}${tailB}`.slice(0, 63);
        fc.pre(a !== b && a.length > 56 && b.length > 56);
        expect(defaultLeaderServiceName(a)).not.toBe(defaultLeaderServiceName(b));
      }),
      { numRuns: 300 },
    );
  });
});

describe("leaderSliceName", () => {
  it("puts the IP family in the name, so addressType never changes on a slice", () => {
    expect(leaderSliceName("web-leader", "IPv4")).toBe("web-leader-ipv4");
    expect(leaderSliceName("web-leader", "IPv6")).toBe("web-leader-ipv6");
  });

  it("is a valid EndpointSlice name (a DNS subdomain) for any leader Service name", () => {
    const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
    fc.assert(
      fc.property(dnsLabel(1, 63), fc.constantFrom("IPv4" as const, "IPv6" as const), (svc, family) => {
        const name = leaderSliceName(defaultLeaderServiceName(svc), family);
        expect(name).toMatch(subdomain);
        expect(name.length).toBeLessThanOrEqual(253);
      }),
      { numRuns: 200 },
    );
  });
});
