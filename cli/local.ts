import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { VersionApi } from "@kubernetes/client-node";
import { Command } from "commander";
import { loadKubeConfig } from "../local/apply.js";
import { defaultStateDir, readDaemonInfo, runningDaemon, startDaemon, stopDaemon, type DaemonInfo } from "../local/daemon-control.js";
import { RuntimeControl } from "../local/runtime/control-client.js";
import { faultRequestFromCli } from "../local/s3/fault.js";
import { setS3Fault, setS3Running } from "../local/s3/s3.js";
import { createSampleCluster } from "./sample.js";

/**
 * `steward local ...`: the one-command playground (control plane, process runtime, S3, operator)
 * as a daemon that outlives the command, and the commands a user needs around it (logs and exec
 * stand in for `kubectl logs/exec`, which need a kubelet API the runtime does not serve).
 */
interface LocalOptions {
  stateDir?: string;
}

function stateDirOf(command: Command): string {
  const options = command.optsWithGlobals<LocalOptions>();
  return resolve(options.stateDir ?? defaultStateDir());
}

function requireDaemon(stateDir: string): DaemonInfo {
  const info = runningDaemon(stateDir);
  if (!info) throw new Error(`no local cluster runs for ${stateDir}; start one with: steward local up`);
  return info;
}

function control(stateDir: string): RuntimeControl {
  const info = requireDaemon(stateDir);
  if (!info.runtimeSocket) throw new Error("this local cluster runs without the process runtime");
  return new RuntimeControl(info.runtimeSocket);
}

function printUsage(info: DaemonInfo): void {
  console.log(`local cluster ready (slot ${info.slot}, API server ${info.server})`);
  console.log(`kubeconfig: ${info.kubeconfig}`);
  console.log("");
  console.log(`  export KUBECONFIG=${info.kubeconfig}`);
  console.log("  kubectl get nodes        # any kubectl; this one matches the server:");
  console.log(`  ${info.kubectl} get pods -A`);
  if (info.s3) console.log(`\nS3: ${info.s3.endpoint} (in cluster ${info.s3.endpointInCluster}), bucket ${info.s3.bucket}, certificate signed by the CA in ${info.s3.caFile ?? "the state dir (s3-ca/ca.crt)"}; BackupStorage local-s3 in namespace default`);
  console.log("\nsteward local logs POD | exec POD -- CMD | status | down");
}

/** The newest directory of a pod (by name) under the runtime's state, with its log files. */
function podLogDir(stateDir: string, namespace: string, pod: string): string {
  const podsDir = join(stateDir, "runtime", "pods");
  const prefix = `${namespace}_${pod}_`;
  const dirs = existsSync(podsDir) ? readdirSync(podsDir).filter((d) => d.startsWith(prefix)) : [];
  if (dirs.length === 0) throw new Error(`no pod ${namespace}/${pod} has run on the local node`);
  const newest = dirs.map((d) => join(podsDir, d)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
  return join(newest, "logs");
}

async function printLog(file: string, follow: boolean): Promise<void> {
  let offset = 0;
  const copy = async () => {
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < offset) offset = 0; // restarted container: a new file
    if (size === offset) return;
    await new Promise<void>((done, fail) => createReadStream(file, { start: offset, end: size - 1 }).on("end", done).on("error", fail).pipe(process.stdout, { end: false }));
    offset = size;
  };
  await copy();
  while (follow) {
    await sleep(500);
    await copy();
  }
}

