/**
 * The management-API client, the health assessment and the planners against a real 3-node
 * RabbitMQ cluster (Debian's rabbitmq-server, one network namespace per node, production node
 * names), and the agent sidecar running the real CLI tools:
 * given a cluster with a quorum queue, when a node stops, then the others are quorum-critical
 * and a rolling restart waits; growing, shrinking and forgetting change the membership the
 * planners read; a cut network shows as a partition that heals when the link returns (or
 * leaves the node assessed stuck, which the operator restarts; nothing here restarts it).
 */
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentClient } from "../../operators/rabbitmq/agent/client.js";
import type { QueueInfo } from "../../operators/rabbitmq/client.js";
import { assessCluster, healthProblems, type Assessment, type PodView } from "../../operators/rabbitmq/health.js";
import { STUCK_RESTART_MS, gateRestart, planGrowth, planRolling, planScaleIn, type ScaleInput } from "../../operators/rabbitmq/planner.js";
import { ensureAppUser } from "../../operators/rabbitmq/app-user.js";
import { RabbitFixture } from "../fixtures/rabbitmq.js";

let fixture: RabbitFixture;
const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 120_000) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
};

function pods(runningSince = new Date(Date.now() - 600_000), revisions: string[] = []): PodView[] {
  return fixture.nodes.map((node) => ({
    name: node.pod,
    ordinal: node.index,
    node: node.node,
    exists: true,
    ready: true,
    terminating: false,
    revision: revisions[node.index] ?? "new",
    engineRunningSince: runningSince,
    engineRestarts: 0,
  }));
}

async function assess(indexes = [0, 1, 2]) {
  const reports = await Promise.all(
    indexes.map(async (index) => {
      try {
        return { node: fixture.nodes[index]!.node, nodes: await fixture.management(index, 4_000).nodes() };
      } catch (error) {
        return { node: fixture.nodes[index]!.node, error: (error as Error).message };
      }
    }),
  );
  return assessCluster(pods(), reports, fixture.nodes.map((n) => n.node), new Date());
}

function scaleInput(queues: QueueInfo[], assessment: Assessment, overrides: Partial<ScaleInput> = {}): ScaleInput {
  return {
    specReplicas: 3,
    currentReplicas: 3,
    allowScaleDown: false,
    pods: pods(),
    assessment,
    queues,
    claims: [],
    nodeOf: (ordinal) => fixture.nodes[ordinal]!.node,
    ...overrides,
  };
}

beforeAll(async () => {
  fixture = await RabbitFixture.start({ nodes: 3, withAgent: true, log: (line) => console.log(`[rabbitmq fixture] ${line}`) });
  const management = fixture.management(0);
  for (const name of ["orders", "payments"]) {
    const created = await fetch(`${fixture.nodes[0]!.managementUrl}/queues/%2F/${name}`, {
      method: "PUT",
      headers: { authorization: `Basic ${Buffer.from(`${fixture.credentials.username}:${fixture.credentials.password}`).toString("base64")}`, "content-type": "application/json" },
      body: JSON.stringify({ durable: true, arguments: { "x-queue-type": "quorum" } }),
    });
    expect(created.status).toBeLessThan(300);
  }
  await waitFor("quorum queues with 3 members", async () => (await management.queues()).every((q) => q.members?.length === 3));
}, 300_000);

afterAll(() => fixture?.stop());

