import { z } from "zod";
import { isQuantity, parseQuantity } from "../components/k8s/quantity";
import { longestSloPeriod, sloPeriods } from "../rules/slo";
import { sloSpecs } from "../rules/slos";
import { arn, cidr, dnsLabel, durationSeconds, promDuration, res, resources, statefulWorkload, storageQuantity } from "./common";

/**
 * MonitoringCore section: Prometheus HA pair, Alertmanager cluster and Grafana. Defaults are the production (HA)
 * sizing; a stack file overrides downwards. Grafana is the one exception: its replica count follows its database,
 * because replicas on separate SQLite files are not HA.
 */

/** `--storage.tsdb.retention.size` units: powers of two, so 1KB is 1024 bytes (Prometheus CLI reference). */
const retentionUnits: Record<string, number> = { B: 1, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40, PB: 2 ** 50, EB: 2 ** 60 };

/** Bytes of a Prometheus retention size such as `85GB`. */
export function retentionSizeBytes(value: string): number {
  const match = /^(\d+)([KMGTPE]?B)$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a Prometheus retention size such as 85GB`);
  return Number(match[1]) * retentionUnits[match[2]];
}

const retentionSizePattern = /^\d+(B|KB|MB|GB|TB|PB|EB)$/;

const retentionSize = z
  .string()
  .regex(retentionSizePattern, "a Prometheus size with a unit of B, KB, MB, GB, TB, PB or EB, such as 85GB");

/**
 * Share of the volume the TSDB may fill by size-based retention. The rest holds the WAL, the head chunks and the
 * scratch space of a compaction, which size-based retention does not count.
 */
export const maxRetentionShare = 0.85;

/** The longest SLO period of the specs in rules/ (30d): its error budget is the longest look back of any rule. */
const sloPeriod = longestSloPeriod(sloSpecs);

/**
 * The shortest Prometheus retention time, in days: the longest SLO period plus a day. The period's error ratio
 * (`slo:sli_error:ratio_rate<period>`, and the budget remaining read from it) averages the whole period of samples, so
 * with less history it silently covers less than the period. The day keeps the window's oldest samples off the
 * retention edge while blocks are compacted and deleted.
 */
export const minRetentionDays = sloPeriods[sloPeriod] / 24 + 1;

/** Field errors do not stop object refinements in zod v4: cross-field checks only compare values that parsed. */
const isDuration = (v: string) => promDuration.safeParse(v).success;

const prometheus = statefulWorkload(
  { replicas: 2, resources: res("1", "4Gi", "8Gi"), storage: "100Gi" },
  {
    retention: z
      .strictObject({
        /** Age-based retention: at least the longest SLO period plus a day ({@link minRetentionDays}). */
        time: promDuration.default(`${minRetentionDays}d`),
        /**
         * Size-based retention, a cap on disk use (at most {@link maxRetentionShare} of the volume). Whichever limit is
         * reached first deletes the oldest blocks, so under heavy load (more series than the volume was sized for) the
         * cap cuts history before `time` does, and the SLO period's error budget covers less than the period.
         */
        size: retentionSize.default("85GB"),
      })
      .prefault({}),
  },
).superRefine((p, ctx) => {
  if (!isQuantity(p.storage)) return;
  const limit = Math.floor((parseQuantity(p.storage) * maxRetentionShare) / 2 ** 30);
  if (retentionSizePattern.test(p.retention.size) && retentionSizeBytes(p.retention.size) > limit * 2 ** 30) {
    ctx.addIssue({
      code: "custom",
      path: ["retention", "size"],
      input: p.retention.size,
      message: `at most ${limit}GB (${maxRetentionShare * 100}% of storage ${p.storage}); the WAL and compactions need the rest`,
    });
  }
  if (isDuration(p.retention.time) && durationSeconds(p.retention.time) < minRetentionDays * 86400) {
    ctx.addIssue({
      code: "custom",
      path: ["retention", "time"],
      input: p.retention.time,
      message: `at least ${minRetentionDays}d: the ${sloPeriod} SLO error budget averages ${sloPeriod} of samples (plus a day of margin), and shorter retention computes it over less history`,
    });
  }
});

const alertmanager = statefulWorkload(
  { replicas: 2, resources: res("100m", "128Mi", "256Mi"), storage: "10Gi" },
  {
    /**
     * How long silences and the notification log are kept (`--data.retention`): at least the longest repeat interval
     * (info, 168h), or a notification is forgotten and repeated early; a day more so expired silences stay visible.
     */
    dataRetention: promDuration.default("192h"),
    /**
     * Where receivers (Slack, PagerDuty, SMTP relay) are reached on 443/587. They are public SaaS endpoints, so the
     * default is any address; narrow it to an egress proxy or NAT range where one exists.
     */
    receiverEgressCidrs: z.array(cidr).min(1, "at least one CIDR").default(["0.0.0.0/0"]),
  },
);

/**
 * The shortest prefix a node CIDR may have. 10.0.0.0/8 is the widest private (RFC 1918) block, so any wider block
 * includes public addresses, and node subnets are never public.
 */
export const minNodeCidrPrefix = 8;

const octet = "(0|[1-9]\\d{0,2})";
const ipv4CidrPattern = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}/(\\d{1,2})$`);

