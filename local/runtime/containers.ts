import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { recordCreatedMountpoint, shellQuote } from "./slot-lease.js";
import { DEFAULT_PATH, expandReferences } from "./env.js";
import { hostArgv } from "./image-binaries.js";

/**
 * A container is a process tree: joined to the pod's network namespace, in a mount and UTS
 * namespace of its own (volumes bind-mounted at their mountPath, the pod's hosts and resolv.conf
 * over the host's, the pod's hostname), in a cgroup of its own (so a kill reaches every
 * descendant), as the spec's user where the host has one. The host's filesystem and binaries
 * are shared: there is no image, so the command runs as the spec names it.
 */
export interface ContainerUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function passwd(): PasswdEntry[] {
  return readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .filter((f) => f.length >= 7)
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }));
}

function supplementaryGroups(userName: string): number[] {
  return readFileSync("/etc/group", "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .filter((f) => f.length >= 4 && f[3]!.split(",").includes(userName))
    .map((f) => Number(f[2]));
}

/**
 * The user a container runs as: securityContext.runAsUser/runAsGroup (container over pod), the
 * pod's fsGroup and supplementalGroups added. A uid the host does not know cannot own the host's
 * files an image would have given it, so such a container runs as root (a warning goes to its log).
 */
export function containerUser(pod: V1Pod, container: V1Container): { user: ContainerUser; warning?: string } {
  const podSecurity = pod.spec?.securityContext;
  const uid = container.securityContext?.runAsUser ?? podSecurity?.runAsUser ?? 0;
  const runAsGroup = container.securityContext?.runAsGroup ?? podSecurity?.runAsGroup;
  const extra = [...(podSecurity?.fsGroup !== undefined ? [podSecurity.fsGroup] : []), ...(podSecurity?.supplementalGroups ?? [])];
  const entry = passwd().find((e) => e.uid === uid);
  if (!entry) {
    return {
      user: { uid: 0, gid: 0, groups: extra, home: "/root" },
      warning: `runAsUser ${uid} does not exist on this host; the local runtime runs the container as root`,
    };
  }
  const groups = [...new Set([...supplementaryGroups(entry.name), ...extra])];
  return { user: { uid, gid: runAsGroup ?? entry.gid, groups, home: entry.home } };
}

function setprivArgs(user: ContainerUser): string[] {
  const groups = user.groups.length > 0 ? [`--groups=${user.groups.join(",")}`] : ["--clear-groups"];
  if (user.uid === 0 && user.gid === 0) return user.groups.length > 0 ? groups : [];
  return [`--reuid=${user.uid}`, `--regid=${user.gid}`, ...groups];
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface LaunchSpec {
  containerDir: string;
  netns: string;
  hostname: string;
  /** The container's cgroup directory, or undefined to use a process group instead. */
  cgroup?: string;
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  mounts: Mount[];
  user: ContainerUser;
  logFile: string;
  /** Written by the wrapper when the command cannot be found, read back as the waiting reason. */
  startErrorFile: string;
  warning?: string;
}

export interface ContainerProcess {
  pid: number;
  exited: Promise<{ exitCode: number; signal?: string }>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/** The command line the spec asks for: command + args, with $(VAR) expanded, an image's own binary mapped to the host's (image-binaries.ts). Without a command, args run as one (no image entrypoint exists). */
export function containerArgv(container: V1Container, env: Record<string, string>): string[] {
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((part) => expandReferences(part, env));
  return hostArgv(argv);
}

/**
 * Mount targets must exist. One nested in another mount of the same container is created inside
 * the namespace, in the parent volume; the others are created on the host (shared filesystem) and
 * recorded, so the last slot to go down can remove the empty ones again.
 */
function ensureHostMountpoint(target: string, isFile: boolean): void {
  if (existsSync(target)) return;
  const missing: string[] = [];
  for (let dir = dirname(target); !existsSync(dir); dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) {
    mkdirSync(dir);
    recordCreatedMountpoint(dir);
  }
  if (isFile) writeFileSync(target, "");
  else mkdirSync(target);
  recordCreatedMountpoint(target);
}

function isUnder(path: string, ancestor: string): boolean {
  return path !== ancestor && path.startsWith(ancestor.endsWith("/") ? ancestor : ancestor + "/");
}

/** A path with the symbolic links of its existing part resolved (the rest does not exist yet). */
export function realTarget(target: string): string {
  let existing = target;
  while (!existsSync(existing) && existing !== "/") existing = dirname(existing);
  const real = realpathSync(existing);
  const rest = target.slice(existing === "/" ? 0 : existing.length);
  return (real === "/" ? "" : real) + (rest.startsWith("/") || rest === "" ? rest : `/${rest}`) || "/";
}

/**
 * Where a container's mount sources are staged inside its own mount namespace (a private tmpfs
 * over this host directory, which the runtime creates). Staging first means a volume mounted at,
 * say, /tmp cannot hide the sources of later mounts that live in a state directory under /tmp.
 */
export const MOUNT_STAGING_DIR = "/run/steward/mount-staging";

/**
 * The shell lines that build a container's mounts. Every source is first bound into the staging
 * tmpfs; then each top-level target's tree (its nested mounts, parents before children) is built
 * inside its staged copy and moved into place with one recursive bind. A top-level target that
 * would hide the staging directory itself (/run, say) is placed last.
 */
export function mountLines(mounts: Mount[], staging = MOUNT_STAGING_DIR): string[] {
  const lines = [`mount -t tmpfs -o size=1m,mode=700 steward-staging ${shellQuote(staging)}`];
  // Targets are compared by their real paths: /var/run/x is /run/x on Debian, and a volume there
  // must count as covering the staging directory.
  const staged = mounts.map((mount, index) => ({ ...mount, target: realTarget(mount.target), isFile: statSync(mount.source).isFile(), path: `${staging}/${index}` }));
  for (const mount of staged) {
    lines.push(mount.isFile ? `: > ${shellQuote(mount.path)}` : `mkdir ${shellQuote(mount.path)}`);
    lines.push(`mount --bind ${shellQuote(mount.source)} ${shellQuote(mount.path)}`);
  }
  const topLevel = staged.filter((mount) => !staged.some((other) => isUnder(mount.target, other.target)));
  topLevel.sort((a, b) => Number(isUnder(staging, a.target) || staging === a.target) - Number(isUnder(staging, b.target) || staging === b.target));
  for (const top of topLevel) {
    const nested = staged.filter((mount) => isUnder(mount.target, top.target)).sort((a, b) => a.target.split("/").length - b.target.split("/").length);
    for (const child of nested) {
      const inStaging = top.path + child.target.slice(top.target.length);
      lines.push(child.isFile ? `[ -e ${shellQuote(inStaging)} ] || { mkdir -p ${shellQuote(dirname(inStaging))}; : > ${shellQuote(inStaging)}; }` : `mkdir -p ${shellQuote(inStaging)}`);
      lines.push(`mount --bind ${shellQuote(child.path)} ${shellQuote(inStaging)}`);
    }
    ensureHostMountpoint(top.target, top.isFile);
    lines.push(`mount --rbind ${shellQuote(top.path)} ${shellQuote(top.target)}`);
  }
  for (const mount of staged) if (mount.readOnly) lines.push(`mount -o remount,bind,ro ${shellQuote(mount.target)}`);
  return lines;
}

function wrapperScript(spec: LaunchSpec): string {
  const lines = ["# Generated by the Steward local runtime: sets up one container's mount and UTS namespace, then runs its command.", `__steward_path="$PATH"`, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "set -e"];
  lines.push(...mountLines(spec.mounts));
  lines.push(`echo ${shellQuote(spec.hostname)} > /proc/sys/kernel/hostname`);
  if (spec.workingDir) lines.push(`mkdir -p ${shellQuote(spec.workingDir)}`, `cd ${shellQuote(spec.workingDir)}`);
  if (spec.warning) lines.push(`echo ${shellQuote(`[steward local runtime] ${spec.warning}`)} >&2`);
  lines.push("set +e", 'PATH="$__steward_path"', "unset __steward_path");
  const notFound = `{ echo "exec: \\"$1\\": executable file not found in \\$PATH ($PATH)" | tee ${shellQuote(spec.startErrorFile)} >&2; exit 127; }`;
  lines.push(`case "$1" in */*) [ -f "$1" ] && [ -x "$1" ] || ${notFound} ;; *) command -v "$1" >/dev/null 2>&1 || ${notFound} ;; esac`);
  const setpriv = setprivArgs(spec.user);
  lines.push(setpriv.length > 0 ? `exec /usr/bin/setpriv ${setpriv.join(" ")} -- "$@"` : 'exec "$@"');
  return lines.join("\n") + "\n";
}

export function launchContainer(spec: LaunchSpec): ContainerProcess {
  mkdirSync(spec.containerDir, { recursive: true });
  mkdirSync(MOUNT_STAGING_DIR, { recursive: true });
  mkdirSync(dirname(spec.logFile), { recursive: true });
  // One previous log is kept, as `kubectl logs --previous` can show.
  if (existsSync(spec.logFile) && statSync(spec.logFile).size > 0) renameSync(spec.logFile, spec.logFile.replace(/\.log$/, ".previous.log"));
  rmSync(spec.startErrorFile, { force: true });
  const script = join(spec.containerDir, "start.sh");
  writeFileSync(script, wrapperScript(spec), { mode: 0o700 });
  const joinCgroup = spec.cgroup ? `echo $$ > ${shellQuote(join(spec.cgroup, "cgroup.procs"))} && ` : "";
  const command = `${joinCgroup}exec /usr/bin/nsenter --net=/run/netns/${spec.netns} -- /usr/bin/unshare --mount --uts --propagation private -- /bin/sh ${shellQuote(script)} "$@"`;
  const fd = openSync(spec.logFile, "a");
  const env = { ...spec.env, HOME: spec.env.HOME ?? spec.user.home };
  const child = spawn("/bin/sh", ["-c", command, "sh", ...spec.argv], { env, stdio: ["ignore", fd, fd], cwd: "/", detached: !spec.cgroup });
  closeSync(fd);
  const exited = new Promise<{ exitCode: number; signal?: string }>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ? { exitCode: 128 + (SIGNALS[signal] ?? 0), signal } : { exitCode: code ?? 0 }));
    child.once("error", () => resolve({ exitCode: 128 }));
  });
  return { pid: child.pid ?? -1, exited };
}