describe("a real 3-node RabbitMQ cluster", () => {
  it("is whole: every node runs in one cluster, no partition, no alarm", async () => {
    const assessment = await assess();
    expect(assessment.whole).toBe(true);
    expect(assessment.running).toHaveLength(3);
    expect(healthProblems(assessment)).toEqual([]);
    const overview = await fixture.management(0).overview();
    expect(overview.rabbitmq_version).toMatch(/^3\.10\./);
    expect(overview.cluster_name).toBe("rq");
  });

  it("creates the application user once and leaves it alone afterwards", async () => {
    const management = fixture.management(0);
    expect(await ensureAppUser(management, "app", "app-password-1")).toBe(true);
    expect(await ensureAppUser(management, "app", "app-password-1")).toBe(false);
    const connection = await connect(fixture.nodes[1]!.amqpUrl("app", "app-password-1"));
    await connection.close();
    expect(await ensureAppUser(management, "app", "app-password-2")).toBe(true);
  });

  it("rolls the highest outdated ordinal first, and waits while the node is quorum-critical", async () => {
    let assessment = await assess();
    const plan = planRolling(pods(undefined, ["old", "old", "old"]), "new", assessment);
    expect(plan).toMatchObject({ kind: "restart", pod: "rq-2" });
    expect(gateRestart(plan, await fixture.management(2).quorumCritical())).toMatchObject({ kind: "restart", pod: "rq-2" });

    fixture.stopNode(2);
    await waitFor("rq-2 seen down", async () => (await fixture.management(0).nodes()).some((n) => n.name === fixture.nodes[2]!.node && !n.running));
    assessment = await assess([0, 1]);
    expect(assessment.whole).toBe(false);
    const check = await fixture.management(1).quorumCritical();
    expect(check).toMatchObject({ critical: true });
    const gated = gateRestart({ kind: "restart", pod: "rq-1", node: fixture.nodes[1]!.node, reason: "test" }, check);
    expect(gated.kind).toBe("wait");
    expect((gated as { reason: string }).reason).toContain("orders");
    // The rolling plan itself also waits for rq-2 before touching another node.
    expect(planRolling(pods(undefined, ["old", "old", "new"]), "new", assessment)).toMatchObject({ kind: "wait" });

    await fixture.startNode(2);
    await fixture.waitForCluster(3);
    await waitFor("rq-1 no longer quorum-critical", async () => !(await fixture.management(1).quorumCritical()).critical);
  });

  it("grows, shrinks and forgets through the agent's CLI tools, as the planners ask", async () => {
    const agent = new AgentClient(fixture.agentUrl(0), fixture.agentToken);
    await waitFor("the agent", async () => (await fetch(`${fixture.agentUrl(0)}/healthz`)).ok, 30_000);
    const rq2 = fixture.nodes[2]!.node;

    // Scale-in of rq-2 (3 -> 2): shrink first, then the pod goes.
    let assessment = await assess();
    let queues = await fixture.management(0).queues();
    expect(planScaleIn(scaleInput(queues, assessment, { specReplicas: 2 }))).toMatchObject({ kind: "wait" });
    const shrink = planScaleIn(scaleInput(queues, assessment, { specReplicas: 2, allowScaleDown: true }));
    expect(shrink).toMatchObject({ kind: "shrink", node: rq2 });
    const shrunk = await agent.run("shrink", rq2);
    expect(shrunk.ok, shrunk.output).toBe(true);
    queues = await fixture.management(0).queues();
    expect(queues.every((q) => !q.members?.includes(rq2))).toBe(true);
    expect(planScaleIn(scaleInput(queues, assessment, { specReplicas: 2, allowScaleDown: true }))).toMatchObject({ kind: "removePod", replicas: 2 });

    // Growth puts the replicas back while rq-2 stays a desired node.
    const grow = planGrowth(scaleInput(queues, assessment));
    expect(grow).toMatchObject({ kind: "grow", node: rq2 });
    const grown = await new AgentClient(fixture.agentUrl(2), fixture.agentToken).run("grow", rq2);
    expect(grown.ok, grown.output).toBe(true);
    queues = await fixture.management(0).queues();
    expect(queues.every((q) => q.members?.includes(rq2))).toBe(true);
    expect(planGrowth(scaleInput(queues, assessment))).toEqual({ kind: "none" });

    // Forgetting a stopped node removes it from the membership every node reports.
    expect((await agent.run("shrink", rq2)).ok).toBe(true);
    fixture.stopNode(2);
    await waitFor("rq-2 down", async () => (await fixture.management(0).nodes()).some((n) => n.name === rq2 && !n.running));
    const forgot = await agent.run("forget", rq2);
    expect(forgot.ok, forgot.output).toBe(true);
    expect((await fixture.management(0).nodes()).map((n) => n.name)).not.toContain(rq2);
    assessment = await assess([0, 1]);
    expect(assessment.members).not.toContain(rq2);

    // The node comes back empty (its old data cannot rejoin) and joins again through classic_config.
    fixture.wipeNode(2);
    await fixture.startNode(2);
    await fixture.waitForCluster(3);
    expect((await new AgentClient(fixture.agentUrl(2), fixture.agentToken).run("grow", rq2)).ok).toBe(true);
  });

  it("refuses a node name that is not one, without running anything", async () => {
    const response = await fetch(`${fixture.agentUrl(0)}/v1/rabbitmq/forget`, {
      method: "POST",
      headers: { authorization: `Bearer ${fixture.agentToken}`, "content-type": "application/json" },
      body: JSON.stringify({ node: "rabbit@x; rm -rf /" }),
    });
    expect(response.status).toBe(400);
    const unauthorized = await fetch(`${fixture.agentUrl(0)}/v1/rabbitmq/forget`, { method: "POST", body: "{}" });
    expect(unauthorized.status).toBe(401);
  });

  it("reports a cut node as a partition; when the network returns the cluster is whole again, or the node left paused is assessed stuck (what the operator restarts)", async () => {
    fixture.setNetwork(2, "cut");
    try {
      await waitFor(
        "the partition to be assessed",
        async () => {
          const assessment = await assess([0, 1]);
          return assessment.partitioned.some((p) => p.node === fixture.nodes[2]!.node);
        },
        120_000,
      );
      const assessment = await assess([0, 1]);
      expect(healthProblems(assessment).join(" ")).toContain("network partition");
    } finally {
      fixture.setNetwork(2, "restore");
    }
    // Nothing here restarts the node. Rarely RabbitMQ 3.10 on Erlang 25 leaves the paused node
    // paused (or hung in its boot) although the network is back: then the assessment must call
    // it stuck, which is what makes the operator restart it (planStuckRestart; that restart is
    // proven end to end in test/e2e/rabbitmq-cluster.test.ts). Anything else fails.
    // A node is paused for a few seconds after any cut: "stuck" counts only once it has lasted
    // as long as the operator waits before restarting (STUCK_RESTART_MS).
    let last: Assessment | undefined;
    let stuckSince: number | undefined;
    await waitFor(
      "the cluster whole again, or the paused node assessed stuck",
      async () => {
        last = await assess();
        if (!last.stuck.includes(fixture.nodes[2]!.node)) stuckSince = undefined;
        else stuckSince ??= Date.now();
        return last.whole || (stuckSince !== undefined && Date.now() - stuckSince >= STUCK_RESTART_MS);
      },
      120_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last assessment: ${JSON.stringify(last)}`);
    });
    if (!last!.whole) console.log(`${fixture.nodes[2]!.pod} stayed paused after the network returned and is assessed stuck: ${JSON.stringify(last!.down)}`);
  });
});
