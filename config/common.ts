import { z } from "zod";
import { isQuantity, parseQuantity } from "../components/k8s/quantity";

/**
 * Schema building blocks shared by every section of the stack config. Each carries the message a user sees, so an
 * error always says what is allowed.
 */

/** A DNS-1123 label: the name of a namespace or any Kubernetes object we create. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters");

/** A DNS name such as `grafana.staging.example.com`. */
export const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a fully qualified lowercase DNS name");

export const cpuQuantity = z
  .string()
  .refine((v) => isQuantity(v) && parseQuantity(v) > 0, "a positive CPU quantity such as 250m or 2");

export const memoryQuantity = z
  .string()
  .refine((v) => isQuantity(v) && parseQuantity(v) >= 2 ** 20, "a memory quantity of at least 1Mi, such as 512Mi or 2Gi");

export const storageQuantity = z
  .string()
  .refine((v) => isQuantity(v) && parseQuantity(v) >= 2 ** 30, "a storage quantity of at least 1Gi, such as 20Gi");

/** A Prometheus/Go duration such as `30s`, `5m`, `15d`. */
export const promDuration = z
  .string()
  .regex(/^(\d+(ms|s|m|h|d|w|y))+$/, "a duration such as 30s, 5m, 12h or 15d");

/** Parses a Prometheus-style duration into seconds. */
export function durationSeconds(value: string): number {
  const unit: Record<string, number> = { ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  for (const [, n, u] of value.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * unit[u];
  return total;
}

/** A container image pinned to a version tag (and optionally a digest); `latest` and untagged images are refused. */
export const pinnedImage = z
  .string()
  .regex(
    /^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*:(?!latest$)[\w][\w.-]{0,127}(@sha256:[a-f0-9]{64})?$/,
    "an image pinned to a version tag such as registry/name:v1.2.3 (not 'latest', not untagged)",
  );

export const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as eu-west-1");

export const arn = (service: string) =>
  z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `an ARN of the ${service} service (arn:aws:${service}:...)`);

export const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "an IPv4 CIDR block such as 10.0.0.0/16");

/** Requests and limits of one container. A memory limit is mandatory; a CPU limit is optional (throttling). */
export const resources = z
  .strictObject({
    requests: z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity }),
    limits: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity }),
  })
  .superRefine((r, ctx) => {
    if (parseQuantity(r.limits.memory) < parseQuantity(r.requests.memory)) {
      ctx.addIssue({
        code: "custom",
        path: ["limits", "memory"],
        input: r.limits.memory,
        message: `a memory limit at least the request (${r.requests.memory})`,
      });
    }
    if (r.limits.cpu && parseQuantity(r.limits.cpu) < parseQuantity(r.requests.cpu)) {
      ctx.addIssue({
        code: "custom",
        path: ["limits", "cpu"],
        input: r.limits.cpu,
        message: `a CPU limit at least the request (${r.requests.cpu})`,
      });
    }
  });
export type Resources = z.infer<typeof resources>;

/** Shorthand for a resources default. */
export function res(cpu: string, memory: string, memoryLimit: string, cpuLimit?: string): Resources {
  return { requests: { cpu, memory }, limits: cpuLimit ? { cpu: cpuLimit, memory: memoryLimit } : { memory: memoryLimit } };
}

/**
 * A PodDisruptionBudget's `maxUnavailable` must leave at least one replica serving, otherwise the PDB would allow a
 * drain to take the whole tier down.
 */
type PdbFields = { replicas: number; maxUnavailable: number };

function pdbLeavesOneServing(w: PdbFields, ctx: z.RefinementCtx) {
  if (w.replicas > 1 && w.maxUnavailable >= w.replicas) {
    ctx.addIssue({
      code: "custom",
      path: ["maxUnavailable"],
      input: w.maxUnavailable,
      message: `fewer than replicas (${w.replicas}), so a disruption never takes every replica down`,
    });
  }
}

function workloadShape(defaults: { replicas: number; resources: Resources; maxUnavailable?: number }) {
  return {
    replicas: z.number().int().min(1, "an integer >= 1").max(20, "an integer <= 20").default(defaults.replicas),
    resources: resources.default(defaults.resources),
    maxUnavailable: z.number().int().min(1, "an integer >= 1").default(defaults.maxUnavailable ?? 1),
  };
}

/**
 * A replicated workload: replica count, container resources and its PodDisruptionBudget, plus any fields of its own
 * (`extra`), all in one strict object.
 */
export function workload<E extends z.ZodRawShape = {}>(
  defaults: { replicas: number; resources: Resources; maxUnavailable?: number },
  extra: E = {} as E,
) {
  return z.strictObject({ ...workloadShape(defaults), ...extra }).superRefine((w, ctx) => pdbLeavesOneServing(w as PdbFields, ctx));
}
export type Workload = z.infer<ReturnType<typeof workload>>;

/** A workload with one PersistentVolumeClaim per replica (`storage` is its size). */
export function statefulWorkload<E extends z.ZodRawShape = {}>(
  defaults: { replicas: number; resources: Resources; storage: string; maxUnavailable?: number },
  extra: E = {} as E,
) {
  return z
    .strictObject({ ...workloadShape(defaults), storage: storageQuantity.default(defaults.storage), ...extra })
    .superRefine((w, ctx) => pdbLeavesOneServing(w as PdbFields, ctx));
}
export type StatefulWorkload = z.infer<ReturnType<typeof statefulWorkload>>;
