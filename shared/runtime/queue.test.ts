import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WorkQueue, backoffDelay } from "./queue.js";

/** Takes whatever get() hands out without waiting: the keys a worker would receive right now. */
async function drain(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.depth > 0) keys.push((await queue.get())!);
  return keys;
}

describe("WorkQueue", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("queues a key added several times while waiting only once, in first-added order", async () => {
    const queue = new WorkQueue("test");
    queue.add("ns/a");
    queue.add("ns/b");
    queue.add("ns/a");
    queue.add("ns/a");
    expect(queue.depth).toBe(2);
    expect(await drain(queue)).toEqual(["ns/a", "ns/b"]);
  });

  it("never hands one key to two workers: a key added while processing returns once, after done()", async () => {
    const queue = new WorkQueue("test");
    queue.add("ns/a");
    const first = await queue.get();
    expect(first).toBe("ns/a");
    queue.add("ns/a");
    queue.add("ns/a");
    expect(queue.depth).toBe(0);
    let second: string | undefined;
    void queue.get().then((key) => (second = key));
    await vi.advanceTimersByTimeAsync(1);
    expect(second).toBeUndefined();
    queue.done("ns/a");
    await vi.advanceTimersByTimeAsync(1);
    expect(second).toBe("ns/a");
    queue.done("ns/a");
    expect(queue.depth).toBe(0);
  });

  it("hands a waiting worker a key added twice in one go only once", async () => {
    const queue = new WorkQueue("test");
    const handed: string[] = [];
    const worker = (async () => {
      for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
        handed.push(key);
        queue.done(key);
      }
    })();
    await Promise.resolve();
    queue.add("ns/owner");
    queue.add("ns/owner");
    await vi.advanceTimersByTimeAsync(10);
    queue.shutDown();
    await worker;
    expect(handed).toEqual(["ns/owner"]);
  });

  it("wakes a waiting worker when a key arrives", async () => {
    const queue = new WorkQueue("test");
    const waiting = queue.get();
    queue.add("ns/a");
    expect(await waiting).toBe("ns/a");
  });

  it("grows the backoff per key exponentially, caps it, and resets it on forget", () => {
    expect([1, 2, 3, 4, 5].map((failures) => backoffDelay(failures, 5, 60_000))).toEqual([5, 10, 20, 40, 80]);
    expect(backoffDelay(30, 5, 60_000)).toBe(60_000);
    expect(backoffDelay(5000, 5, 60_000)).toBe(60_000);

    const queue = new WorkQueue("test", { baseDelayMs: 100, maxDelayMs: 1000 });
    queue.addRateLimited("ns/a");
    expect(queue.numRequeues("ns/a")).toBe(1);
    vi.advanceTimersByTime(99);
    expect(queue.depth).toBe(0);
    vi.advanceTimersByTime(1);
    expect(queue.depth).toBe(1);
  });

  it("delays the nth retry by base·2^(n-1) and starts over after forget", async () => {
    const queue = new WorkQueue("test", { baseDelayMs: 100, maxDelayMs: 1000 });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      queue.addRateLimited("ns/a");
      let waited = 0;
      while (queue.depth === 0) {
        vi.advanceTimersByTime(10);
        waited += 10;
      }
      delays.push(waited);
      const key = await queue.get();
      queue.done(key!);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    queue.forget("ns/a");
    expect(queue.numRequeues("ns/a")).toBe(0);
    queue.addRateLimited("ns/a");
    vi.advanceTimersByTime(100);
    expect(queue.depth).toBe(1);
  });

  it("adds after a delay, keeping the earliest of several pending delays", () => {
    const queue = new WorkQueue("test");
    queue.addAfter("ns/a", 1000);
    queue.addAfter("ns/a", 300);
    queue.addAfter("ns/a", 5000);
    vi.advanceTimersByTime(299);
    expect(queue.depth).toBe(0);
    vi.advanceTimersByTime(1);
    expect(queue.depth).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(queue.depth).toBe(1);
  });

  it("treats a zero delay as an immediate add", () => {
    const queue = new WorkQueue("test");
    queue.addAfter("ns/a", 0);
    expect(queue.depth).toBe(1);
  });

  it("returns undefined to waiting and later get() calls after shutdown and drops delayed keys", async () => {
    const queue = new WorkQueue("test");
    const waiting = queue.get();
    queue.addAfter("ns/late", 100);
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add("ns/a");
    vi.advanceTimersByTime(1000);
    expect(queue.depth).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });
});
