/**
 * The local cluster's operator, installed as production installs it: the Helm chart in
 * deploy/helm/steward through the real `helm` CLI (local/helm/build.sh), a pod in
 * steward-system under the chart's ServiceAccount and RBAC. Its image maps to this checkout's
 * build the way engine images map to host binaries: the process runtime runs no images, and
 * `steward` on a container's PATH is this repository's CLI (so build first).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { repositoryRoot } from "./repository.js";
import { LOCAL_CLUSTER_ENV } from "../shared/local-cluster.js";

const run = promisify(execFile);

export const OPERATOR_RELEASE = "steward";
export const OPERATOR_NAMESPACE = "steward-system";
/** The image the local chart install names: a label only, the runtime runs the checkout's `steward`. */
export const LOCAL_OPERATOR_IMAGE = { repository: "steward.local/steward", tag: "checkout" };

/** The helm binary, built into the cache on first use (a few minutes cold; local/setup.sh builds it ahead). */
export async function helmBinary(): Promise<string> {
  const { stdout } = await run("bash", [join(repositoryRoot(), "local", "helm", "build.sh")], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim().split("\n").at(-1)!;
}

export interface ChartInstallOptions {
  kubeconfig: string;
  /** Release name; default steward. */
  release?: string;
  /** Operator replicas; the playground runs one (a 2-core machine), the chart's default is 2. */
  replicas?: number;
  /** Extra `--set` values. */
  set?: string[];
  log?: (line: string) => void;
}

/** `helm upgrade --install` of the chart, waiting until the operator Deployment is available. */
export async function installOperatorChart(options: ChartInstallOptions): Promise<void> {
  const helm = await helmBinary();
  const args = [
    "upgrade",
    "--install",
    options.release ?? OPERATOR_RELEASE,
    join(repositoryRoot(), "deploy", "helm", "steward"),
    "--kubeconfig",
    options.kubeconfig,
    "--namespace",
    OPERATOR_NAMESPACE,
    "--create-namespace",
    "--set",
    `image.repository=${LOCAL_OPERATOR_IMAGE.repository}`,
    "--set",
    `image.tag=${LOCAL_OPERATOR_IMAGE.tag}`,
    "--set",
    `replicaCount=${options.replicas ?? 1}`,
    // Engines whose server cannot run on this machine say so in their clusters' status (operators/mongodb).
    "--set",
    `extraEnv[0].name=${LOCAL_CLUSTER_ENV}`,
    "--set-string",
    "extraEnv[0].value=true",
    ...(options.set ?? []).flatMap((value) => ["--set", value]),
    "--wait",
    "--timeout",
    "5m",
  ];
  options.log?.(`installing the operator chart with ${helm} (release ${OPERATOR_RELEASE} in ${OPERATOR_NAMESPACE})`);
  try {
    await run(helm, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`helm upgrade --install of deploy/helm/steward failed: ${stderr.trim() || String(error)}`, { cause: error });
  }
  options.log?.(`operator running as a pod in ${OPERATOR_NAMESPACE} (logs: steward local logs -n ${OPERATOR_NAMESPACE} <pod>)`);
}

/** `helm uninstall`: the operator and its RBAC go; the CRDs, clusters and their data stay. */
export async function uninstallOperatorChart(kubeconfig: string, release = OPERATOR_RELEASE): Promise<void> {
  const helm = await helmBinary();
  await run(helm, ["uninstall", release, "--kubeconfig", kubeconfig, "--namespace", OPERATOR_NAMESPACE, "--wait", "--timeout", "2m"], { maxBuffer: 16 * 1024 * 1024 });
}
