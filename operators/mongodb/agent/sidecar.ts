/**
 * `steward agent mongodb-sidecar`: the agent beside mongod. HTTP on AGENT_PORT:
 * - GET /healthz: the agent runs;
 * - POST /v1/mongodb/bootstrap (bearer token): on the first pod only, initiate the replica set
 *   and create the operator's admin user over localhost, through MongoDB's localhost exception
 *   (it only admits clients on the same host, which is why this runs here and not in the
 *   operator). Idempotent (replica-set.ts); one at a time. For a cluster made from a backup
 *   (spec.bootstrap) the last step loads it (backup/bootstrap-restore.ts): started in the
 *   background, answered 202 `restoring the backup` until it is done (200 `restored ...`);
 *   a failed load is answered 500 once, and the next request starts it again.
 */
import { createServer, type Server } from "node:http";
import { Command } from "commander";
import { AGENT_TOKEN_ENV, hasBearerToken, listen, requiredEnv, serveUntilStopped, type AgentServerOptions } from "../../common/agent-sidecar.js";
import { describeError } from "../../common/errors.js";
import { ordinalOf } from "../../common/names.js";
import { DriverMember } from "../client.js";
import type { MemberCommands } from "../member.js";
import { AGENT_PORT, MONGODB_PORT } from "../names.js";
import { RESTORE_IN_PROGRESS, bootstrapReplicaSet, type Credentials } from "../replica-set.js";

export interface MongodbSidecarOptions extends AgentServerOptions {
  podName: string;
  /** This member's address in the replica-set configuration. */
  memberHost: string;
  replicaSet: string;
  admin: Credentials;
  /** The local mongod without credentials; default 127.0.0.1:27017 through the driver. */
  connectLocal?: () => Promise<MemberCommands>;
  /** spec.bootstrap: loads the backup into this member (after initiation and the admin user); returns a line for the Event. */
  restore?: () => Promise<string>;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

export function startMongodbSidecar(options: MongodbSidecarOptions): Promise<Server> {
  const log = options.log ?? ((line: string) => console.log(line));
  const connectLocal = options.connectLocal ?? (() => DriverMember.connect({ host: "127.0.0.1", port: MONGODB_PORT }));
  let running: Promise<unknown> = Promise.resolve();
  const restore = { running: false, done: undefined as string | undefined, failed: undefined as string | undefined };

  /** The restore step: started once, reported on later requests; a failure is reported once and then retried. */
  const restoreStep = (): { status: number; text: string } => {
    if (restore.done) return { status: 200, text: restore.done };
    if (restore.failed) {
      const failed = restore.failed;
      restore.failed = undefined;
      return { status: 500, text: `loading the backup failed: ${failed}; the next request starts it again` };
    }
    if (!restore.running) {
      restore.running = true;
      log("bootstrap: loading the backup");
      options.restore!().then(
        (text) => {
          restore.done = text;
          log(`bootstrap: ${text}`);
        },
        (error: unknown) => {
          restore.failed = describeError(error);
          log(`bootstrap: loading the backup failed: ${restore.failed}`);
        },
      ).finally(() => (restore.running = false));
    }
    return { status: 202, text: RESTORE_IN_PROGRESS };
  };

  const bootstrap = async (): Promise<string> => {
    if (ordinalOf(options.podName) !== 0) throw new Error(`${options.podName} is not the first member; only it bootstraps the set`);
    const local = await connectLocal();
    try {
      const outcome = await bootstrapReplicaSet(local, {
        setName: options.replicaSet,
        first: { pod: options.podName, ordinal: 0, host: options.memberHost, votes: 1, priority: 1 },
        admin: options.admin,
        waitForPrimary: (check) => waitUntil(check),
      });
      log(`bootstrap: ${outcome}`);
      return outcome;
    } finally {
      await local.close().catch(() => undefined);
    }
  };

  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "GET" && path === "/healthz") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (!hasBearerToken(request, options.token)) {
      response.writeHead(401, { "content-type": "text/plain" }).end("a bearer token is required\n");
      return;
    }
    if (request.method === "POST" && path === "/v1/mongodb/bootstrap") {
      const run = running.then(bootstrap);
      running = run.catch(() => undefined);
      run.then(
        (outcome) => {
          const answer = options.restore ? restoreStep() : { status: 200, text: outcome };
          response.writeHead(answer.status, { "content-type": "text/plain" }).end(`${answer.text}\n`);
        },
        (error: unknown) => response.writeHead(500, { "content-type": "text/plain" }).end(`${describeError(error)}\n`),
      );
      return;
    }
    response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  return listen(server, options.port ?? AGENT_PORT, options.host);
}

/** `steward agent mongodb-sidecar`, to be registered by cli/agent.ts. Its settings come from the pod template's environment. */
export function mongodbSidecarCommand(): Command {
  return new Command("mongodb-sidecar")
    .description("Sidecar of a MongoDB pod: bootstraps the replica set through the localhost exception for the operator")
    .option("--port <port>", "HTTP port", String(AGENT_PORT))
    .action(async (flags: { port: string }) => {
      const podName = requiredEnv("POD_NAME");
      const namespace = requiredEnv("POD_NAMESPACE");
      const headless = requiredEnv("STEWARD_HEADLESS_SERVICE");
      const server = await startMongodbSidecar({
        token: requiredEnv(AGENT_TOKEN_ENV),
        port: Number(flags.port),
        podName,
        memberHost: `${podName}.${headless}.${namespace}.svc.cluster.local:${MONGODB_PORT}`,
        replicaSet: requiredEnv("STEWARD_MONGODB_REPLICA_SET"),
        admin: { user: requiredEnv("STEWARD_MONGODB_USER"), password: requiredEnv("STEWARD_MONGODB_PASSWORD") },
        restore: await bootstrapRestoreFromEnvironment(),
      });
      await serveUntilStopped(server);
    });
}

/** spec.bootstrap: the load the first member runs, when the pod has the `<cluster>-bootstrap` Secret (envFrom). */
async function bootstrapRestoreFromEnvironment(): Promise<(() => Promise<string>) | undefined> {
  const { bootstrapSourceFromEnvironment, restoreBootstrapSource } = await import("../backup/bootstrap-restore.js");
  const source = bootstrapSourceFromEnvironment();
  if (!source) return undefined;
  return async () => {
    const [{ storageFromEnvironment }, { rootLogger }] = await Promise.all([import("../../../backup/agent/environment.js"), import("../../../shared/log.js")]);
    const storage = storageFromEnvironment();
    try {
      return await restoreBootstrapSource({
        endpoint: { host: "127.0.0.1", port: MONGODB_PORT, username: requiredEnv("STEWARD_MONGODB_USER"), password: requiredEnv("STEWARD_MONGODB_PASSWORD"), options: { directConnection: "true" } },
        source,
        storage,
        log: rootLogger.child({ step: "bootstrap-restore" }),
        signal: new AbortController().signal,
      });
    } finally {
      storage.client.destroy();
    }
  };
}

/** Every agent subcommand of the MongoDB engine. */
export async function mongodbAgentCommands(): Promise<Command[]> {
  return [mongodbSidecarCommand(), (await import("./oplog-archiver.js")).mongodbOplogArchiverCommand()];
}