/**
 * Why `value` cannot be a node subnet CIDR, or undefined when it can. Stricter than the shared `cidr` pattern because
 * these blocks open the kubelet port: octets 0-255 without leading zeros (Go's parser refuses them), a prefix of
 * /8 to /32, and no host bits set (10.10.1.5/19 is a typo for a host or a subnet, and would open all of 10.10.0.0/19).
 */
export function nodeCidrProblem(value: string): string | undefined {
  const match = ipv4CidrPattern.exec(value);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const prefix = match ? Number(match[5]) : NaN;
  if (!match || octets.some((o) => o > 255) || prefix > 32) return "an IPv4 CIDR block such as 10.10.0.0/19";
  if (prefix < minNodeCidrPrefix) {
    return `a prefix of /${minNodeCidrPrefix} or longer: a wider block includes public addresses, and node subnets are private`;
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const network = address - (address % 2 ** (32 - prefix));
  if (network !== address) {
    const dotted = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join(".");
    return `the block's network address, ${dotted}/${prefix}: host bits are set`;
  }
  return undefined;
}

const nodeCidr = z.string().superRefine((value, ctx) => {
  const problem = nodeCidrProblem(value);
  if (problem) ctx.addIssue({ code: "custom", input: value, message: problem });
});

const flag = (meaning: string) => z.boolean({ error: `true or false (${meaning})` });

/**
 * The `kubelet` scrape job, which feeds the PersistentVolumeFillingUp alert (`kubelet_volume_stats_*`). Prometheus
 * discovers every node and scrapes its kubelet directly on the authenticated HTTPS port with its ServiceAccount token,
 * never through the API server's node proxy: that would need `nodes/proxy`, which also allows exec into every pod.
 *
 * `nodeCidrs` has no default and is required while the job is enabled: it is the only destination of Prometheus'
 * egress to the kubelet port, and no other setting describes the node subnets (`network.apiServerCidrs` is the control
 * plane; the database client CIDRs are optional and prod-only). A guessed range either opens the kubelet port wider
 * than the nodes or leaves the alert silently unable to fire, which is the failure this job exists to remove.
 */
const kubelet = z
  .strictObject({
    enabled: flag("scrape the kubelets; false registers no node permissions, no egress and no job").default(true),
    /**
     * Verify each kubelet's serving certificate against the cluster CA (the ServiceAccount's `ca.crt`). It holds
     * when kubelets serve certificates from the `kubernetes.io/kubelet-serving` signer (`serverTLSBootstrap: true`
     * plus an approver, as on the EKS-optimized AMIs): those chain to the cluster CA and carry the node's IP
     * addresses as SANs, which is what verification checks, since targets are addressed by InternalIP. No
     * `server_name` is set: one job covers every node, and no single name is valid for all of them.
     *
     * Kubelets without `serverTLSBootstrap` (custom AMIs, kubeadm and kind defaults) serve a self-signed certificate
     * and every scrape fails verification. `false` then sets `insecure_skip_verify`. The risk: Prometheus sends its
     * ServiceAccount token to whatever answers on a node address at the kubelet port, so anything able to take over
     * such an address (a compromised node or host-network pod) receives a token that can list pods, endpoints,
     * services and nodes cluster-wide, and can feed forged volume metrics that hide a filling volume. The
     * NetworkPolicy limits the exposure to `nodeCidrs` on that one port; prefer enabling `serverTLSBootstrap`.
     */
    verifyTls: flag("false skips verification of the kubelets' serving certificates; see config/monitoring.ts").default(true),
    /** The subnets the cluster's nodes run in: Prometheus may reach the kubelet port there and nowhere else. */
    nodeCidrs: z.array(nodeCidr).min(1, "at least one CIDR").optional(),
  })
  .transform((k, ctx) => {
    if (!k.enabled) return { enabled: false as const };
    if (k.nodeCidrs === undefined) {
      ctx.issues.push({
        code: "custom",
        path: ["nodeCidrs"],
        input: undefined,
        message: "the node subnets' CIDRs, such as [10.10.0.0/19, 10.10.32.0/19], while the kubelet job is enabled (the default); or set enabled: false",
      });
      return z.NEVER;
    }
    return { enabled: true as const, verifyTls: k.verifyTls, nodeCidrs: k.nodeCidrs };
  });

export type KubeletScrape = z.output<typeof kubelet>;

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "a subnet id such as subnet-0a1b2c3d4e5f60718");

