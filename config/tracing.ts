import { z } from "zod";
import { cidr, durationSeconds, promDuration, res, resources, storageQuantity, workload } from "./common";
import { parseQuantity } from "../components/k8s/quantity";
import { defaultServiceNames, serviceCatalog, serviceKeys, type SamplingDefaults, type ServiceKey } from "../catalog";

/**
 * TracingTier section: OpenTelemetry agents -> tail-sampling gateway -> Jaeger v2 collector + query, and where Jaeger
 * stores traces. Defaults are the production sizing; Pulumi.staging.yaml overrides downwards.
 */

const rate = z.number().min(0, "a fraction in [0, 1]").max(1, "a fraction in [0, 1]");

/**
 * One service's tail-sampling policy. `slowRate` applies to traces longer than `slowThresholdMs`; it amplifies the
 * baseline, so it may never be lower than `rate`.
 */
function servicePolicy(defaults: Required<SamplingDefaults>) {
  return z
    .strictObject({
      rate: rate.default(defaults.rate),
      slowThresholdMs: z.number().int().min(1, "an integer number of milliseconds >= 1").default(defaults.slowThresholdMs),
      slowRate: rate.default(defaults.slowRate),
      /** Values of the `service.name` resource attribute this service's SDKs report. */
      serviceNames: z.array(z.string().min(1, "a non-empty service.name")).min(1, "at least one service.name").default([...defaults.serviceNames]),
    })
    .superRefine((p, ctx) => {
      if (p.rate <= 1 && p.slowRate < p.rate) {
        ctx.addIssue({
          code: "custom",
          path: ["slowRate"],
          input: p.slowRate,
          message: `a fraction in [${p.rate}, 1]: slow traces are kept at an amplified rate, never below the baseline rate (${p.rate})`,
        });
      }
    })
    .prefault({});
}

/** One policy per catalogued service, its defaults from the service's catalog entry (`sampling`). */
const servicePolicies = Object.fromEntries(
  serviceCatalog.map((entry) => [entry.key, servicePolicy({ ...entry.sampling, serviceNames: defaultServiceNames(entry) })]),
) as Record<ServiceKey, ReturnType<typeof servicePolicy>>;

const services = z
  .looseObject(servicePolicies)
  .superRefine((s, ctx) => {
    for (const key of Object.keys(s)) {
      if (!(serviceKeys as readonly string[]).includes(key)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          input: s[key],
          message: `one of the known services: ${serviceKeys.join(", ")} (every other service is sampled at sampling.defaultRate)`,
        });
      }
    }
    const owner = new Map<string, string>();
    for (const key of serviceKeys) {
      for (const name of s[key].serviceNames) {
        if (owner.has(name)) {
          ctx.addIssue({
            code: "custom",
            path: [key, "serviceNames"],
            input: name,
            message: `a service.name not already claimed by services.${owner.get(name)}: each trace must match one baseline policy`,
          });
        }
        owner.set(name, key);
      }
    }
  });

export const sampling = z
  .strictObject({
    /** The default policy: traces of any service not listed in `services`. */
    defaultRate: rate.default(0.05),
    services: services.prefault({}),
  })
  .prefault({});

/**
 * The sampling gateway. Its buffer holds every trace for `decisionWait`; `numTraces` (per replica) and the memory
 * limit are checked against the expected rate so a traffic peak drops nothing before a decision is made.
 */
/**
 * How much more than an even share of new traces one gateway may receive: the agents hash trace IDs onto a ring of
 * the gateways' addresses, which never splits exactly evenly.
 */
export const gatewayBalanceSkew = 1.25;

/**
 * Traces one gateway replica must hold: a survivor's share of the tier's rate (with `maxUnavailable` replicas down),
 * with the balancing skew, held for decisionWait, doubled for bursts. A replica's capacity is numTraces / decisionWait:
 * past it, undecided traces are evicted (TailSamplingDroppingTraces fires).
 */
export function gatewayTracesNeeded(g: { replicas: number; maxUnavailable: number; expectedNewTracesPerSec: number; decisionWait: string }): number {
  const perReplica = g.expectedNewTracesPerSec / Math.max(1, g.replicas - g.maxUnavailable);
  return Math.ceil(perReplica * gatewayBalanceSkew * durationSeconds(g.decisionWait) * 2);
}