export function localCommand(): Command {
  const local = new Command("local")
    .description("A local Kubernetes cluster on this machine (needs root): real control plane, process runtime, S3, operator")
    .option("--state-dir <dir>", "where the cluster keeps its state", defaultStateDir());

  local
    .command("up")
    .description("Start the local cluster in the background and wait until it is ready")
    .option("--slot <n>", "use this slot (0..63) instead of the first free one")
    .option("--nodes <n>", "how many nodes the runtime plays (1..8): steward-local, or steward-local-1..N with their own heartbeats, pods and addresses", "1")
    .option("--no-s3", "without the local S3 server")
    .option("--operator <mode>", "chart: the Helm chart's operator pod in steward-system under its own ServiceAccount (default); host: a host process with the admin kubeconfig, for debugging")
    .option("--no-operator", "without the Steward operator")
    .option("--sample", "also create the sample MariaDB cluster (deploy/samples/mariadb.yaml) and wait until it is Ready")
    .action(async (options: { slot?: string; nodes: string; s3: boolean; operator?: string | boolean; sample?: boolean }, command: Command) => {
      const nodes = Number(options.nodes);
      if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) throw new Error(`--nodes must be an integer in 1..8, not ${options.nodes}`);
      if (typeof options.operator === "string" && options.operator !== "chart" && options.operator !== "host") {
        throw new Error(`--operator must be chart or host, not ${options.operator}`);
      }
      const stateDir = stateDirOf(command);
      const running = runningDaemon(stateDir);
      if (running) {
        console.log(`already running (pid ${running.pid})`);
        printUsage(running);
        if (options.sample) await createSampleCluster(running.kubeconfig);
        return;
      }
      if (process.getuid?.() !== 0) throw new Error("the local cluster needs root: network and mount namespaces, a bridge, /etc/hosts");
      console.log(`starting the local cluster (state in ${stateDir}; the first run builds Kubernetes from the Go module proxy, which takes a while)`);
      const info = await startDaemon({
        stateDir,
        slot: options.slot !== undefined ? Number(options.slot) : undefined,
        nodes,
        withS3: options.s3,
        withOperator: options.operator !== false,
        operatorMode: options.operator === "host" ? "host" : "chart",
        progress: (line) => console.log(`  ${line.replace(/^\S+ /, "")}`),
      });
      printUsage(info);
      if (options.sample) {
        if (options.operator === false) throw new Error("--sample needs the operator (leave out --no-operator)");
        await createSampleCluster(info.kubeconfig);
      }
    });

  local
    .command("down")
    .description("Stop the local cluster and remove everything it created on the host (state stays for the next up)")
    .action(async (_options: object, command: Command) => {
      const stateDir = stateDirOf(command);
      const stopped = await stopDaemon(stateDir);
      console.log(stopped ? "local cluster stopped" : "no local cluster was running");
    });

  local
    .command("status")
    .description("Show what runs")
    .action(async (_options: object, command: Command) => {
      const stateDir = stateDirOf(command);
      const info = readDaemonInfo(stateDir);
      const running = runningDaemon(stateDir);
      if (!running) {
        console.log(`not running${info ? ` (last run: slot ${info.slot}, pid ${info.pid})` : ""}; state dir ${stateDir}`);
        process.exitCode = 3;
        return;
      }
      console.log(`running: pid ${running.pid} since ${running.startedAt}, slot ${running.slot}`);
      console.log(`API server ${running.server}\nkubeconfig ${running.kubeconfig}`);
      if (running.s3) console.log(`S3 ${running.s3.endpoint} (in cluster ${running.s3.endpointInCluster})`);
      if (running.runtimeSocket) {
        const runtime = new RuntimeControl(running.runtimeSocket);
        const status = await runtime.status();
        console.log(`bridge ${status.bridge} pods ${status.podCidr} services ${status.serviceCidr}; runtime RSS ${Math.round(status.rssBytes / 2 ** 20)} MiB`);
        const pods = await runtime.pods();
        for (const node of status.nodes) {
          console.log(`node ${node.name}: ${node.state}; address ${node.address}, pods ${node.podCidr}`);
          for (const pod of pods.filter((p) => p.nodeName === node.name)) {
            const containers = pod.containers.map((c) => `${c.name}:${c.state}${c.restartCount ? `(${c.restartCount} restarts)` : ""}`).join(" ");
            console.log(`  ${pod.namespace}/${pod.name}\t${pod.phase}\t${pod.ip ?? "-"}${pod.networkCut ? " (network cut)" : ""}\t${containers}`);
          }
        }
      }
      try {
        const version = await loadKubeConfig(running.kubeconfig).makeApiClient(VersionApi).getCode();
        console.log(`Kubernetes ${version.gitVersion}`);
      } catch (error) {
        console.log(`API server not answering: ${error instanceof Error ? error.message : String(error)}`);
      }
    });

  local
    .command("kubeconfig")
    .description("Print the path of the local cluster's kubeconfig")
    .action((_options: object, command: Command) => {
      const stateDir = stateDirOf(command);
      const file = readDaemonInfo(stateDir)?.kubeconfig ?? join(stateDir, "kubeconfig");
      if (!existsSync(file)) throw new Error(`no kubeconfig in ${stateDir} yet; start the cluster with: steward local up`);
      console.log(file);
    });

  local
    .command("logs")
    .description("Print a container's log (kubectl logs needs a kubelet API the local runtime does not serve)")
    .argument("<pod>")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-c, --container <name>", "container (default: the only one, or the first with a log)")
    .option("-p, --previous", "the previous run of the container")
    .option("-f, --follow", "keep printing as the log grows")
    .action(async (pod: string, options: { namespace: string; container?: string; previous?: boolean; follow?: boolean }, command: Command) => {
      const dir = podLogDir(stateDirOf(command), options.namespace, pod);
      const containers = readdirSync(dir).filter((f) => f.endsWith(".log") && !f.endsWith(".previous.log")).map((f) => f.slice(0, -4));
      const container = options.container ?? (containers.length === 1 ? containers[0] : undefined);
      if (!container) throw new Error(`pod ${options.namespace}/${pod} has several containers; choose one with -c: ${containers.join(", ")}`);
      const file = join(dir, `${container}${options.previous ? ".previous" : ""}.log`);
      if (!existsSync(file)) throw new Error(`no ${options.previous ? "previous " : ""}log for container ${container} of ${options.namespace}/${pod}`);
      await printLog(file, Boolean(options.follow));
    });

  local
    .command("exec")
    .description("Run a command in a running container (what kubectl exec would do)")
    .argument("<pod>")
    .argument("<command...>")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-c, --container <name>", "container (default: the first)")
    .action(async (pod: string, argv: string[], options: { namespace: string; container?: string }, command: Command) => {
      const result = await control(stateDirOf(command)).exec({ namespace: options.namespace, pod, container: options.container, command: argv, timeoutMs: 10 * 60_000 });
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      process.exitCode = result.exitCode;
    });

  const fault = local.command("fault").description("Inject a fault: crash, network, node, s3");
  fault
    .command("crash")
    .description("SIGKILL every process of a container; it restarts by the pod's restart policy")
    .argument("<pod>")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-c, --container <name>", "container (default: the first)")
    .action(async (pod: string, options: { namespace: string; container?: string }, command: Command) => {
      await control(stateDirOf(command)).crashContainer({ namespace: options.namespace, pod, container: options.container });
    });
  fault
    .command("network")
    .description("Cut a pod's network (its link goes down) or restore it")
    .argument("<pod>")
    .argument("<state>", "cut | restore")
    .option("-n, --namespace <ns>", "namespace", "default")
    .action(async (pod: string, state: string, options: { namespace: string }, command: Command) => {
      if (state !== "cut" && state !== "restore") throw new Error("state must be cut or restore");
      await control(stateDirOf(command)).setNetwork({ namespace: options.namespace, pod, state });
    });
  fault
    .command("node")
    .description(
      "A node fault. stop: a crashed machine (every process of its pods killed, heartbeats stop); start: it boots again. isolate: a partitioned machine (its pods' links and its heartbeats cut, processes alive); restore. Without NAME: every node at once (stop|start only)",
    )
    .argument("<name|state>", "the node (steward local status lists them) then its state; a state alone: every node")
    .argument("[state]", "stop | start | isolate | restore")
    .action(async (first: string, second: string | undefined, _options: object, command: Command) => {
      // One argument is the state of every node (the full crash), as before nodes had names.
      const [node, state] = second === undefined ? [undefined, first] : [first, second];
      if (state !== "stop" && state !== "start" && state !== "isolate" && state !== "restore") throw new Error("state must be stop, start, isolate or restore");
      if (node === undefined && (state === "isolate" || state === "restore")) throw new Error(`${state} needs a node name: steward local fault node NAME ${state}`);
      await control(stateDirOf(command)).setNode({ node, state });
    });
  fault
    .command("s3")
    .description(
      "An S3 fault. stop|start: the server scaled to 0 or back. errors: S3 error answers (503 SlowDown, or --status 500); drop: connections reset after --after-bytes (default 65536) of a request or response; slow: each response held --delay seconds (default 30); missing-bucket: the bucket gone (the server answers NoSuchBucket); clear: none of these. --rate applies it to that share of requests, --for clears it after that many seconds",
    )
    .argument("<mode>", "stop | start | errors | drop | slow | missing-bucket | clear")
    .option("--status <code>", "errors: 503 or 500")
    .option("--after-bytes <n>", "drop: bytes let through before the reset")
    .option("--delay <seconds>", "slow: how long each response is held")
    .option("--rate <share>", "0..1: share of requests hit (default 1)")
    .option("--for <seconds>", "clear by itself after this long")
    .action(async (mode: string, options: { status?: string; afterBytes?: string; delay?: string; rate?: string; for?: string }, command: Command) => {
      // The words first: a mistyped mode is refused whether or not a cluster runs.
      const request = mode === "stop" || mode === "start" ? undefined : faultRequestFromCli(mode === "clear" ? "none" : mode, options);
      const config = loadKubeConfig(requireDaemon(stateDirOf(command)).kubeconfig);
      if (!request) return setS3Running(config, mode === "start");
      const state = await setS3Fault(config, request);
      console.log(`S3 fault: ${state.fault.mode}${state.fault.mode === "none" ? "" : ` (${JSON.stringify(state.fault)}, rate ${state.rate}${state.until ? `, until ${state.until}` : ""})`}; ${state.faulted} of ${state.requests} requests faulted so far`);
    });
  return local;
}
