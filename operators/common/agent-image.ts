/** The release's agent image: the operator's own (it carries the engines' client tools and the agent). */
export const DEFAULT_AGENT_IMAGE = "ghcr.io/steward-dev/steward:0.1.0";

/** The agent image pods and Jobs run: the one configured, else $STEWARD_AGENT_IMAGE, else the release's. */
export function agentImage(configured?: string): string {
  return configured ?? process.env.STEWARD_AGENT_IMAGE ?? DEFAULT_AGENT_IMAGE;
}
