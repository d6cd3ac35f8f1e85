/**
 * The runtime's control API (HTTP on the unix socket <stateDir>/runtime.sock): faults and
 * inspection for tests that run in another process than the runtime. Shared by the server and
 * the typed client.
 */
export interface PodRef {
  namespace: string;
  pod: string;
}

export interface ContainerRef extends PodRef {
  /** Defaults to the pod's first container. */
  container?: string;
}

export interface ExecRequest extends ContainerRef {
  command: string[];
  timeoutMs?: number;
}

export interface ExecResponse {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ContainerInfo {
  name: string;
  pid?: number;
  state: "waiting" | "running" | "terminated";
  reason?: string;
  restartCount: number;
  ready: boolean;
  logFile: string;
}

export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  ip?: string;
  netns?: string;
  hostVeth?: string;
  phase: string;
  networkCut: boolean;
  containers: ContainerInfo[];
}

/** running; stopped (a crashed machine: processes killed, no heartbeats); isolated (a partitioned one: processes alive, links and heartbeats cut). */
export type NodeState = "running" | "stopped" | "isolated";

export interface NodeInfo {
  name: string;
  state: NodeState;
  address: string;
  podCidr: string;
  pods: number;
}

export interface RuntimeStatus {
  pid: number;
  slot: number;
  /** The first node (the only one of a one-node cluster). */
  nodeName: string;
  /** stopped when every node is. */
  node: "running" | "stopped";
  nodes: NodeInfo[];
  bridge: string;
  podCidr: string;
  serviceCidr: string;
  pods: number;
  proxiedConnections: number;
  rssBytes: number;
}

export interface NetworkFault extends PodRef {
  state: "cut" | "restore";
}

export interface NodeFault {
  /** One node by name; without it, every node (the whole cluster's machines at once). */
  node?: string;
  state: "stop" | "start" | "isolate" | "restore";
}
