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
  ip?: string;
  netns?: string;
  hostVeth?: string;
  phase: string;
  networkCut: boolean;
  containers: ContainerInfo[];
}

export interface RuntimeStatus {
  pid: number;
  slot: number;
  nodeName: string;
  node: "running" | "stopped";
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
  state: "stop" | "start";
}
