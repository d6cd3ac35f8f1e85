import { randomInt } from "node:crypto";
import { RESOURCES, isAlreadyExists, isConflict, type KubeClient, type KubeObject } from "./k8s/client.js";
import { ownerReference } from "./k8s/owner.js";
import type { ObjectCache } from "./runtime/informer-factory.js";

const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A random password from the CSPRNG. Alphanumeric so that it survives every engine's
 * config syntax, URIs and shells unquoted; randomInt rejects out-of-range draws, so each
 * character is uniform (no modulo bias). 32 characters are about 190 bits.
 */
export function generatePassword(length = 32): string {
  if (!Number.isInteger(length) || length < 1) throw new Error(`password length must be a positive integer, got ${length}`);
  let password = "";
  for (let i = 0; i < length; i++) password += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return password;
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

function decode(secret: SecretObject): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) values[key] = Buffer.from(value, "base64").toString("utf8");
  return values;
}

function encode(values: Record<string, string>): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) data[key] = Buffer.from(value, "utf8").toString("base64");
  return data;
}

export async function readSecret(client: KubeClient, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  const secret = await client.get<SecretObject>(RESOURCES.Secret, namespace, name);
  return secret ? decode(secret) : undefined;
}

export interface EnsureSecretOptions {
  namespace: string;
  name: string;
  owner?: KubeObject;
  labels?: Record<string, string>;
  type?: string;
  /** The values a new Secret gets; called on every ensure, only keys the Secret lacks are used. */
  generate: () => Record<string, string>;
}

const MAX_ATTEMPTS = 5;

/**
 * Makes sure the Secret exists with every key `generate` names, and returns its decoded
 * values. Existing values are never replaced (a regenerated password would lock the
 * operator out of its own database); keys the Secret lacks are added under a
 * resourceVersion precondition, so two racing callers cannot both believe their value won.
 */
export async function ensureSecret(client: KubeClient, options: EnsureSecretOptions, cache?: ObjectCache): Promise<Record<string, string>> {
  const { namespace, name } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      // The shared cache first (an idle reconcile then sends nothing): the values are never
      // replaced, so a cached copy holds them; a stale one only makes the patch below conflict.
      const fromCache = attempt === 1 ? (cache?.cached(RESOURCES.Secret, namespace, name) as SecretObject | undefined) : undefined;
      const existing = fromCache ?? (await client.get<SecretObject>(RESOURCES.Secret, namespace, name));
      const generated = options.generate();
      if (!existing) {
        await client.create({
          apiVersion: "v1",
          kind: "Secret",
          metadata: {
            name,
            namespace,
            labels: options.labels,
            ownerReferences: options.owner ? [ownerReference(options.owner)] : undefined,
          },
          type: options.type ?? "Opaque",
          data: encode(generated),
        });
        return generated;
      }
      const current = decode(existing);
      const missing = Object.fromEntries(Object.entries(generated).filter(([key]) => !(key in current)));
      // A Secret made before its labels (the owned-objects selector among them) gets them, so the operator's watch sees it again.
      const missingLabels = Object.fromEntries(Object.entries(options.labels ?? {}).filter(([key, value]) => existing.metadata.labels?.[key] !== value));
      if (Object.keys(missing).length === 0 && Object.keys(missingLabels).length === 0) return current;
      await client.mergePatch(RESOURCES.Secret, namespace, name, {
        metadata: { resourceVersion: existing.metadata.resourceVersion, ...(Object.keys(missingLabels).length > 0 ? { labels: missingLabels } : {}) },
        ...(Object.keys(missing).length > 0 ? { data: encode(missing) } : {}),
      });
      return { ...current, ...missing };
    } catch (error) {
      // Someone else created or changed it first: read theirs and add only what is still missing.
      if (!(isAlreadyExists(error) || isConflict(error)) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
