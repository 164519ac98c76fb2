import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { z } from "zod";
import { environments, platformShape } from "./config/platform";
import { images } from "./config/images";
import { monitoring } from "./config/monitoring";
import { tracing } from "./config/tracing";
import { archive, logging, retentionInvariants } from "./config/logging";
import { alertingSchema } from "./rules/config";
import { ConfigError, type ConfigProblem, check, keyPath, validate } from "./config/errors";
import { durationSeconds } from "./config/common";

export { ConfigError, type ConfigProblem } from "./config/errors";

/**
 * The whole stack config: one zod schema, composed from one section per tier (`config/*.ts`, `rules/config.ts`).
 * Every default lives in those schemas; components receive the parsed, fully-resolved result and never default
 * anything themselves.
 */
export const stackConfigSchema = z
  .strictObject({
    ...platformShape,
    images,
    monitoring: monitoring.prefault({}),
    tracing: tracing.prefault({}),
    logging: logging.prefault({}),
    archive: archive.optional(),
    alerting: alertingSchema,
  })
  .superRefine(crossSectionInvariants);

export type StackConfig = Readonly<z.output<typeof stackConfigSchema>>;
export type Environment = (typeof environments)[number];

/** Credentials that only ever arrive through `pulumi config set --secret`; never in a stack file in plaintext. */
export const secretsSchema = z.strictObject({
  slackWebhookUrl: z.string().regex(/^https:\/\/hooks\.slack\.com\/services\/\S+$/, "a Slack incoming-webhook URL (https://hooks.slack.com/services/...)"),
  pagerdutyRoutingKeys: z.record(z.string(), z.string().regex(/^[A-Za-z0-9]{32}$/, "a 32-character PagerDuty Events v2 integration key")),
  /** Needed only when `alerting.email.username` is set (an authenticated SMTP relay). */
  smtpPassword: z.string().min(1, "a non-empty string").optional(),
});
export type StackSecrets = z.output<typeof secretsSchema>;
export const secretKeys = Object.keys(secretsSchema.shape) as (keyof StackSecrets)[];

/** Invariants that span sections. Section-local ones live with their section. */
function crossSectionInvariants(c: z.output<z.ZodObject<typeof platformShape>> & Record<string, any>, ctx: z.RefinementCtx) {
  if (c.environment === "prod" && c.protectData === false) {
    ctx.addIssue({ code: "custom", path: ["protectData"], input: false, message: "true or unset: prod data is always protected" });
  }
  const usesAws = awsStores(c as never).length > 0;
  if (usesAws) {
    for (const key of ["oidcProviderArn", "oidcProviderUrl"] as const) {
      if (!c.cluster[key]) {
        ctx.addIssue({
          code: "custom",
          path: ["cluster", key],
          input: c.cluster[key],
          message: `set, because ${awsStores(c as never).join(", ")} use AWS and their pods authenticate with IRSA`,
        });
      }
    }
  }
  const seen = new Map<string, string>();
  for (const [role, ns] of Object.entries(c.namespaces as Record<string, string>)) {
    if (seen.has(ns)) {
      ctx.addIssue({
        code: "custom",
        path: ["namespaces", role],
        input: ns,
        message: `a namespace distinct from namespaces.${seen.get(ns)}: the log agent's relaxed Pod Security level must not leak to other tiers`,
      });
    }
    seen.set(ns, role);
  }
  for (const problem of retentionInvariants(c as never)) ctx.addIssue({ code: "custom", ...problem });
  // Alertmanager forgets a sent notification after --data.retention, so a longer repeat_interval would repeat early.
  const repeats = Object.entries(c.alerting.timings.repeatInterval as Record<string, string>);
  const [longestSeverity, longestRepeat] = repeats.reduce((a, b) => (durationSeconds(b[1]) > durationSeconds(a[1]) ? b : a));
  const retention = c.monitoring.alertmanager.dataRetention as string;
  if (durationSeconds(retention) < durationSeconds(longestRepeat)) {
    ctx.addIssue({
      code: "custom",
      path: ["monitoring", "alertmanager", "dataRetention"],
      input: retention,
      message: `a duration of at least alerting.timings.repeatInterval.${longestSeverity} (${longestRepeat}): Alertmanager forgets a notification after its retention and would repeat it sooner`,
    });
  }
  const hosts = Object.entries(c.ingress.hosts as Record<string, string>);
  hosts.forEach(([role, host], i) => {
    const twin = hosts.findIndex(([, other]) => other === host);
    if (twin < i) {
      ctx.addIssue({ code: "custom", path: ["ingress", "hosts", role], input: host, message: `a host distinct from ingress.hosts.${hosts[twin][0]}` });
    }
  });
}

