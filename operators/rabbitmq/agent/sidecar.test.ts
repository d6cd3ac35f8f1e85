import { describe, expect, it } from "vitest";
import { cliCommand, reportedFailures } from "./sidecar.js";

const local = "rabbit@rq-0.rq-headless.ns.svc.cluster.local";
const target = "rabbit@rq-3.rq-headless.ns.svc.cluster.local";

describe("the agent's CLI calls", () => {
  it.each([
    ["grow", "rabbitmq-queues", ["-q", "-l", "-n", local, "grow", target, "all", "--formatter", "json"]],
    ["shrink", "rabbitmq-queues", ["-q", "-l", "-n", local, "shrink", target, "--formatter", "json"]],
    ["forget", "rabbitmqctl", ["-q", "-l", "-n", local, "forget_cluster_node", target]],
  ] as const)("%s runs %s against the local node", (operation, command, args) => {
    expect(cliCommand(operation, local, target)).toEqual({ command, args });
  });

  it("reload-tls runs the fixed reload script with the local node as its only argument", () => {
    const { command, args } = cliCommand("reload-tls", local, local);
    expect(command).toBe("sh");
    expect(args[0]).toBe("-c");
    expect(args[1]).toContain("ssl:clear_pem_cache()");
    expect(args.slice(2)).toEqual(["sh", local]);
  });

  it("refuses anything that is not a node name", () => {
    expect(() => cliCommand("forget", local, "rabbit@x --erlang-cookie y")).toThrow(/not a node name/);
    expect(() => cliCommand("forget", local, "-n")).toThrow();
  });

  it("reads failed queues from the JSON report (as 3.10 prints it)", () => {
    expect(reportedFailures('[\n{"vhost":"/","name":"q1","size":2,"result":"ok"}\n]\n')).toEqual([]);
    expect(reportedFailures('[{"vhost":"/","name":"q1","size":3,"result":{"error":"timeout"}}]')).toEqual(['q1 (vhost /): {"error":"timeout"}']);
    expect(reportedFailures("Error: nodedown")).toEqual([]);
  });
});
