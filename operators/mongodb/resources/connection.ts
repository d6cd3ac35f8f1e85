import type { ConnectionInfo } from "../../engine.js";
import type { BuildInput } from "../../common/resources/build-input.js";
import { statefulSetReplicas } from "../../common/scale-in.js";
import { MONGODB_PORT, applicationDatabase, mongodbNames } from "../names.js";

/**
 * What the connection Secret holds for MongoDB. `uri` is a replica-set URI listing every
 * member by its stable name, so a driver follows elections by itself; `w=majority` because
 * `failover.dataLoss: none` means a write is acknowledged only once a majority has it (an
 * election can then never roll it back). host/port name the primary Service, for clients that
 * take one address.
 */
export function buildConnection(input: BuildInput, password: string): ConnectionInfo {
  const names = mongodbNames(input.cluster);
  const database = applicationDatabase(input.cluster, input.spec);
  const members = Array.from({ length: statefulSetReplicas(input) }, (_, ordinal) => `${names.podHost(names.pod(ordinal))}:${MONGODB_PORT}`);
  const user = `${encodeURIComponent(input.spec.username)}:${encodeURIComponent(password)}`;
  const options = new URLSearchParams({ replicaSet: names.replicaSet, authSource: database });
  if (input.spec.failover?.dataLoss !== "allowed") options.set("w", "majority");
  return {
    host: names.primaryHost,
    readOnlyHost: names.replicasHost,
    port: MONGODB_PORT,
    username: input.spec.username,
    password,
    database,
    uri: `mongodb://${user}@${members.join(",")}/${database}?${options.toString()}`,
  };
}
