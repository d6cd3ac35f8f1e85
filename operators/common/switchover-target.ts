/**
 * Choosing the replica a switchover goes to, the part every engine with one primary shares:
 * the named instance, or ("auto") the best eligible one by the engine's ranking; a refusal says
 * why each instance cannot take over. What makes an instance eligible and what "best" means is
 * the engine's planner's (GTID sets for MySQL, replication offsets for Redis).
 */

export type SwitchoverPlan = { action: "switchover"; target: string; reason: string } | { action: "refuse"; reason: string };

export interface SwitchoverChoice<View extends { name: string }> {
  instances: View[];
  primary: string;
  /** A pod name, or "auto". */
  request: string;
  /** Instances about to go (the highest ordinals when scaling in) are not allowed. */
  allowed: (name: string) => boolean;
  /** Why an instance other than the primary cannot take over, or undefined when it can. */
  whyNot: (view: View) => string | undefined;
  /** Orders eligible instances, best first. */
  rank: (a: View, b: View) => number;
  /** What makes the chosen one best, after its name ("is the most advanced healthy replica"). */
  best: string;
}

export function chooseSwitchoverTargetOf<View extends { name: string }>(choice: SwitchoverChoice<View>): SwitchoverPlan {
  const { instances, primary, request } = choice;
  if (request !== "auto" && request === primary) return { action: "refuse", reason: `${request} is already the primary` };
  const why = (view: View): string | undefined => {
    if (view.name === primary) return `${view.name} is the primary`;
    if (!choice.allowed(view.name)) return `${view.name} is being removed`;
    return choice.whyNot(view);
  };
  if (request !== "auto") {
    const target = instances.find((view) => view.name === request);
    if (!target) return { action: "refuse", reason: `${request} is not an instance of this cluster` };
    const problem = why(target);
    return problem ? { action: "refuse", reason: problem } : { action: "switchover", target: request, reason: `requested ${request}` };
  }
  const eligible = instances.filter((view) => !why(view));
  if (eligible.length === 0) {
    const reasons = instances.filter((view) => view.name !== primary).map(why).filter(Boolean);
    return { action: "refuse", reason: `no replica can take over: ${reasons.join("; ") || "there are none"}` };
  }
  const best = [...eligible].sort(choice.rank)[0]!;
  return { action: "switchover", target: best.name, reason: `${best.name} ${choice.best}` };
}
