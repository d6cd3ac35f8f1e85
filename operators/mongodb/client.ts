/**
 * MemberCommands over the `mongodb` driver, one direct connection to one member (never the
 * replica-set topology: the operator must talk to the member it names, also a secondary, a
 * member that is starting, or one that was never initiated).
 */
import { MongoClient, type Document } from "mongodb";
import { COMMAND_TIME_LIMIT_MS, ERROR_CODES, errorCode, type ConfigReading, type MemberCommands } from "./member.js";
import { replSetConfigSchema, type ReplSetConfig } from "./replset-config.js";
import { parseHello, parseReplSetStatus, type HelloFacts, type ReplSetStatus } from "./status.js";

export interface MemberEndpoint {
  host: string;
  port: number;
  /** Absent: no authentication (the localhost exception inside the pod, before the first user). */
  username?: string;
  password?: string;
  /** Where the user is defined; default admin. */
  authSource?: string;
  connectTimeoutMs?: number;
}

export class DriverMember implements MemberCommands {
  private constructor(private readonly client: MongoClient) {}

  static async connect(endpoint: MemberEndpoint): Promise<DriverMember> {
    const timeout = endpoint.connectTimeoutMs ?? 3000;
    const client = new MongoClient(`mongodb://${endpoint.host}:${endpoint.port}/`, {
      directConnection: true,
      ...(endpoint.username ? { auth: { username: endpoint.username, password: endpoint.password }, authSource: endpoint.authSource ?? "admin" } : {}),
      serverSelectionTimeoutMS: timeout,
      connectTimeoutMS: timeout,
      // One member, one connection: the operator sends a handful of commands per pass.
      maxPoolSize: 1,
      monitorCommands: false,
    });
    await client.connect();
    return new DriverMember(client);
  }

  private admin(command: Document): Promise<Document> {
    return this.client.db("admin").command(command);
  }

  async hello(): Promise<HelloFacts> {
    return parseHello(await this.admin({ hello: 1 }));
  }

  async replSetGetStatus(): Promise<ReplSetStatus | undefined> {
    try {
      return parseReplSetStatus(await this.admin({ replSetGetStatus: 1, maxTimeMS: COMMAND_TIME_LIMIT_MS }));
    } catch (error) {
      if (errorCode(error) === ERROR_CODES.NotYetInitialized) return undefined;
      throw error;
    }
  }

  async replSetGetConfig(): Promise<ConfigReading | undefined> {
    try {
      const reply = await this.admin({ replSetGetConfig: 1, commitmentStatus: true, maxTimeMS: COMMAND_TIME_LIMIT_MS });
      return { config: replSetConfigSchema.parse(reply.config), committed: reply.commitmentStatus !== false };
    } catch (error) {
      if (errorCode(error) === ERROR_CODES.NotYetInitialized) return undefined;
      throw error;
    }
  }

  async replSetInitiate(config: ReplSetConfig): Promise<void> {
    await this.admin({ replSetInitiate: config, maxTimeMS: COMMAND_TIME_LIMIT_MS });
  }

  async replSetReconfig(config: ReplSetConfig, options: { force?: boolean } = {}): Promise<void> {
    await this.admin({ replSetReconfig: config, force: options.force === true, maxTimeMS: COMMAND_TIME_LIMIT_MS });
  }

  async replSetFreeze(seconds: number): Promise<void> {
    await this.admin({ replSetFreeze: seconds });
  }

  async replSetStepDown(seconds: number, secondaryCatchUpPeriodSecs: number): Promise<void> {
    await this.admin({ replSetStepDown: seconds, secondaryCatchUpPeriodSecs });
  }

  async userExists(database: string, user: string): Promise<boolean> {
    const reply = await this.client.db(database).command({ usersInfo: { user, db: database }, maxTimeMS: COMMAND_TIME_LIMIT_MS });
    return Array.isArray(reply.users) && reply.users.length > 0;
  }

  async createUser(database: string, user: string, password: string, roles: { role: string; db: string }[]): Promise<void> {
    await this.client.db(database).command({ createUser: user, pwd: password, roles, writeConcern: { w: "majority", wtimeout: COMMAND_TIME_LIMIT_MS } });
  }

  async updateUserPassword(database: string, user: string, password: string): Promise<void> {
    await this.client.db(database).command({ updateUser: user, pwd: password, writeConcern: { w: "majority", wtimeout: COMMAND_TIME_LIMIT_MS } });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
