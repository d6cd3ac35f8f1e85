import { describe, expect, it } from "vitest";
import { planNextRetention, planRetention, type RetentionCandidate } from "./retention.js";

const now = new Date("2026-11-30T00:00:00Z");
const day = 86_400_000;
const completed = (name: string, daysAgo: number): RetentionCandidate => ({ name, phase: "Completed", completedAt: new Date(now.getTime() - daysAgo * day), createdAt: new Date(now.getTime() - daysAgo * day) });
const failed = (name: string, daysAgo: number): RetentionCandidate => ({ name, phase: "Failed", createdAt: new Date(now.getTime() - daysAgo * day) });
const running = (name: string, daysAgo: number): RetentionCandidate => ({ name, phase: "Running", createdAt: new Date(now.getTime() - daysAgo * day) });

describe("planRetention", () => {
  it.each([
    ["keepLast keeps the newest N Completed", [completed("a", 1), completed("b", 2), completed("c", 3), completed("d", 4)], { keepLast: 2 }, ["c", "d"]],
    ["maxAge removes the old ones", [completed("a", 1), completed("b", 10), completed("c", 40)], { maxAgeMs: 30 * day }, ["c"]],
    ["the newest Completed survives maxAge alone", [completed("a", 50), completed("b", 60)], { maxAgeMs: 30 * day }, ["b"]],
    ["both limits: whichever removes more", [completed("a", 1), completed("b", 2), completed("c", 40)], { keepLast: 5, maxAgeMs: 30 * day }, ["c"]],
    ["keepLast can remove even young backups", [completed("a", 0.1), completed("b", 0.2)], { keepLast: 1, maxAgeMs: 30 * day }, ["b"]],
    ["running backups are never touched", [running("r", 100), completed("a", 1), completed("b", 2)], { keepLast: 1 }, ["b"]],
    ["failed backups older than the oldest kept go", [completed("a", 1), failed("f1", 0.5), failed("f2", 3), completed("b", 2)], { keepLast: 2 }, ["f2"]],
    ["failures stay while nothing newer completed", [failed("f1", 1), failed("f2", 2)], { keepLast: 1 }, []],
    ["no policy removes nothing", [completed("a", 1), completed("b", 400)], {}, []],
    // Weekly full f1/f2, daily incrementals on top: a kept incremental keeps its whole chain.
    ["a kept incremental keeps its chain", [{ ...completed("i2", 1), parent: "i1" }, { ...completed("i1", 2), parent: "f1" }, completed("f1", 3)], { keepLast: 1 }, []],
    ["maxAge never breaks a kept chain", [{ ...completed("i1", 1), parent: "f1" }, completed("f1", 40), completed("f0", 47)], { maxAgeMs: 30 * day }, ["f0"]],
    ["a whole old chain goes", [completed("f2", 1), { ...completed("i1", 5), parent: "f1" }, completed("f1", 6)], { keepLast: 1 }, ["i1", "f1"]],
    ["an old incremental goes, its base stays for a newer one", [{ ...completed("i2", 1), parent: "f1" }, { ...completed("i1", 2), parent: "f1" }, completed("f1", 3)], { keepLast: 1 }, ["i1"]],
  ] as const)("%s", (_name, backups, policy, removed) => {
    const plan = planRetention([...backups], policy, now);
    expect(plan.remove.map((removal) => removal.name).sort()).toEqual([...removed].sort());
    expect([...plan.keep, ...plan.remove.map((removal) => removal.name)].sort()).toEqual(backups.map((backup) => backup.name).sort());
  });

  it("gives a reason per removal", () => {
    const plan = planRetention([completed("a", 1), completed("b", 2), completed("c", 40)], { keepLast: 1, maxAgeMs: 30 * day }, now);
    expect(plan.remove).toEqual([
      { name: "b", reason: "beyond keepLast 1 (it is number 2 newest)" },
      { name: "c", reason: "beyond keepLast 1 (it is number 3 newest)" },
    ]);
  });
});

describe("what retention removes next", () => {
  const at = (day: number) => new Date(Date.UTC(2026, 10, day, 3));
  const candidate = (name: string, day: number, phase = "Completed") => ({ name, phase, completedAt: at(day), createdAt: at(day) });

  it("names the backup the next one pushes out, apart from those removed already", () => {
    const backups = [candidate("b21", 21), candidate("b22", 22), candidate("b23", 23), candidate("b24", 24), candidate("f24", 24, "Failed")];
    expect(planNextRetention(backups, { keepLast: 3 }, at(25), at(26))).toEqual({
      now: [{ name: "b21", reason: "beyond keepLast 3 (it is number 4 newest)" }],
      next: [{ name: "b22", reason: "beyond keepLast 3 (it is number 4 newest)" }],
    });
  });

  it("ages out by the time the next backup completes", () => {
    const backups = [candidate("b20", 20), candidate("b24", 24)];
    expect(planNextRetention(backups, { maxAgeMs: 5 * 86_400_000 }, at(24), at(26)).next.map((removal) => removal.name)).toEqual(["b20"]);
    expect(planNextRetention(backups, { maxAgeMs: 5 * 86_400_000 }, at(24), at(24)).next).toEqual([]);
  });
});
