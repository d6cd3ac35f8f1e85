/**
 * The commands Steward sends one replica-set member, as an interface: the driver implements it
 * for real servers (client.ts), and the replica-set simulator under test/ implements it with
 * MongoDB's rules, so bootstrap, membership and switchover (bootstrap.ts, membership.ts,
 * switchover.ts) run unchanged against both.
 */
import type { HelloFacts, ReplSetStatus } from "./status.js";
import type { ReplSetConfig } from "./replset-config.js";

/** Each command gets a time limit on the server (maxTimeMS): a reconfig that cannot reach a majority fails instead of hanging. */
export const COMMAND_TIME_LIMIT_MS = 30_000;

export interface ConfigReading {
  config: ReplSetConfig;
  /** commitmentStatus: the configuration is on a majority of the set (the next reconfig may go). */
  committed: boolean;
}

export interface MemberCommands {
  hello(): Promise<HelloFacts>;
  /** undefined: the member was never initiated (NotYetInitialized). */
  replSetGetStatus(): Promise<ReplSetStatus | undefined>;
  replSetGetConfig(): Promise<ConfigReading | undefined>;
  replSetInitiate(config: ReplSetConfig): Promise<void>;
  /** `force` only for failover.dataLoss: allowed (planForcedReconfig). */
  replSetReconfig(config: ReplSetConfig, options?: { force?: boolean }): Promise<void>;
  /** Keeps a secondary from seeking election for `seconds` (0 unfreezes). */
  replSetFreeze(seconds: number): Promise<void>;
  /** The primary steps down for `seconds`, once a secondary is caught up within secondaryCatchUpPeriodSecs. */
  replSetStepDown(seconds: number, secondaryCatchUpPeriodSecs: number): Promise<void>;
  /** Whether `user` exists in `database`. */
  userExists(database: string, user: string): Promise<boolean>;
  createUser(database: string, user: string, password: string, roles: { role: string; db: string }[]): Promise<void>;
  /** Sets the password again (it may differ after a crash between createUser and the Secret). */
  updateUserPassword(database: string, user: string, password: string): Promise<void>;
  close(): Promise<void>;
}

/** Server error codes Steward tells apart (src/mongo/base/error_codes.yml in the server's source). */
export const ERROR_CODES = {
  NotYetInitialized: 94,
  AlreadyInitialized: 23,
  Unauthorized: 13,
  NotWritablePrimary: 10107,
  NewReplicaSetConfigurationIncompatible: 103,
  ConfigurationInProgress: 109,
  CurrentConfigNotCommittedYet: 308,
  ExceededTimeLimit: 262,
  MaxTimeMSExpired: 50,
  NodeNotElectable: 167,
  ExceededMemoryLimit: 146,
} as const;

/** An error a member answered with: its code and message. */
export class MemberCommandError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "MemberCommandError";
  }
}

export function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}
