import { Subject, Subscription } from "rxjs";
import { describe, expect, it } from "vitest";
import { createLeaderElector, type LeaseApi, type LeaseRecord, type LeaseSnapshot } from "./lease.ts";
import { ManualScheduler, settle } from "./manual-scheduler.ts";

const conflict = () => Object.assign(new Error("conflict"), { code: 409 });

/** One in-memory Lease with resourceVersion checks, shared by the electors of a test. */
function fakeLeaseApi() {
  let stored: LeaseSnapshot | undefined;
  let version = 0;
  let failing = false;
  let hanging = false;
  let lateWrite: LeaseRecord | undefined;
  const write = (record: LeaseRecord): LeaseSnapshot => {
    stored = { record, resourceVersion: String(++version) };
    return stored;
  };
  const api: LeaseApi = {
    async get() {
      if (hanging) return new Promise<never>(() => {});
      if (failing) throw new Error("unavailable");
      return stored;
    },
    async create(_ns, _name, record) {
      if (failing) throw new Error("unavailable");
      if (stored !== undefined) throw conflict();
      return write(record);
    },
    async update(_ns, _name, record, resourceVersion) {
      if (failing) throw new Error("unavailable");
      if (lateWrite !== undefined) {
        write(lateWrite); // lands just before this one
        lateWrite = undefined;
      }
      if (stored?.resourceVersion !== resourceVersion) throw conflict();
      return write(record);
    },
  };
  return {
    api,
    holder: () => stored?.record.holderIdentity,
    record: () => stored?.record,
    fail(value: boolean) {
      failing = value;
    },
    /** An earlier write (sent before the server froze) lands just before the next update. */
    landLate(record: LeaseRecord) {
      lateWrite = record;
    },
    /** Requests hang: sent on a connection that died silently. */
    hang(value: boolean) {
      hanging = value;
    },
    /** Someone else writes the Lease by hand. */
    steal(identity: string, now: number) {
      const old = stored?.record;
      write({
        holderIdentity: identity,
        leaseDurationSeconds: 15,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: (old?.leaseTransitions ?? 0) + 1,
      });
    },
  };
}

/** A replica's view of the cluster as its watches report it: blind from `since`, or seeing it. */
function sight(scheduler: ManualScheduler) {
  let blindSince: number | undefined;
  const wake$ = new Subject<void>();
  return {
    blindForMs: () => (blindSince === undefined ? 0 : Math.max(1, scheduler.now() - blindSince)),
    wake$,
    blind() {
      blindSince = scheduler.now();
    },
    sees() {
      blindSince = undefined;
      wake$.next();
    },
  };
}

function elector(
  api: LeaseApi,
  scheduler: ManualScheduler,
  identity: string,
  view?: ReturnType<typeof sight>,
) {
  const errors: unknown[] = [];
  const handOvers: number[] = [];
  const e = createLeaderElector({
    api,
    scheduler,
    identity,
    namespace: "ns",
    name: "zen-lead",
    random: () => 0,
    onError: (error) => errors.push(error),
    ...(view !== undefined
      ? { blindForMs: view.blindForMs, wake$: view.wake$, onHandOver: (ms: number) => handOvers.push(ms) }
      : {}),
  });
  const history: boolean[] = [];
  e.leading$.subscribe((v) => history.push(v));
  return { e, history, errors, handOvers };
}

