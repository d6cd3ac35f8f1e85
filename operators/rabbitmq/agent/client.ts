import { z } from "zod";
import { describeFetchError } from "../client.js";
import type { AgentOperation, AgentResult } from "./sidecar.js";

const resultSchema = z.object({ ok: z.boolean(), exitCode: z.number(), output: z.string(), failures: z.array(z.string()) });

/** The operator's client of one pod's agent sidecar. */
export class AgentClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async run(operation: AgentOperation, node: string, timeoutMs = 180_000): Promise<AgentResult> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/v1/rabbitmq/${operation}`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
        body: JSON.stringify({ node }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new Error(`the agent at ${this.baseUrl} did not answer ${operation} ${node}: ${describeFetchError(error)}`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`the agent at ${this.baseUrl} refused ${operation} ${node}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return resultSchema.parse(JSON.parse(text));
  }
}
