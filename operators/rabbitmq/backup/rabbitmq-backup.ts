/**
 * RabbitMQ's side of backups (backup/engine-backup.ts): the definitions (users with password
 * hashes, vhosts, permissions, policies, parameters, exchanges, queues, bindings) exported from
 * the management API, and loaded back either online (POST /api/definitions) or offline, as a
 * file a new node loads at its first boot (see the setup script in ../config.ts).
 * Messages are not part of a backup: queues come back empty.
 *
 * The endpoint is the management API: host, and port (15672; an AMQP port 5672 given instead is
 * taken to mean the management port beside it), or options.managementPort; options.scheme
 * (http or https). With endpoint.caFile (the cluster serves TLS), HTTPS on 15671 verified with
 * that CA. options.excludeUsers (comma-separated) names users each cluster manages
 * itself, left out of the checksums like the endpoint's own user.
 */
import { readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import type { DumpHandle, DumpOptions, EngineBackup, EngineEndpoint, EngineIdentity, LoadOptions, TableChecksum, VerifyOptions } from "../../../backup/engine-backup.js";
import { ManagementClient } from "../client.js";
import { PORTS, RABBITMQ_PATHS } from "../names.js";
import { definitionsForRestore, describeDefinitions, extraneous, parseDefinitions, sectionDigests, type Definitions } from "./definitions.js";

/** Where an offline load writes, relative to the data directory (RABBITMQ_PATHS.data). */
export const RESTORE_FILE = RABBITMQ_PATHS.restoreDefinitions.slice(RABBITMQ_PATHS.data.length + 1);

export function managementClientOf(endpoint: EngineEndpoint): ManagementClient {
  if (!endpoint.username || !endpoint.password) throw new Error("the RabbitMQ endpoint needs the administrator's username and password");
  const credentials = { username: endpoint.username, password: endpoint.password };
  const configured = endpoint.options?.managementPort;
  if (endpoint.caFile) {
    // The cluster serves TLS: HTTPS verified with its CA; plain HTTP only where nothing listens
    // on the HTTPS port (a cluster not yet restarted with TLS switched on).
    const port = configured ? Number(configured) : ([PORTS.amqp, PORTS.amqps, PORTS.management] as number[]).includes(endpoint.port) ? PORTS.managementTls : endpoint.port;
    return new ManagementClient(`https://${endpoint.host}:${port}/api`, credentials, { timeoutMs: 60_000, ca: readFileSync(endpoint.caFile, "utf8"), plaintextFallbackUrl: `http://${endpoint.host}:${PORTS.management}/api` });
  }
  const port = configured ? Number(configured) : endpoint.port === PORTS.amqp ? PORTS.management : endpoint.port;
  const scheme = endpoint.options?.scheme ?? "http";
  return new ManagementClient(`${scheme}://${endpoint.host}:${port}/api`, credentials, { timeoutMs: 60_000 });
}

function excludedUsers(endpoint: EngineEndpoint): string[] {
  const listed = (endpoint.options?.excludeUsers ?? "").split(",").map((name) => name.trim()).filter(Boolean);
  return endpoint.username ? [endpoint.username, ...listed] : listed;
}

async function readAll(stream: Readable, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    // Definitions are metadata; a gigabyte of them is a wrong object, not a big broker.
    if (size > 512 * 1024 * 1024) throw new Error("the definitions are larger than 512 MiB: not a RabbitMQ definitions backup");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export class RabbitmqBackup implements EngineBackup {
  readonly engine = "rabbitmq";

  async identify(endpoint: EngineEndpoint, _signal?: AbortSignal): Promise<EngineIdentity> {
    const overview = await managementClientOf(endpoint).overview();
    return { engine: "rabbitmq", version: overview.rabbitmq_version };
  }

  async dump(options: DumpOptions): Promise<DumpHandle> {
    if (options.method === "physical") throw new Error("RabbitMQ backups are definitions exports; use method: logical");
    const management = managementClientOf(options.endpoint);
    const startedAt = new Date();
    const text = await management.exportDefinitions();
    const definitions = parseDefinitions(text);
    const summary = `definitions: ${describeDefinitions(definitions)}; messages are not included`;
    options.log.info({ summary }, "Exported the definitions");
    return {
      stream: Readable.from([Buffer.from(text, "utf8")]),
      extension: ".json",
      contentType: "application/json",
      producer: `rabbitmq management API ${definitions.rabbitmq_version ?? definitions.rabbit_version ?? ""}`.trim(),
      done: Promise.resolve(),
      consistentAt: () => startedAt,
      position: () => ({
        summary,
        sections: Object.fromEntries(sectionDigests(definitions, { excludeUsers: excludedUsers(options.endpoint) }).map((entry) => [entry.section, entry.digest])),
      }),
    };
  }

  /**
   * Online (options.endpoint): the definitions are imported into the running cluster; the
   * endpoint's user keeps its password. With replaceExisting, what the cluster has and the
   * backup does not (vhosts with everything in them, users, policies, queues, exchanges) is
   * deleted first, so the result equals the backup.
   * Offline (options.dataDir, no running server): the definitions are written for a new node
   * to load at its first boot; endpoint.username/password, when given, name the new cluster's
   * administrator, written in with its new password (RabbitMQ skips its default user then).
   */
  async load(stream: Readable, options: LoadOptions): Promise<void> {
    const backup = parseDefinitions(await readAll(stream, options.signal));
    if (options.dataDir) {
      const admin = options.endpoint?.username && options.endpoint.password ? { username: options.endpoint.username, password: options.endpoint.password } : undefined;
      const file = join(options.dataDir, RESTORE_FILE);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify(definitionsForRestore(backup, { admin })), { mode: 0o640 });
      await rename(`${file}.tmp`, file);
      options.log.info({ file, summary: describeDefinitions(backup) }, "Wrote the definitions for the node's first boot");
      return;
    }
    if (!options.endpoint) throw new Error("a RabbitMQ load needs an endpoint (online) or a dataDir (at boot)");
    const management = managementClientOf(options.endpoint);
    if (options.replaceExisting) await this.removeExtraneous(management, backup, excludedUsers(options.endpoint), options);
    await management.importDefinitions(definitionsForRestore(backup, { keepUser: options.endpoint.username }));
    options.log.info({ summary: describeDefinitions(backup) }, "Imported the definitions");
  }

  private async removeExtraneous(management: ManagementClient, backup: Definitions, keepUsers: string[], options: LoadOptions): Promise<void> {
    const plan = extraneous(parseDefinitions(await management.exportDefinitions()), backup, keepUsers);
    for (const vhost of plan.vhosts) await management.deleteVhost(vhost);
    for (const user of plan.users) await management.deleteUser(user);
    for (const policy of plan.policies) await management.deleteObject("policies", policy.vhost, policy.name);
    for (const queue of plan.queues) await management.deleteObject("queues", queue.vhost, queue.name);
    for (const exchange of plan.exchanges) await management.deleteObject("exchanges", exchange.vhost, exchange.name);
    options.log.info({ removed: { vhosts: plan.vhosts.length, users: plan.users.length, policies: plan.policies.length, queues: plan.queues.length, exchanges: plan.exchanges.length } }, "Removed what the backup does not have");
  }

  /** One checksum per definitions section (users, vhosts, ..., bindings): equal between a source and its restore. */
  async checksums(options: VerifyOptions): Promise<TableChecksum[]> {
    const definitions = parseDefinitions(await managementClientOf(options.endpoint).exportDefinitions());
    return sectionDigests(definitions, { excludeUsers: excludedUsers(options.endpoint) }).map((entry) => ({ table: entry.section, checksum: entry.digest }));
  }
}
