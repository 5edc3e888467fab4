import type { ApplyAction } from "@zen-lead/core";
import { ApiError, keyOf, type WriteResult, type WriteStatus } from "@zen-lead/k8s-adapter";
import { describe, expect, it } from "vitest";
import { apiMessage, REFUSAL_STALE_AFTER_MS, Refusals, refusalNote } from "./refusals.ts";

const action = {
  type: "apply",
  kind: "Service",
  namespace: "ns",
  name: "q-leader",
  source: "ns/q",
  create: true,
} as unknown as ApplyAction;

const POLICY =
  "services \"q-leader\" is forbidden: ValidatingAdmissionPolicy 'team' with binding 'team' denied request: every Service needs a team label";

function result(status: WriteStatus, message = POLICY): WriteResult {
  const error =
    status === "rejected"
      ? new ApiError(422, `PATCH /api/v1/namespaces/ns/services/q-leader: 422 ${message}`, "Invalid")
      : undefined;
  return { action, key: keyOf(action), status, durationMs: 1, ...(error !== undefined ? { error } : {}) };
}

describe("Refusals", () => {
  it("says a refusal once, counts its repeats, says another message anew, and lifts it when a write lands", () => {
    const r = new Refusals();
    const first = r.see(result("rejected"), 0);
    expect(first?.type).toBe("refused");
    expect(refusalNote(first?.refusal ?? ({} as never))).toBe(
      `the API server refused to create Service q-leader (HTTP 422): ${POLICY}; zen-lead asks again every 30 s until it is accepted`,
    );
    expect(r.see(result("rejected"), 30_000)).toMatchObject({ type: "repeated", refusal: { count: 2 } });
    expect(r.standing(30_000).map((s) => [s.service, s.action.name])).toEqual([["q", "q-leader"]]);
    expect(r.see(result("rejected", "exceeded quota: services=1"), 60_000)?.type).toBe("refused");
    // A transient failure or a conflict neither lifts nor repeats it.
    expect(r.see(result("retrying"), 61_000)).toBeUndefined();
    expect(r.see(result("created"), 90_000)).toMatchObject({ type: "lifted", refusal: { count: 1 } });
    expect(r.standing(90_000)).toEqual([]);
    expect(r.see(result("applied"), 91_000)).toBeUndefined();
  });

  it("forgets a refusal the core no longer repeats (its Service opted out), and says it anew if it comes back", () => {
    const r = new Refusals();
    r.see(result("rejected"), 0);
    expect(r.standing(REFUSAL_STALE_AFTER_MS)).toHaveLength(1);
    expect(r.standing(REFUSAL_STALE_AFTER_MS + 1)).toEqual([]);
    expect(r.see(result("rejected"), REFUSAL_STALE_AFTER_MS + 2)?.type).toBe("refused");
  });

  it("keeps the API server's message without the request line", () => {
    expect(apiMessage(new Error(`DELETE /api/v1/namespaces/ns/services/x: 403 ${POLICY}`))).toBe(POLICY);
    expect(apiMessage(new Error("refusing to update x without a uid precondition"))).toBe(
      "refusing to update x without a uid precondition",
    );
  });
});
