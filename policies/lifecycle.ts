import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { parse as parseYaml } from "yaml";
import { type Props, configWithDefaults, describe, isOneOf, list, record, str } from "./common";
import { aws, k8s } from "./tokens";

const day = 86_400;

const unitSeconds: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3_600, d: day, w: 7 * day, y: 365 * day };

/** Seconds of a Prometheus/Loki duration ("365d", "8760h", "1h30m"); undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text.trim()) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unitSeconds[p[2]], 0);
}

/**
 * A value, or undefined when the analyzer cannot know it yet: during a first preview a ConfigMap built from another
 * resource's outputs is unknown, and reading it throws. Such a ConfigMap is not the Loki config, which holds no outputs.
 */
function knownValue(data: Props, key: string): unknown {
  try {
    return data[key];
  } catch {
    return undefined;
  }
}

/** How long the stack's logs must stay in the bucket, and where that figure came from (for messages). */
export interface RequiredRetention {
  /** Seconds Loki may still read a chunk: longest retention + the compactor's delete delay; Infinity when it never deletes. */
  seconds: number;
  source: string;
}

const days = (seconds: number) => (seconds / day).toFixed(2).replace(/\.?0+$/, "");

/**
 * Retention the Loki config in this stack applies to a bucket: the longest of `limits_config.retention_period` and
 * every `retention_stream` period, plus `compactor.retention_delete_delay`. Without compactor retention (or with a
 * zero period) Loki never deletes, so S3 must never expire what it indexes.
 */
export function lokiRetentionFor(resources: PolicyResource[], bucket: string): RequiredRetention | undefined {
  for (const configMap of resources.filter((r) => r.type === k8s.configMap)) {
    const data = record(configMap.props.data);
    for (const key of Object.keys(data)) {
      const text = knownValue(data, key);
      if (typeof text !== "string" || !text.includes("retention")) continue;
      let config: Props;
      try {
        config = record(parseYaml(text));
      } catch {
        continue;
      }
      const s3 = record(record(config.storage_config).aws);
      const buckets = (str(s3.bucketnames) ?? str(record(record(record(config.common).storage).s3).bucketnames) ?? "").split(",").map((b) => b.trim());
      if (!buckets.includes(bucket)) continue;
      const where = `Loki config ${describe(`${str(record(configMap.props.metadata).name) ?? configMap.name}/${key}`)}`;
      const limits = record(config.limits_config);
      const periods = [limits.retention_period, ...list(limits.retention_stream).map((s) => record(s).period)].map((p) => durationSeconds(String(p ?? "0s")) ?? 0);
      const compactor = record(config.compactor);
      if (compactor.retention_enabled !== true || periods[0] === 0) {
        return { seconds: Infinity, source: `${where} (compactor retention off or retention_period 0: Loki never deletes chunks)` };
      }
      const delay = durationSeconds(String(compactor.retention_delete_delay ?? "2h")) ?? 2 * 3_600;
      const seconds = Math.max(...periods) + delay;
      return { seconds, source: `${where} (longest retention + retention_delete_delay = ${days(seconds)} days)` };
    }
  }
  return undefined;
}

export interface LifecycleConfig {
  retentionPeriod?: string;
  deleteDelay?: string;
  minNoncurrentDays: number;
}

/** Prod's logging.retention (Pulumi.prod.yaml): what a stack without its own Loki config is held to. */
export const defaultRetention = { retentionPeriod: "365d", deleteDelay: "2h" };

const durationProperty = (description: string) => ({ type: "string" as const, pattern: "^([0-9]+(ms|s|m|h|d|w|y))+$", description });

const lifecycleSchema: PolicyConfigSchema = {
  properties: {
    retentionPeriod: durationProperty(
      "The stack's longest log retention (logging.retention.period or a longer stream's). When unset: the retention of " +
        `the stack's own Loki config for the bucket, else ${defaultRetention.retentionPeriod} (prod's).`,
    ),
    deleteDelay: durationProperty(`Loki's compactor delete delay added to the retention (default: the Loki config's, else ${defaultRetention.deleteDelay}).`),
    minNoncurrentDays: {
      type: "integer",
      // A week to notice a wrong delete and restore the previous version; prod keeps 30 days.
      description: "Fewest days a deleted or overwritten object's previous version stays recoverable.",
      default: 7,
    },
  },
};

