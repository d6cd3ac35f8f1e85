/**
 * What each RabbitMQ version can do, so version-specific calls sit behind one check each.
 * The operator decides by the version the server reports (/api/overview), not by the spec:
 * the local cluster runs Debian's 3.10 whatever the spec says, production runs the image's.
 */
export interface RabbitmqVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseRabbitmqVersion(text: string): RabbitmqVersion | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

export function atLeast(version: RabbitmqVersion, major: number, minor: number): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

export interface RabbitmqCapabilities {
  /** GET /api/health/checks/node-is-quorum-critical (3.8+). */
  quorumCriticalCheck: boolean;
  /** POST /api/rebalance/queues (3.8+). */
  rebalanceEndpoint: boolean;
  /**
   * POST /api/queues/quorum/replicas/on/{node}/grow and DELETE .../shrink (3.13+). Older
   * versions grow and shrink with `rabbitmq-queues` through the agent sidecar.
   */
  replicaEndpoints: boolean;
  /** `rabbitmq-upgrade drain` (3.8+): the preStop hook checks the CLI itself. */
  maintenanceMode: boolean;
}

export function capabilitiesOf(version: RabbitmqVersion): RabbitmqCapabilities {
  return {
    quorumCriticalCheck: atLeast(version, 3, 8),
    rebalanceEndpoint: atLeast(version, 3, 8),
    replicaEndpoints: atLeast(version, 3, 13),
    maintenanceMode: atLeast(version, 3, 8),
  };
}

/** The oldest series Steward runs: quorum queues, the health-check endpoints and maintenance mode are all there from 3.10 on. */
export const OLDEST_SUPPORTED = { major: 3, minor: 10 } as const;

/** Why Steward cannot run spec.version, or undefined. */
export function unsupportedVersion(text: string): string | undefined {
  const version = parseRabbitmqVersion(text);
  if (!version) return `spec.version "${text}" is not a RabbitMQ version such as 3.13 or 4.1`;
  if (!atLeast(version, OLDEST_SUPPORTED.major, OLDEST_SUPPORTED.minor)) {
    return `RabbitMQ ${text} is older than ${OLDEST_SUPPORTED.major}.${OLDEST_SUPPORTED.minor}, the oldest series Steward runs; use 3.13 or 4.x`;
  }
  if (version.major > 4) return `RabbitMQ ${text} is newer than this build of Steward knows (4.x); use 3.13 or 4.x`;
  return undefined;
}
