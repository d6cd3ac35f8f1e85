import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, chownSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { V1PersistentVolume, V1ConfigMap, V1KeyToPath, V1Pod, V1Secret, V1Volume } from "@kubernetes/client-node";
import { resolveFieldRef, resolveResourceFieldRef, type PodFacts } from "./downward.js";
import { isNotFound, type KubeClients } from "./kube.js";

const execFileAsync = promisify(execFile);

/**
 * Volume sources on the host for one pod: the directory each volume's mounts bind from.
 * emptyDir lives in the pod's directory and goes with it; a PVC is its PV's directory under the
 * state dir and outlives the pod; Secret, ConfigMap, downward-API and projected volumes
 * (the service-account token among them) are written like the kubelet's atomic writer does:
 * files behind a `..data` symlink swapped in one rename, so refreshes are seen whole.
 */
export interface VolumeContext {
  pod: V1Pod;
  podDir: string;
  kube: KubeClients;
  facts: PodFacts;
  /** Service-account tokens by volume/path, reused until 80% of their lifetime. */
  tokens: Map<string, { token: string; refreshAt: number }>;
  /** Attaches a network volume to the pod's node; throws WaitingForVolume while another node holds it. */
  attach?(volume: V1PersistentVolume): void;
}

export class WaitingForVolume extends Error {}

interface FileContent {
  content: Buffer;
  mode: number;
}

const DEFAULT_MODE = 0o644;

function keyFiles(data: Record<string, Buffer>, items: V1KeyToPath[] | undefined, defaultMode: number, what: string, optional: boolean): Map<string, FileContent> {
  const files = new Map<string, FileContent>();
  if (!items || items.length === 0) {
    for (const [key, content] of Object.entries(data)) files.set(key, { content, mode: defaultMode });
    return files;
  }
  for (const item of items) {
    const content = data[item.key];
    if (!content) {
      if (optional) continue;
      throw new WaitingForVolume(`${what} has no key ${item.key}`);
    }
    files.set(item.path, { content, mode: item.mode ?? defaultMode });
  }
  return files;
}

async function secretData(ctx: VolumeContext, name: string, optional: boolean): Promise<Record<string, Buffer> | undefined> {
  try {
    const secret: V1Secret = await ctx.kube.core.readNamespacedSecret({ name, namespace: ctx.pod.metadata!.namespace! });
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]));
  } catch (error) {
    if (isNotFound(error) && optional) return undefined;
    if (isNotFound(error)) throw new WaitingForVolume(`secret "${name}" not found`);
    throw error;
  }
}

async function configMapData(ctx: VolumeContext, name: string, optional: boolean): Promise<Record<string, Buffer> | undefined> {
  try {
    const map: V1ConfigMap = await ctx.kube.core.readNamespacedConfigMap({ name, namespace: ctx.pod.metadata!.namespace! });
    const data: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(map.data ?? {})) data[k] = Buffer.from(v, "utf8");
    for (const [k, v] of Object.entries(map.binaryData ?? {})) data[k] = Buffer.from(v, "base64");
    return data;
  } catch (error) {
    if (isNotFound(error) && optional) return undefined;
    if (isNotFound(error)) throw new WaitingForVolume(`configmap "${name}" not found`);
    throw error;
  }
}

async function serviceAccountToken(ctx: VolumeContext, cacheKey: string, audience: string | undefined, expirationSeconds: number): Promise<Buffer> {
  const cached = ctx.tokens.get(cacheKey);
  if (cached && cached.refreshAt > Date.now()) return Buffer.from(cached.token);
  const meta = ctx.pod.metadata!;
  const request = await ctx.kube.core.createNamespacedServiceAccountToken({
    name: ctx.pod.spec?.serviceAccountName ?? "default",
    namespace: meta.namespace!,
    body: {
      spec: {
        audiences: audience ? [audience] : [],
        expirationSeconds,
        boundObjectRef: { apiVersion: "v1", kind: "Pod", name: meta.name!, uid: meta.uid! },
      },
    },
  });
  const token = request.status?.token;
  if (!token) throw new Error("TokenRequest returned no token");
  const expires = request.status?.expirationTimestamp ? new Date(request.status.expirationTimestamp).getTime() : Date.now() + expirationSeconds * 1000;
  ctx.tokens.set(cacheKey, { token, refreshAt: Date.now() + 0.8 * (expires - Date.now()) });
  return Buffer.from(token);
}