/** How Grafana checks the database's certificate. */
const databaseTls = z.discriminatedUnion("mode", [
  /** Encrypts the connection; the server certificate is not verified. Works without distributing a CA bundle. */
  z.strictObject({ mode: z.literal("require") }),
  /**
   * Encrypts and verifies the server certificate and host name against the RDS CA bundle, which must exist as a
   * ConfigMap in the monitoring namespace (e.g. distributed by trust-manager).
   */
  z.strictObject({
    mode: z.literal("verify-full"),
    caBundleConfigMap: dnsLabel,
    caBundleKey: z.string().regex(/^[-._a-zA-Z0-9]+$/, "a ConfigMap key such as global-bundle.pem").default("global-bundle.pem"),
  }),
]);

const sqlite = z.strictObject({ kind: z.literal("sqlite"), storage: storageQuantity.default("20Gi") });

const postgres = z
  .strictObject({
    kind: z.literal("postgres"),
    /** Major (or major.minor) PostgreSQL version; with a major only, RDS picks the latest minor and upgrades it. */
    engineVersion: z.string().regex(/^(1[3-9])(\.\d+)?$/, "a PostgreSQL version 13-19, such as 17 or 17.4").default("17"),
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "an RDS instance class such as db.t4g.medium").default("db.t4g.medium"),
    allocatedStorageGiB: z.number().int().min(20, "an integer >= 20 (gp3 minimum)").max(65536, "an integer <= 65536").default(20),
    /** Storage autoscaling ceiling. */
    maxAllocatedStorageGiB: z.number().int().max(65536, "an integer <= 65536").default(100),
    backupRetentionDays: z.number().int().min(1, "an integer >= 1 (0 disables backups)").max(35, "an integer <= 35").default(14),
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "a VPC id such as vpc-0a1b2c3d4e5f60718"),
    /** Private subnets in at least two Availability Zones: Multi-AZ places the standby in another one. */
    subnetIds: z.array(subnetId).min(2, "at least two subnets in different Availability Zones (Multi-AZ needs two)"),
    /** The CIDRs of those subnets: Grafana's egress to the database on 5432 is opened to them only. */
    subnetCidrs: z.array(cidr).min(1, "at least one CIDR"),
    /** Where Grafana pods connect from (the cluster's pod or node CIDRs); the security group admits only these. */
    clientCidrs: z.array(cidr).min(1, "at least one CIDR"),
    /** Customer-managed KMS key for storage encryption; unset uses the account's aws/rds key (still encrypted). */
    kmsKeyArn: arn("kms").optional(),
    tls: databaseTls.default({ mode: "require" }),
  })
  .superRefine((p, ctx) => {
    if (p.maxAllocatedStorageGiB < p.allocatedStorageGiB) {
      ctx.addIssue({
        code: "custom",
        path: ["maxAllocatedStorageGiB"],
        input: p.maxAllocatedStorageGiB,
        message: `an integer >= allocatedStorageGiB (${p.allocatedStorageGiB})`,
      });
    }
  });