const gateway = workload(
  // 100,000 traces x 16 KiB = 1.53Gi of buffer, which must fit in half the limit.
  { replicas: 3, resources: res("500m", "2Gi", "3584Mi") },
  {
    /**
     * Longest time between a trace's first and last span that still yields one decision (the collector default). It
     * must outlast the longest traces of the traffic model (20 s) plus the SDKs' ~5 s export batching, otherwise the
     * root span carrying the error status or the trace's full duration arrives after the decision.
     */
    decisionWait: promDuration.default("30s"),
    /** Traces held in memory per replica: 2,500/s over 2 survivors x 1.25 skew x 30 s x 2 = 93,750, rounded up. */
    numTraces: z.number().int().min(1000, "an integer >= 1000").default(100000),
    /** New traces per second arriving at the whole gateway tier (all services); the expected peak is ~2,100/s. */
    expectedNewTracesPerSec: z.number().int().min(1, "an integer >= 1").default(2500),
    /** Average in-memory size of one buffered trace; ~20 spans of ~800 bytes each in the services' instrumentation. */
    averageTraceKiB: z.number().int().min(1, "an integer >= 1").default(16),
  },
).superRefine((g, ctx) => {
  const surviving = Math.max(1, g.replicas - g.maxUnavailable);
  const perReplica = Math.ceil(g.expectedNewTracesPerSec / surviving);
  const needed = gatewayTracesNeeded(g);
  if (g.numTraces < needed) {
    ctx.addIssue({
      code: "custom",
      path: ["numTraces"],
      input: g.numTraces,
      message:
        `an integer >= ${needed}: with ${g.maxUnavailable} of ${g.replicas} replicas down each survivor receives ~${perReplica} new traces/s, ` +
        `up to ${gatewayBalanceSkew}x that from uneven balancing, held for decisionWait (${g.decisionWait}), doubled for bursts`,
    });
  }
  const bufferBytes = g.numTraces * g.averageTraceKiB * 1024;
  const limit = parseQuantity(g.resources.limits.memory);
  if (bufferBytes > limit / 2) {
    ctx.addIssue({
      code: "custom",
      path: ["resources", "limits", "memory"],
      input: g.resources.limits.memory,
      message:
        `a memory limit of at least ${Math.ceil((2 * bufferBytes) / 2 ** 20)}Mi: numTraces x averageTraceKiB = ${Math.ceil(bufferBytes / 2 ** 20)}Mi ` +
        "must fit in half the limit (memory_limiter refuses data above 60%, the rest is queues and the Go runtime)",
    });
  }
});

/** Staging/local: Jaeger's embedded Badger store on one PVC. Honestly single-node: one replica, no HA. */
const badgerStorage = z.strictObject({
  kind: z.literal("badger"),
  storage: storageQuantity.default("50Gi"),
  /** Badger expires spans itself after this TTL. */
  retention: promDuration.default("72h"),
});

/** Amazon OpenSearch Service domain names: 3-28 characters, lowercase, starting with a letter. */
const domainName = z.string().regex(/^[a-z][a-z0-9-]{2,27}$/, "3-28 lowercase letters, digits or '-', starting with a letter");

