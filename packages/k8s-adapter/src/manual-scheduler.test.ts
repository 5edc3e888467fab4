import { scheduleAfter } from "@zen-lead/core";
import { describe, expect, it } from "vitest";
import { ManualScheduler } from "./manual-scheduler.ts";

describe("ManualScheduler", () => {
  it("runs work only when advanced, at its own time, in due order (ties: scheduling order)", async () => {
    const scheduler = new ManualScheduler(1_000);
    const ran: string[] = [];
    const at = (name: string) => () => ran.push(`${name}@${scheduler.now()}`);
    scheduler.schedule(at("late"), 300);
    scheduler.schedule(at("first"), 100);
    scheduler.schedule(at("second"), 100);
    scheduler.schedule(at("now"), 0);
    expect(ran).toEqual([]); // never synchronously, even with delay 0
    await scheduler.advance(200);
    expect(ran).toEqual(["now@1000", "first@1100", "second@1100"]);
    expect(scheduler.now()).toBe(1_200);
    await scheduler.advance(100);
    expect(ran.at(-1)).toBe("late@1300");
  });

  it("lets promise callbacks settle between timers, so an answer awaited after one timer arms the next in time", async () => {
    const scheduler = new ManualScheduler();
    const ran: number[] = [];
    const loop = () => {
      ran.push(scheduler.now());
      void Promise.resolve().then(() => scheduler.schedule(loop, 100));
    };
    scheduler.schedule(loop, 100);
    await scheduler.advance(500);
    expect(ran).toEqual([100, 200, 300, 400, 500]);
  });

  it("supports work that re-arms itself: the core's scheduleAfter waits of any length", async () => {
    const scheduler = new ManualScheduler();
    const wait = 3 * 2 ** 31; // longer than one JavaScript timer holds: re-armed in steps
    let at: number | undefined;
    scheduleAfter(scheduler, wait, () => {
      at = scheduler.now();
    });
    await scheduler.advance(wait - 1);
    expect(at).toBeUndefined();
    await scheduler.advance(1);
    expect(at).toBe(wait);
  });

  it("cancels work by its subscription, also once re-armed", async () => {
    const scheduler = new ManualScheduler();
    let ran = 0;
    const short = scheduler.schedule(() => ran++, 10);
    const long = scheduleAfter(scheduler, 3 * 2 ** 31, () => ran++);
    short.unsubscribe();
    await scheduler.advance(2 ** 31); // the long wait has re-armed once
    long.unsubscribe();
    await scheduler.advance(3 * 2 ** 31);
    expect(ran).toBe(0);
  });
});
