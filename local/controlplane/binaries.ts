import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const CONTROL_PLANE_PROGRAMS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"] as const;
export type ControlPlaneProgram = (typeof CONTROL_PLANE_PROGRAMS)[number];
export type ControlPlaneBinaries = Record<ControlPlaneProgram, string>;

/** local/k8s in the source tree, found from this file whether it runs from source or from dist/. */
export function goModuleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "local", "k8s");
    if (existsSync(join(candidate, "go.mod"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("cannot find local/k8s/go.mod above " + fileURLToPath(import.meta.url));
}

export function pinnedKubernetesVersion(): string {
  return readFileSync(join(goModuleDir(), "VERSION"), "utf8").trim();
}

export function cacheDir(): string {
  return process.env.STEWARD_CACHE ?? join(homedir(), ".cache", "steward");
}

/**
 * Finds the control-plane binaries: from KUBEBUILDER_ASSETS where it has them (the envtest
 * convention; setup-envtest ships etcd, kube-apiserver and kubectl), the rest from Steward's
 * own build of the pinned release, built with Go on first use and cached outside the repository.
 */
export function resolveBinaries(log: (line: string) => void = () => {}): ControlPlaneBinaries {
  const assets = process.env.KUBEBUILDER_ASSETS;
  const fromAssets = (program: ControlPlaneProgram) => (assets && existsSync(join(assets, program)) ? resolve(assets, program) : undefined);
  const missing = CONTROL_PLANE_PROGRAMS.filter((program) => !fromAssets(program));
  let built: string | undefined;
  if (missing.length > 0) {
    if (assets) log(`KUBEBUILDER_ASSETS lacks ${missing.join(", ")}; using Steward's build for those`);
    built = buildControlPlane(log);
  }
  const binaries = {} as ControlPlaneBinaries;
  for (const program of CONTROL_PLANE_PROGRAMS) binaries[program] = fromAssets(program) ?? join(dirname(built!), program);
  return binaries;
}

/** Runs local/k8s/build.sh, which is a no-op when the cached binary matches the sources. */
export function buildControlPlane(log: (line: string) => void = () => {}): string {
  const dir = goModuleDir();
  const expected = join(cacheDir(), `k8s-${pinnedKubernetesVersion()}`, "k8s");
  if (!existsSync(expected)) log(`building Kubernetes ${pinnedKubernetesVersion()} from the Go module proxy into ${dirname(expected)} (first run only)`);
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
  } catch {
    if (existsSync(expected)) return expected;
    throw new Error("Go is needed to build the local control plane (or set KUBEBUILDER_ASSETS to a directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kubectl)");
  }
  const out = execFileSync("bash", [join(dir, "build.sh")], {
    env: { ...process.env, STEWARD_CACHE: cacheDir() },
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * 1024 * 1024,
  });
  return out.toString().trim().split("\n").pop()!;
}
