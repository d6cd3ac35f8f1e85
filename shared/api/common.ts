import { z } from "zod";

export * from "./names.js";

/** A Kubernetes resource quantity such as 10Gi or 500m; the API server checks the value with CEL `isQuantity`. */
export const quantity = z
  .union([z.string(), z.number()])
  .meta({ "x-kubernetes-int-or-string": true, "x-steward-quantity": true });

/** A quantity CEL rule for one field of an object: a quantity, and not negative. */
function quantityRule(field: string, example: string): { rule: string; message: string; fieldPath: string } {
  return {
    rule: `!has(self.${field}) || (isQuantity(string(self.${field})) && !quantity(string(self.${field})).isLessThan(quantity('0')))`,
    message: `${field} must be a non-negative quantity such as ${example}`,
    fieldPath: `.${field}`,
  };
}

export const resourceList = z
  .object({
    cpu: quantity.optional(),
    memory: quantity.optional(),
  })
  .meta({ "x-kubernetes-validations": [quantityRule("cpu", "500m or 2"), quantityRule("memory", "512Mi or 2Gi")] });

/** Both quantities of a field, when both parse: requests may not exceed limits (the pod would be refused). */
function requestWithinLimit(field: "cpu" | "memory"): { rule: string; message: string; fieldPath: string } {
  const request = `self.requests.${field}`;
  const limit = `self.limits.${field}`;
  return {
    rule:
      `!has(self.requests) || !has(self.limits) || !has(${request}) || !has(${limit}) || ` +
      `!isQuantity(string(${request})) || !isQuantity(string(${limit})) || ` +
      `quantity(string(${request})).compareTo(quantity(string(${limit}))) <= 0`,
    message: `requests.${field} must not exceed limits.${field}`,
    fieldPath: `.requests.${field}`,
  };
}

export const resourceRequirements = z
  .object({
    requests: resourceList.optional(),
    limits: resourceList.optional(),
  })
  .meta({ "x-kubernetes-validations": [requestWithinLimit("cpu"), requestWithinLimit("memory")] });

// A DNS-1123 subdomain, what Kubernetes accepts as the name of a Secret, a cluster or a backup.
const OBJECT_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const OBJECT_NAME_MESSAGE = "must be a DNS-1123 name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit";

/**
 * The name of another object in the namespace. Checked at admission (CEL, with a message) so a
 * name like `../other` or `a/b` never reaches a lookup, a Job argument or an S3 key.
 */
export function objectName(max = 253) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((text) => new RegExp(OBJECT_NAME_PATTERN).test(text), OBJECT_NAME_MESSAGE)
    .meta({ "x-kubernetes-validations": [{ rule: `self.matches('${OBJECT_NAME_PATTERN}')`, message: OBJECT_NAME_MESSAGE }] });
}

export const localObjectReference = z.object({
  name: objectName(),
});

export const secretKeySelector = z.object({
  name: objectName(),
  key: z.string().min(1).max(253),
});

export const conditionStatus = z.enum(["True", "False", "Unknown"]);

export const condition = z.object({
  type: z.string().min(1).max(316),
  status: conditionStatus,
  reason: z.string().max(1024),
  message: z.string().max(32768),
  lastTransitionTime: z.string(),
  observedGeneration: z.int().min(0).optional(),
});
export type Condition = z.infer<typeof condition>;

export const objectMeta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.union([z.string(), z.date()]).optional(),
  deletionTimestamp: z.union([z.string(), z.date()]).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(z.looseObject({ uid: z.string(), kind: z.string(), name: z.string() })).optional(),
});
export type ObjectMeta = z.infer<typeof objectMeta>;

/** A duration written as a number and a unit: 90s, 15m, 12h, 30d. */
export const durationString = z.string().regex(/^[0-9]+(s|m|h|d)$/);

export function parseDuration(text: string): number {
  const match = /^([0-9]+)(s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration like 90s, 15m, 12h or 30d`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

/** Kubernetes object names Steward derives from a cluster name must stay within 63 characters. */
export const MAX_CLUSTER_NAME = 40;