function downwardFiles(ctx: VolumeContext, items: { path: string; mode?: number; fieldRef?: { fieldPath: string; apiVersion?: string }; resourceFieldRef?: { resource: string; containerName?: string; divisor?: string } }[], defaultMode: number): Map<string, FileContent> {
  const files = new Map<string, FileContent>();
  for (const item of items) {
    let value = "";
    if (item.fieldRef) value = resolveFieldRef(ctx.pod, item.fieldRef, ctx.facts) ?? "";
    else if (item.resourceFieldRef) value = resolveResourceFieldRef(ctx.pod.spec?.containers ?? [], item.resourceFieldRef, ctx.facts);
    files.set(item.path, { content: Buffer.from(value), mode: item.mode ?? defaultMode });
  }
  return files;
}

/** The files of a Secret/ConfigMap/downwardAPI/projected volume, or undefined for other kinds. */
async function generatedFiles(ctx: VolumeContext, volume: V1Volume): Promise<Map<string, FileContent> | undefined> {
  if (volume.secret) {
    const { secretName = "", optional = false, items, defaultMode = DEFAULT_MODE } = volume.secret;
    const data = (await secretData(ctx, secretName, optional)) ?? {};
    return keyFiles(data, items, defaultMode, `secret "${secretName}"`, optional);
  }
  if (volume.configMap) {
    const { name = "", optional = false, items, defaultMode = DEFAULT_MODE } = volume.configMap;
    const data = (await configMapData(ctx, name, optional)) ?? {};
    return keyFiles(data, items, defaultMode, `configmap "${name}"`, optional);
  }
  if (volume.downwardAPI) return downwardFiles(ctx, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? DEFAULT_MODE);
  if (volume.projected) {
    const defaultMode = volume.projected.defaultMode ?? DEFAULT_MODE;
    const files = new Map<string, FileContent>();
    for (const source of volume.projected.sources ?? []) {
      let part: Map<string, FileContent> = new Map();
      if (source.secret) {
        const data = (await secretData(ctx, source.secret.name ?? "", source.secret.optional ?? false)) ?? {};
        part = keyFiles(data, source.secret.items, defaultMode, `secret "${source.secret.name}"`, source.secret.optional ?? false);
      } else if (source.configMap) {
        const data = (await configMapData(ctx, source.configMap.name ?? "", source.configMap.optional ?? false)) ?? {};
        part = keyFiles(data, source.configMap.items, defaultMode, `configmap "${source.configMap.name}"`, source.configMap.optional ?? false);
      } else if (source.downwardAPI) {
        part = downwardFiles(ctx, source.downwardAPI.items ?? [], defaultMode);
      } else if (source.serviceAccountToken) {
        const { path, audience, expirationSeconds = 3607 } = source.serviceAccountToken;
        part.set(path, { content: await serviceAccountToken(ctx, `${volume.name}/${path}`, audience, expirationSeconds), mode: defaultMode });
      }
      for (const [path, file] of part) files.set(path, file);
    }
    return files;
  }
  return undefined;
}

function fingerprint(files: Map<string, FileContent>, gid: number | undefined): string {
  const hash = createHash("sha256").update(String(gid));
  for (const [path, file] of [...files].sort(([a], [b]) => a.localeCompare(b))) hash.update(path).update(String(file.mode)).update(file.content);
  return hash.digest("hex");
}

/** The kubelet's atomic writer: a new timestamped directory, `..data` swapped to it by rename. */
function writeAtomically(dir: string, files: Map<string, FileContent>, gid: number | undefined): void {
  const stamp = join(dir, ".fingerprint");
  const print = fingerprint(files, gid);
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === print) return;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const version = `..${new Date().toISOString().replace(/[:.]/g, "_")}.${randomBytes(3).toString("hex")}`;
  const versionDir = join(dir, version);
  mkdirSync(versionDir, { mode: 0o755 });
  for (const [path, file] of files) {
    const target = join(versionDir, path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, file.content, { mode: file.mode });
    chmodSync(target, file.mode);
    if (gid !== undefined) chownSync(target, 0, gid);
  }
  symlinkSync(version, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  const topLevel = new Set([...files.keys()].map((path) => path.split("/")[0]!));
  for (const name of topLevel) if (!existsSync(join(dir, name))) symlinkSync(join("..data", name), join(dir, name));
  for (const entry of readdirSync(dir)) {
    if (entry === "..data" || entry === version || entry === ".fingerprint" || topLevel.has(entry)) continue;
    const path = join(dir, entry);
    if (entry.startsWith("..") || lstatSync(path).isSymbolicLink()) rmSync(path, { recursive: true, force: true });
  }
  writeFileSync(stamp, print);
}