export function readStartError(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a command inside a running container's namespaces (exec probes, preStop hooks, `exec`
 * from tests), as the container's user, in its cgroup so that killing the container ends it too.
 */
export function execInContainer(target: { pid: number; cgroup?: string; user: ContainerUser; env: Record<string, string>; workingDir?: string }, command: string[], timeoutMs: number): Promise<ExecResult> {
  const setpriv = setprivArgs(target.user);
  const runAs = setpriv.length > 0 ? `exec /usr/bin/setpriv ${setpriv.join(" ")} -- "$@"` : 'exec "$@"';
  const joinCgroup = target.cgroup ? `echo $$ > ${shellQuote(join(target.cgroup, "cgroup.procs"))} 2>/dev/null; ` : "";
  const inner = `cd ${shellQuote(target.workingDir ?? "/")} 2>/dev/null; ${runAs}`;
  const script = `${joinCgroup}exec /usr/bin/nsenter -t ${target.pid} --net --mount --uts -- /bin/sh -c ${shellQuote(inner)} sh "$@"`;
  const env = { PATH: DEFAULT_PATH, ...target.env, HOME: target.env.HOME ?? target.user.home };
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", script, "sh", ...command], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    const limit = 1 << 20;
    child.stdout.on("data", (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-limit)));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-limit)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : 1), stdout, stderr, timedOut });
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ exitCode: 126, stdout, stderr: error.message, timedOut });
    });
  });
}