/** Prod: an Amazon OpenSearch Service domain provisioned by this stack, in the cluster's VPC. */
const openSearchStorage = z
  .strictObject({
    kind: z.literal("opensearch"),
    domainName,
    engineVersion: z.string().regex(/^OpenSearch_\d+\.\d+$/, "an engine version such as OpenSearch_2.19").default("OpenSearch_2.19"),
    instanceType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+\.search$/, "an OpenSearch instance type such as r6g.large.search").default("r6g.large.search"),
    instanceCount: z.number().int().min(2, "an integer >= 2").default(3),
    /** Availability zones the data nodes spread over; a zone outage leaves a full copy when index replicas >= 1. */
    zoneCount: z.union([z.literal(2), z.literal(3)]).default(3),
    /** Dedicated cluster-manager nodes keep elections stable under indexing load; AWS recommends three in production. */
    dedicatedMasters: z.boolean().default(true),
    dedicatedMasterType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+\.search$/, "an OpenSearch instance type such as m6g.large.search").default("m6g.large.search"),
    volumeGiB: z.number().int().min(10, "an integer >= 10").max(16384, "an integer <= 16384").default(200),
    vpc: z.strictObject({
      vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "a VPC id such as vpc-0a1b2c3d4e5f60718"),
      /** One private subnet per zone, in distinct availability zones. */
      subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "a subnet id such as subnet-0a1b2c3d4e5f60718")),
      /** Where Jaeger pods run (node or pod CIDRs); the domain's security group admits 443 from these only. */
      clientCidrs: z.array(cidr).min(1, "at least one CIDR"),
      /** Extra security groups to attach to the domain's ENIs, besides the one created here. */
      securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, "a security group id such as sg-0a1b2c3d4e5f60718")).default([]),
    }),
    indices: z
      .strictObject({
        prefix: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "lowercase letters, digits or '-', starting with a letter").default("traces"),
        /** A new index per day (or hour for very high volume); retention deletes whole indices. */
        rolloverFrequency: z.enum(["day", "hour"]).default("day"),
        shards: z.number().int().min(1, "an integer >= 1").default(3),
        replicas: z.number().int().min(0, "an integer >= 0").default(1),
        retentionDays: z.number().int().min(1, "an integer >= 1").max(365, "an integer <= 365").default(14),
        /** When the index cleaner runs (cron, UTC); just after midnight, when yesterday's index stopped receiving writes. */
        cleanerSchedule: z.string().regex(/^(\S+\s+){4}\S+$/, "a five-field cron schedule such as '15 0 * * *'").default("15 0 * * *"),
      })
      .prefault({}),
  })
  .superRefine((o, ctx) => {
    if (o.instanceCount % o.zoneCount !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["instanceCount"],
        input: o.instanceCount,
        message: `a multiple of zoneCount (${o.zoneCount}): OpenSearch Service spreads data nodes evenly over the zones`,
      });
    }
    if (o.vpc.subnetIds.length !== o.zoneCount) {
      ctx.addIssue({
        code: "custom",
        path: ["vpc", "subnetIds"],
        input: o.vpc.subnetIds,
        message: `exactly zoneCount (${o.zoneCount}) subnets, one per availability zone`,
      });
    }
    if (o.indices.replicas < 1) {
      ctx.addIssue({
        code: "custom",
        path: ["indices", "replicas"],
        input: o.indices.replicas,
        message: "an integer >= 1: with zone awareness each replica lands in another zone, so losing a zone loses no spans",
      });
    }
  });

export const jaegerStorage = z.discriminatedUnion("kind", [badgerStorage, openSearchStorage]);

/**
 * Badger (the default store, since OpenSearch needs VPC ids) runs exactly one collector, so an unset collector replica
 * count means 1 there and the HA default of 3 with OpenSearch. An explicit count is kept and checked below.
 */
function defaultCollectorReplicas(raw: unknown): unknown {
  if (!raw || typeof raw !== "object") return raw;
  const j = raw as { storage?: { kind?: unknown }; collector?: Record<string, unknown> };
  if (j.storage?.kind === "opensearch" || j.collector?.replicas !== undefined) return raw;
  return { ...j, collector: { ...(j.collector ?? {}), replicas: 1 } };
}

const jaeger = z.preprocess(
  defaultCollectorReplicas,
  z
    .strictObject({
      collector: workload({ replicas: 3, resources: res("500m", "512Mi", "1Gi") }).prefault({}),
      query: workload({ replicas: 3, resources: res("250m", "256Mi", "512Mi") }).prefault({}),
      storage: jaegerStorage.default({ kind: "badger", storage: "50Gi", retention: "72h" }),
    })
    .superRefine((j, ctx) => {
      if (j.storage.kind === "badger" && j.collector.replicas !== 1) {
        ctx.addIssue({
          code: "custom",
          path: ["collector", "replicas"],
          input: j.collector.replicas,
          message: "1 when storage.kind is badger: Badger is an embedded single-node store on one volume (use opensearch for HA)",
        });
      }
    }),
);

export const tracing = z.strictObject({
  agent: z
    .strictObject({
      resources: resources.default(res("100m", "256Mi", "512Mi")),
    })
    .prefault({}),
  gateway: gateway.prefault({}),
  sampling,
  jaeger: jaeger.prefault({}),
});

export type TracingConfig = z.output<typeof tracing>;
export type SamplingConfig = TracingConfig["sampling"];
export type JaegerStorage = TracingConfig["jaeger"]["storage"];
export type OpenSearchStorage = Extract<JaegerStorage, { kind: "opensearch" }>;