async function persistentVolumePath(ctx: VolumeContext, claimName: string): Promise<string> {
  const namespace = ctx.pod.metadata!.namespace!;
  let claim;
  try {
    claim = await ctx.kube.core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace });
  } catch (error) {
    if (isNotFound(error)) throw new WaitingForVolume(`persistentvolumeclaim "${claimName}" not found`);
    throw error;
  }
  if (claim.status?.phase !== "Bound" || !claim.spec?.volumeName) throw new WaitingForVolume(`persistentvolumeclaim "${claimName}" is not bound yet`);
  const volume = await ctx.kube.core.readPersistentVolume({ name: claim.spec.volumeName });
  const path = volume.spec?.hostPath?.path ?? volume.spec?.local?.path;
  if (!path) throw new WaitingForVolume(`persistentvolume "${claim.spec.volumeName}" is neither hostPath nor local: the local runtime cannot mount it`);
  ctx.attach?.(volume);
  mkdirSync(path, { recursive: true });
  return path;
}

/** fsGroup: the volume's files belong to the group, as the kubelet's SetVolumeOwnership does. */
async function applyFsGroup(path: string, gid: number, policy: string | undefined): Promise<void> {
  if (policy === "OnRootMismatch" && lstatSync(path).gid === gid) return;
  await execFileAsync("chgrp", ["-R", String(gid), path]);
  await execFileAsync("chmod", ["-R", "g+rwX", path]);
  await execFileAsync("find", [path, "-type", "d", "-exec", "chmod", "g+s", "{}", "+"]);
}

/** Prepares every volume of the pod and returns the host path each one's mounts bind from. */
export async function prepareVolumes(ctx: VolumeContext): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  const security = ctx.pod.spec?.securityContext;
  const fsGroup = security?.fsGroup;
  for (const volume of ctx.pod.spec?.volumes ?? []) {
    const generated = await generatedFiles(ctx, volume);
    const own = join(ctx.podDir, "volumes", volume.name);
    if (generated) {
      writeAtomically(own, generated, fsGroup);
      paths.set(volume.name, own);
    } else if (volume.emptyDir) {
      if (!existsSync(own)) mkdirSync(own, { recursive: true, mode: 0o777 });
      chmodSync(own, 0o777);
      if (fsGroup !== undefined) await applyFsGroup(own, fsGroup, security?.fsGroupChangePolicy);
      paths.set(volume.name, own);
    } else if (volume.persistentVolumeClaim || volume.ephemeral) {
      const claim = volume.persistentVolumeClaim?.claimName ?? `${ctx.pod.metadata!.name}-${volume.name}`;
      const path = await persistentVolumePath(ctx, claim);
      if (fsGroup !== undefined) await applyFsGroup(path, fsGroup, security?.fsGroupChangePolicy);
      paths.set(volume.name, path);
    } else if (volume.hostPath) {
      const type = volume.hostPath.type ?? "";
      if (type === "DirectoryOrCreate") mkdirSync(volume.hostPath.path, { recursive: true, mode: 0o755 });
      else if (type === "FileOrCreate" && !existsSync(volume.hostPath.path)) writeFileSync(volume.hostPath.path, "");
      else if (!existsSync(volume.hostPath.path) && type !== "") throw new WaitingForVolume(`hostPath ${volume.hostPath.path} does not exist`);
      paths.set(volume.name, volume.hostPath.path);
    } else {
      throw new WaitingForVolume(`volume "${volume.name}": this kind of volume is not supported by the local runtime (supported: emptyDir, persistentVolumeClaim, ephemeral, hostPath, secret, configMap, downwardAPI, projected)`);
    }
  }
  return paths;
}

/** Rewrites the generated volumes (Secrets and ConfigMaps change, tokens expire, labels move). */
export async function refreshGeneratedVolumes(ctx: VolumeContext): Promise<void> {
  for (const volume of ctx.pod.spec?.volumes ?? []) {
    const generated = await generatedFiles(ctx, volume).catch(() => undefined);
    if (generated) writeAtomically(join(ctx.podDir, "volumes", volume.name), generated, ctx.pod.spec?.securityContext?.fsGroup);
  }
}