describe("leader election", () => {
  it("acquires an absent Lease at once and renews it every retry period", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const a = elector(lease.api, scheduler, "a");
    a.e.start();
    await settle();
    expect(a.e.isLeading()).toBe(true);
    expect(a.history).toEqual([false, true]);
    expect(lease.record()).toMatchObject({
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    const first = lease.record()?.renewTime ?? 0;
    await scheduler.advance(2_000);
    expect((lease.record()?.renewTime ?? 0) - first).toBe(2_000);
    await scheduler.advance(60_000);
    expect(a.history).toEqual([false, true]);
  });

  it("exactly one of two electors leads; the other takes over only after the lease goes unrenewed", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const a = elector(lease.api, scheduler, "a");
    const b = elector(lease.api, scheduler, "b");
    a.e.start();
    await settle();
    b.e.start();
    for (let i = 0; i < 20; i++) {
      await scheduler.advance(1_000);
      expect([a.e.isLeading(), b.e.isLeading()]).toEqual([true, false]);
    }
    a.e.stop(); // crashed: no release
    expect(a.e.isLeading()).toBe(false);
    await scheduler.advance(14_000);
    expect(b.e.isLeading()).toBe(false);
    await scheduler.advance(4_000);
    expect(b.e.isLeading()).toBe(true);
    expect(lease.record()).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("release hands the lease to the standby at its next retry", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const a = elector(lease.api, scheduler, "a");
    const b = elector(lease.api, scheduler, "b");
    a.e.start();
    await settle();
    b.e.start();
    await scheduler.advance(5_000);
    const released = a.e.release();
    expect(a.e.isLeading()).toBe(false); // synchronously, before the write
    await released;
    expect(lease.holder()).toBe("");
    await scheduler.advance(2_400);
    expect(b.e.isLeading()).toBe(true);
    expect(a.history).toEqual([false, true, false]);
  });

  it("loses leadership when renewals fail past the renew deadline, before anyone else may acquire", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const a = elector(lease.api, scheduler, "a");
    a.e.start();
    await settle();
    const renewedAt = scheduler.now();
    lease.fail(true);
    await scheduler.advance(9_900);
    expect(a.e.isLeading()).toBe(true);
    await scheduler.advance(100);
    expect(a.e.isLeading()).toBe(false);
    expect(a.history).toEqual([false, true, false]);
    expect(scheduler.now() - renewedAt).toBeLessThan(15_000);
    expect(a.errors.length).toBeGreaterThan(0);
    lease.fail(false);
    await scheduler.advance(2_000);
    expect(a.e.isLeading()).toBe(true); // the lease was still its own
  });

  it("isLeading turns false at the deadline even if no timer has run yet", async () => {
    let now = 1_000_000;
    const lease = fakeLeaseApi();
    const e = createLeaderElector({
      api: lease.api,
      identity: "a",
      namespace: "ns",
      name: "l",
      // A scheduler whose timers never run (a busy event loop).
      scheduler: { now: () => now, schedule: () => new Subscription() },
    });
    e.start();
    await settle();
    expect(e.isLeading()).toBe(true);
    now += 10_000;
    expect(e.isLeading()).toBe(false);
  });

  it("observes a stolen lease as lost at its next renewal", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const a = elector(lease.api, scheduler, "a");
    a.e.start();
    await settle();
    lease.steal("intruder", scheduler.now());
    await scheduler.advance(2_000);
    expect(a.e.isLeading()).toBe(false);
    // The intruder never renews: a takes the lease back once it has been unchanged for 15 s.
    await scheduler.advance(12_000);
    expect(a.e.isLeading()).toBe(false);
    await scheduler.advance(6_000);
    expect(a.e.isLeading()).toBe(true);
  });

  it("judges expiry by the local time of observation, not the remote renewTime", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    // A holder whose clock is an hour behind wrote the lease just now.
    lease.steal("skewed", scheduler.now() - 3_600_000);
    const b = elector(lease.api, scheduler, "b");
    b.e.start();
    await scheduler.advance(10_000);
    expect(b.e.isLeading()).toBe(false);
    await scheduler.advance(8_000);
    expect(b.e.isLeading()).toBe(true);
  });

  it("a holder blind past the renew deadline hands the Lease over; the standby that sees takes it", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const viewA = sight(scheduler);
    const a = elector(lease.api, scheduler, "a", viewA);
    const b = elector(lease.api, scheduler, "b", sight(scheduler));
    a.e.start();
    await settle();
    b.e.start();
    await scheduler.advance(4_000);
    // Every watch of a is dead, but its Lease renewals still work (fresh connections).
    viewA.blind();
    await scheduler.advance(10_000);
    expect(a.e.isLeading()).toBe(true); // a blip shorter than the renew deadline is tolerated
    await scheduler.advance(2_000);
    expect(a.e.isLeading()).toBe(false);
    expect(a.handOvers).toHaveLength(1);
    expect(a.handOvers[0]).toBeGreaterThan(10_000);
    expect(lease.holder()).toBe("b"); // released, then taken at b's next retry (same tick here)
    await scheduler.advance(20_000);
    expect([a.e.isLeading(), b.e.isLeading()]).toEqual([false, true]);
  });

  it("isLeading turns false the moment the holder has been blind past the renew deadline", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const view = sight(scheduler);
    const a = elector(lease.api, scheduler, "a", view);
    a.e.start();
    await settle();
    view.blind();
    await scheduler.advance(10_000);
    expect(a.e.isLeading()).toBe(true);
    await scheduler.advance(1);
    expect(a.e.isLeading()).toBe(false); // before the next tick hands over
  });

  it("a blind standby does not take the Lease, and takes it at once when it sees again", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const view = sight(scheduler);
    view.blind(); // its watches have not listed yet
    const a = elector(lease.api, scheduler, "a", view);
    a.e.start();
    await scheduler.advance(30_000);
    expect(a.e.isLeading()).toBe(false);
    expect(lease.holder()).toBeUndefined();
    await scheduler.advance(500);
    view.sees();
    await settle();
    expect(a.e.isLeading()).toBe(true);
  });

  it("after an outage longer than the renew deadline, leads again as soon as its watches are back", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const view = sight(scheduler);
    const a = elector(lease.api, scheduler, "a", view);
    a.e.start();
    await settle();
    lease.fail(true);
    view.blind();
    await scheduler.advance(30_000);
    expect(a.e.isLeading()).toBe(false);
    lease.fail(false);
    await scheduler.advance(300); // between two retries
    view.sees();
    await settle();
    expect(a.e.isLeading()).toBe(true);
    expect(lease.holder()).toBe("a");
  });

  it("when its watches come back, gives up on an attempt hung on a dead connection and tries at once", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    const view = sight(scheduler);
    const a = elector(lease.api, scheduler, "a", view);
    lease.hang(true);
    a.e.start(); // its first read hangs (a frozen API server)
    await scheduler.advance(3_000);
    expect(a.e.isLeading()).toBe(false);
    lease.hang(false);
    view.sees();
    await settle();
    await settle();
    expect(a.e.isLeading()).toBe(true); // not after the 10 s request deadline and a retry period
  });

  it("reads the Lease again at once after a 409 from a late write of its own, and renews", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    lease.steal("a", scheduler.now()); // a held it before the API server froze
    const record = lease.record();
    if (record === undefined) throw new Error("no lease");
    const a = elector(lease.api, scheduler, "a");
    lease.landLate({ ...record, renewTime: scheduler.now() + 1 });
    a.e.start();
    await settle();
    await settle();
    expect(a.e.isLeading()).toBe(true); // not a retry period later
    expect(a.errors).toEqual([]);
  });

  it("respects a rival's fresh write after a 409", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    lease.steal("rival", scheduler.now() - 60_000);
    await scheduler.advance(20_000); // expired, as this replica observes it... once it has looked
    const record = lease.record();
    if (record === undefined) throw new Error("no lease");
    const b = elector(lease.api, scheduler, "b");
    b.e.start();
    await scheduler.advance(16_000); // b has watched it unchanged for the lease duration
    lease.landLate({ ...record, holderIdentity: "rival", renewTime: scheduler.now() }); // the rival renews
    await scheduler.advance(2_400);
    expect(b.e.isLeading()).toBe(false);
    expect(lease.holder()).toBe("rival");
  });

  it("rejects timings that could let two replicas lead at once", () => {
    const api = fakeLeaseApi().api;
    const base = { api, identity: "a", namespace: "ns", name: "l" };
    expect(() =>
      createLeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }),
    ).toThrow();
    expect(() => createLeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow();
  });
});