const grafana = z
  .strictObject({
    /** Unset: 2 on postgres (HA), 1 on sqlite. */
    replicas: z.number().int().min(1, "an integer >= 1").max(10, "an integer <= 10").optional(),
    resources: resources.default(res("250m", "512Mi", "1Gi")),
    maxUnavailable: z.number().int().min(1, "an integer >= 1").default(1),
    database: z.discriminatedUnion("kind", [sqlite, postgres]).default({ kind: "sqlite", storage: "20Gi" }),
  })
  .superRefine((g, ctx) => {
    if (g.database.kind === "sqlite" && g.replicas !== undefined && g.replicas > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["replicas"],
        input: g.replicas,
        message: "1 while database.kind is sqlite (each replica would have its own SQLite file); use database.kind postgres for more",
      });
    }
    const replicas = g.replicas ?? (g.database.kind === "postgres" ? 2 : 1);
    if (replicas > 1 && g.maxUnavailable >= replicas) {
      ctx.addIssue({
        code: "custom",
        path: ["maxUnavailable"],
        input: g.maxUnavailable,
        message: `fewer than replicas (${replicas}), so a disruption never takes every replica down`,
      });
    }
  })
  .transform((g) => ({ ...g, replicas: g.replicas ?? (g.database.kind === "postgres" ? 2 : 1) }));

export const monitoring = z
  .strictObject({
    scrapeInterval: promDuration.default("30s"),
    scrapeTimeout: promDuration.default("10s"),
    evaluationInterval: promDuration.default("30s"),
    /** How Prometheus finds the pods of the catalogued services: by this pod label equal to the service key. */
    serviceDiscovery: z
      .strictObject({
        podLabel: z
          .string()
          .regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, "a Kubernetes label key such as app.kubernetes.io/part-of")
          .default("app.kubernetes.io/part-of"),
        /** The named container port serving `/metrics`; NetworkPolicies open exactly this port. */
        metricsPortName: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/, "an IANA service name (lowercase, at most 15 characters)")
          .default("metrics"),
      })
      .prefault({}),
    kubelet: kubelet.prefault({}),
    prometheus: prometheus.prefault({}),
    alertmanager: alertmanager.prefault({}),
    grafana: grafana.prefault({}),
  })
  .superRefine((m, ctx) => {
    if (isDuration(m.scrapeTimeout) && isDuration(m.scrapeInterval) && durationSeconds(m.scrapeTimeout) > durationSeconds(m.scrapeInterval)) {
      ctx.addIssue({
        code: "custom",
        path: ["scrapeTimeout"],
        input: m.scrapeTimeout,
        message: `a duration no longer than scrapeInterval (${m.scrapeInterval}); Prometheus rejects a longer one`,
      });
    }
  });

export type MonitoringConfig = z.output<typeof monitoring>;