/** The AWS-backed stores a config selects; an empty list means the stack registers no AWS resource at all. */
export function awsStores(c: StackConfig): string[] {
  const stores: string[] = [];
  if (c.archive) stores.push("archive (Loki on S3)");
  if (c.monitoring.grafana.database.kind === "postgres") stores.push("monitoring.grafana.database (RDS)");
  if (c.tracing.jaeger.storage.kind === "opensearch") stores.push("tracing.jaeger.storage (OpenSearch)");
  return stores;
}

/**
 * Validates a raw stack config (the project's namespace of `Pulumi.<stack>.yaml`, keys without the project prefix).
 * Returns the config with every default applied, or throws a {@link ConfigError} listing every problem.
 */
export function validateStackConfig(raw: unknown, source = "stack config"): StackConfig {
  return validate(stackConfigSchema, raw, source);
}

/** Validates the secret config values; every missing or malformed one is listed. */
export function validateSecrets(raw: Record<string, unknown>, c: StackConfig | undefined, source = "secret config"): StackSecrets {
  const result = check(secretsSchema, raw);
  const problems = result.ok ? [] : result.problems.map(withoutValue);
  if (c) {
    if (c.alerting.email.username && raw.smtpPassword === undefined) {
      problems.push({
        path: "smtpPassword",
        value: undefined,
        allowed: `the password of SMTP user ${c.alerting.email.username} (pulumi config set --secret smtpPassword <password>)`,
      });
    }
    const keys = (raw.pagerdutyRoutingKeys ?? {}) as Record<string, unknown>;
    for (const team of pagerdutyTeams(c).filter((t) => !(t in keys))) {
      const path = keyPath(["pagerdutyRoutingKeys", team]);
      problems.push({
        path,
        value: undefined,
        allowed: `a key for team ${team}, which pages through PagerDuty (pulumi config set --secret --path '${path}' <key>)`,
      });
    }
  }
  if (!result.ok || problems.length > 0) throw new ConfigError(problems, source);
  return result.data;
}

/** Teams that page: the owner of each service and the platform team; each needs its own PagerDuty routing key. */
export function pagerdutyTeams(c: StackConfig): string[] {
  return [...new Set([...Object.values(c.alerting.owners), c.alerting.platformTeam])].sort();
}

/** A problem whose value is a secret: the line says a value was given, never what it was. */
function withoutValue(p: ConfigProblem): ConfigProblem {
  return { ...p, value: p.value === undefined ? undefined : "(secret, not shown)" };
}

/**
 * Reads the project's config namespace: objects stay objects, scalars stay scalars. A credential written in plaintext
 * is refused, since anyone who can read the stack file could read it. `secretPaths` are the key paths of the other
 * keys set with --secret (a credential under a misspelt name lands here), whose values no problem line may show.
 */
function readNamespace(project: string): { plain: Record<string, unknown>; secret: Record<string, unknown>; secretPaths: string[]; problems: ConfigProblem[] } {
  const prefix = `${project}:`;
  const plain: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  const secretPaths: string[] = [];
  const problems: ConfigProblem[] = [];
  for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    const value = parseValue(text);
    if (!(secretKeys as string[]).includes(name)) {
      plain[name] = value;
      if (isConfigSecret(key)) secretPaths.push(keyPath([name]));
    } else if (isConfigSecret(key)) secret[name] = value;
    else problems.push({ path: name, value: "(plaintext, not shown)", allowed: `a secret: pulumi config set --secret ${name} <value>` });
  }
  return { plain, secret, secretPaths, problems };
}

/** Whether a problem's path is `root` or lies under it. */
const isUnder = (path: string, root: string): boolean => path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`);

/** Whether the CLI passed a key as secret; exported by the SDK's runtime but absent from its typings. */
const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The validated stack config plus its secrets, each wrapped as a Pulumi secret. */
export interface LoadedConfig {
  config: StackConfig;
  secrets: { [K in keyof StackSecrets]: pulumi.Output<StackSecrets[K]> };
}

/**
 * Loads and validates the current stack's config before any resource is registered. Plain and secret problems are
 * reported together, so one run shows everything to fix.
 */
export function loadStackConfig(): LoadedConfig {
  const source = `config of stack "${pulumi.getStack()}"`;
  const { plain, secret, secretPaths, problems } = readNamespace(pulumi.getProject());
  let config: StackConfig | undefined;
  let secrets: StackSecrets | undefined;
  for (const step of [
    () => (config = validateStackConfig(plain, source)),
    () => (secrets = validateSecrets(secret, config, source)),
  ]) {
    try {
      step();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // A credential refused as plaintext is reported once, not again as missing from the secrets.
      const refused = problems.map((p) => p.path);
      problems.push(
        ...e.problems
          .filter((p) => !refused.some((root) => isUnder(p.path, root)))
          .map((p) => (secretPaths.some((root) => isUnder(p.path, root)) ? withoutValue(p) : p)),
      );
    }
  }
  if (problems.length > 0 || !config || !secrets) throw new ConfigError(problems, source);
  return {
    config,
    secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, pulumi.secret(v)])) as LoadedConfig["secrets"],
  };
}