describe("leader election refused for good (401, 403)", () => {
  it("backs off a standby's attempts (2, 4, 8, 16, then every 30 s), reports each, and takes the Lease within 30 s of the fix", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    let forbidden = true;
    const attempts: number[] = [];
    const api: LeaseApi = {
      ...lease.api,
      async get(ns, name) {
        attempts.push(scheduler.now() - 1_000_000);
        if (forbidden)
          throw Object.assign(new Error('leases.coordination.k8s.io "x" is forbidden'), { code: 403 });
        return lease.api.get(ns, name);
      },
    };
    const a = elector(api, scheduler, "a");
    a.e.start();
    await scheduler.advance(120_000);
    expect(attempts).toEqual([0, 2_000, 6_000, 14_000, 30_000, 60_000, 90_000, 120_000]);
    expect(a.errors).toHaveLength(attempts.length);
    expect(a.e.isLeading()).toBe(false);
    forbidden = false; // RBAC fixed
    await scheduler.advance(30_000);
    expect(a.e.isLeading()).toBe(true);
    // Leading: renewals every retry period again.
    const before = attempts.length;
    await scheduler.advance(10_000);
    expect(attempts.length - before).toBe(5);
  });

  it("keeps the retry period for failures that may pass (5xx, no answer)", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const lease = fakeLeaseApi();
    lease.fail(true);
    const a = elector(lease.api, scheduler, "a");
    a.e.start();
    await scheduler.advance(20_000);
    expect(a.errors).toHaveLength(11); // at 0, 2, 4, ... 20 s
  });
});