/** The retention a bucket must outlast: explicit config is a floor, the stack's own Loki config is always honoured. */
export function requiredRetention(config: LifecycleConfig, resources: PolicyResource[], bucket: string): RequiredRetention {
  const loki = lokiRetentionFor(resources, bucket);
  const configured = config.retentionPeriod !== undefined || config.deleteDelay !== undefined || loki === undefined;
  const floor = configured
    ? (() => {
        const period = config.retentionPeriod ?? defaultRetention.retentionPeriod;
        const delay = config.deleteDelay ?? defaultRetention.deleteDelay;
        const seconds = (durationSeconds(period) ?? 0) + (durationSeconds(delay) ?? 0);
        const origin = config.retentionPeriod !== undefined ? "policy config" : "the default, prod's";
        return { seconds, source: `retention ${period} + delete delay ${delay} (${origin}) = ${days(seconds)} days` };
      })()
    : undefined;
  return [floor, loki].filter((r): r is RequiredRetention => r !== undefined).reduce((a, b) => (b.seconds > a.seconds ? b : a));
}

/** Lifecycle rules that apply to a bucket: separate lifecycle resources and the deprecated inline `lifecycleRules`. */
function lifecycleRulesOf(resources: PolicyResource[], bucket: PolicyResource, name: string): Array<{ where: string; rule: Props; inline: boolean }> {
  const separate = resources
    .filter((r) => isOneOf(r.type, aws.s3Lifecycle) && r.props.bucket === name)
    .flatMap((r) => list(r.props.rules).map((rule, i) => ({ where: `${r.type.split(":").pop()} "${r.name}" rules[${i}]`, rule: record(rule), inline: false })));
  const inline = list(bucket.props.lifecycleRules).map((rule, i) => ({ where: `Bucket "${bucket.name}" lifecycleRules[${i}]`, rule: record(rule), inline: true }));
  return [...separate, ...inline];
}

export const s3LifecycleOutlastsRetention: StackValidationPolicy = {
  name: "aws-s3-lifecycle-outlasts-retention",
  description:
    "No S3 lifecycle rule expires objects before the stack's log retention (longest retention + the compactor's delete " +
    "delay, as the config validator requires), expires them on a fixed date, or expires previous versions sooner than the recovery window.",
  enforcementLevel: "mandatory",
  configSchema: lifecycleSchema,
  validateStack: (args, reportViolation) => {
    const config = configWithDefaults<LifecycleConfig>(lifecycleSchema, args);
    for (const bucket of args.resources.filter((r) => isOneOf(r.type, aws.s3Bucket))) {
      const name = str(bucket.props.bucket) ?? bucket.name;
      const rules = lifecycleRulesOf(args.resources, bucket, name);
      if (rules.length === 0) continue;
      const required = requiredRetention(config, args.resources, name);
      const needed = required.seconds === Infinity ? "never (Loki never deletes)" : `more than ${Math.floor(required.seconds / day)} days`;
      for (const { where, rule, inline } of rules) {
        const enabled = inline ? rule.enabled !== false : rule.status !== "Disabled";
        if (!enabled) continue;
        const report = (message: string) => reportViolation(`bucket ${describe(name)} ${where}.${message}`, bucket.urn);
        const expiration = record(rule.expiration);
        if (typeof expiration.days === "number" && (required.seconds === Infinity || expiration.days * day <= required.seconds)) {
          report(`expiration.days is ${expiration.days}; must be ${needed}: ${required.source}, and S3 must not expire chunks first`);
        }
        if (expiration.date !== undefined) {
          report(`expiration.date is ${describe(expiration.date)}; must be unset: a date expires every object then, whatever its age (use days, ${needed})`);
        }
        const noncurrent = record(rule.noncurrentVersionExpiration);
        const noncurrentDays = inline ? noncurrent.days : noncurrent.noncurrentDays;
        const field = inline ? "noncurrentVersionExpiration.days" : "noncurrentVersionExpiration.noncurrentDays";
        if (typeof noncurrentDays === "number" && noncurrentDays < config.minNoncurrentDays) {
          report(`${field} is ${noncurrentDays}; must be at least ${config.minNoncurrentDays} (minNoncurrentDays): a deleted or overwritten chunk stays recoverable that long`);
        }
        if (typeof noncurrent.newerNoncurrentVersions === "number" && noncurrent.newerNoncurrentVersions < 1) {
          report(`noncurrentVersionExpiration.newerNoncurrentVersions is ${noncurrent.newerNoncurrentVersions}; must be at least 1 or unset`);
        }
      }
    }
  },
};
