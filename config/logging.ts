import { z } from "zod";
import { cpuQuantity, durationSeconds, promDuration, res, resources, statefulWorkload } from "./common";

/**
 * LoggingTier (Loki, its memcached caches, the log agent) and S3Archive (the bucket Loki stores chunks in) sections.
 *
 * Retention is 3 days hot (ingesters + caches), 30 days warm, 365 days archive (README, "Logs"). Loki's
 * compactor is the only thing that deletes log data; the bucket's lifecycle is a safety net that must never fire
 * before the compactor, and must never touch `index/` (which also holds the delete-request store). Everything that
 * could strand or lose data is checked here or in {@link retentionInvariants}.
 */

const day = 86_400;

/** Loki refuses retention shorter than one index period (24h). */
const minRetentionSeconds = day;

/**
 * memcached reads an expiration over 30 days as an absolute Unix timestamp (so the item is already expired); a
 * cache TTL must stay at or under it.
 */
const memcachedMaxRelativeTtlSeconds = 30 * day;

const streamRetention = z.strictObject({
  /** Label matchers only: Loki rejects arbitrary LogQL here. */
  selector: z
    .string()
    .regex(/^\{\s*[A-Za-z_][A-Za-z0-9_]*\s*(=|!=|=~|!~)\s*"[^$]*\}$/, 'a stream selector of label matchers such as {namespace="dev"}, without "$" (Loki reads its config with -config.expand-env)'),
  /** Higher wins when several selectors match a stream. */
  priority: z.number().int().min(1, "an integer >= 1"),
  period: promDuration,
});

const limits = z
  .strictObject({
    /** Per-tenant ingestion rate (MB/s) across the cluster, and the burst one distributor accepts. */
    ingestionRateMb: z.number().positive("a positive number of MB/s").default(16),
    ingestionBurstSizeMb: z.number().positive("a positive number of MB").default(32),
    /** Per-stream limits, in Loki's byte-size notation. */
    perStreamRateLimit: z.string().regex(/^\d+(KB|MB)$/, "a byte size such as 512KB or 5MB").default("5MB"),
    perStreamRateLimitBurst: z.string().regex(/^\d+(KB|MB)$/, "a byte size such as 512KB or 20MB").default("20MB"),
    maxGlobalStreamsPerUser: z.number().int().min(1, "an integer >= 1").default(10_000),
  })
  .prefault({});

/** One memcached tier: `memoryMiB` is what memcached may use for items (-m); the container gets 20% on top. */
const cache = (defaults: { replicas: number; memoryMiB: number; cpu: string }) =>
  z
    .strictObject({
      replicas: z.number().int().min(1, "an integer >= 1").max(10, "an integer <= 10").default(defaults.replicas),
      memoryMiB: z.number().int().min(64, "an integer >= 64 (MiB)").max(16_384, "an integer <= 16384 (MiB)").default(defaults.memoryMiB),
      cpu: cpuQuantity.default(defaults.cpu),
    })
    .prefault({});

export const logging = z
  .strictObject({
    loki: statefulWorkload(
      { replicas: 3, resources: res("1", "4Gi", "8Gi"), storage: "50Gi" },
      {
        /** Copies of every stream kept by ingesters; writes need a quorum (floor(RF/2)+1) of them, so 1 or >= 3. */
        replicationFactor: z.number().int().min(1, "an integer >= 1").max(5, "an integer <= 5").default(3),
      },
    ).prefault({}),
    retention: z
      .strictObject({
        /** Global retention; the compactor deletes chunks older than this. */
        period: promDuration.default("365d"),
        /** Delay between the compactor marking chunks and deleting them (queriers refresh their index meanwhile). */
        deleteDelay: promDuration.default("2h"),
        compactionInterval: promDuration.default("10m"),
        /** Per-stream retention, e.g. shorter for debug logs; the longest one bounds the bucket's expiration. */
        streams: z.array(streamRetention).default([]),
      })
      .prefault({}),
    /** The hot window: how long chunks and query results stay in memcached. */
    hotWindow: promDuration.default("3d"),
    ingester: z
      .strictObject({
        chunkIdlePeriod: promDuration.default("30m"),
        /** Chunks older than this are flushed to the object store; queriers must ask ingesters for at least as long. */
        maxChunkAge: promDuration.default("2h"),
      })
      .prefault({}),
    /** Queries newer than this also ask the ingesters (unflushed chunks live only there). */
    queryIngestersWithin: promDuration.default("3h"),
    /** Longest time range one query may span (Loki's default, 30d1h); never longer than what is retained. */
    maxQueryLength: promDuration.default("30d1h"),
    limits,
    caches: z
      .strictObject({
        /** Loki chunks target 1.5 MB compressed; memcached's default 1 MiB item limit would refuse most of them. */
        maxItemMiB: z.number().int().min(1, "an integer >= 1").max(128, "an integer <= 128").default(5),
        chunks: cache({ replicas: 2, memoryMiB: 1024, cpu: "250m" }),
        results: cache({ replicas: 2, memoryMiB: 512, cpu: "100m" }),
      })
      .prefault({}),
    agent: z
      .strictObject({
        resources: resources.default(res("100m", "128Mi", "512Mi")),
        /**
         * The node directory holding read offsets and the persistent export queue. On the node, not in the pod, so a
         * rolled-out or evicted agent resumes where its predecessor stopped: nothing written meanwhile is lost, nothing
         * is shipped twice.
         */
        stateHostPath: z
          .string()
          .regex(/^\/var\/lib\/[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/, "an absolute path under /var/lib, such as /var/lib/sigma-observability/log-agent")
          .default("/var/lib/sigma-observability/log-agent"),
      })
      .prefault({}),
  })
  .superRefine((l, ctx) => {
    const issue = (path: (string | number)[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });
    const seconds = durationSeconds;
    const retention = seconds(l.retention.period);

    if (l.loki.replicationFactor > l.loki.replicas) {
      issue(["loki", "replicationFactor"], l.loki.replicationFactor, `at most loki.replicas (${l.loki.replicas}): each copy of a stream lives on a different replica`);
    }
    const rf = l.loki.replicationFactor;
    if (rf === 2) {
      issue(
        ["loki", "replicationFactor"],
        rf,
        "1 or at least 3: a write needs a quorum of floor(RF/2)+1 copies, which with 2 is both, so one ingester down stops writes and the second copy buys no availability",
      );
    }
    const tolerated = Math.floor((rf - 1) / 2);
    if (rf >= 3 && l.loki.maxUnavailable > tolerated) {
      issue(
        ["loki", "maxUnavailable"],
        l.loki.maxUnavailable,
        `at most ${tolerated} with replicationFactor ${rf}: a write needs ${Math.floor(rf / 2) + 1} of a stream's ${rf} ingesters, so a drain of more would stop writes`,
      );
    }
    if (retention < minRetentionSeconds) {
      issue(["retention", "period"], l.retention.period, "at least 24h (one index period; Loki's minimum retention)");
    }
    l.retention.streams.forEach((s, i) => {
      if (seconds(s.period) < minRetentionSeconds) {
        issue(["retention", "streams", i, "period"], s.period, "at least 24h (one index period; Loki's minimum retention)");
      }
    });
    if (seconds(l.hotWindow) > memcachedMaxRelativeTtlSeconds) {
      issue(["hotWindow"], l.hotWindow, "at most 30d: memcached reads a longer TTL as an absolute Unix time and drops the item at once");
    }
    if (seconds(l.hotWindow) > retention) {
      issue(["hotWindow"], l.hotWindow, `at most retention.period (${l.retention.period}): nothing older than retention is served`);
    }
    if (seconds(l.ingester.chunkIdlePeriod) > seconds(l.ingester.maxChunkAge)) {
      issue(["ingester", "chunkIdlePeriod"], l.ingester.chunkIdlePeriod, `at most ingester.maxChunkAge (${l.ingester.maxChunkAge})`);
    }
    if (seconds(l.queryIngestersWithin) <= seconds(l.ingester.maxChunkAge)) {
      issue(
        ["queryIngestersWithin"],
        l.queryIngestersWithin,
        `longer than ingester.maxChunkAge (${l.ingester.maxChunkAge}): chunks not yet flushed exist only in the ingesters, and a shorter window hides them`,
      );
    }
    if (seconds(l.maxQueryLength) > retention) {
      issue(["maxQueryLength"], l.maxQueryLength, `at most retention.period (${l.retention.period}), the query lookback`);
    }
    if (l.limits.ingestionBurstSizeMb < l.limits.ingestionRateMb) {
      issue(["limits", "ingestionBurstSizeMb"], l.limits.ingestionBurstSizeMb, `at least limits.ingestionRateMb (${l.limits.ingestionRateMb})`);
    }
  });

export type LoggingConfig = z.output<typeof logging>;

/**
 * Storage classes a lifecycle rule may move Loki's chunks to. All of them answer a GET in milliseconds and keep data
 * in at least three Availability Zones. The ordering is S3's transition waterfall: a rule may only move an object to
 * a class further down this list.
 */
export const readableStorageClasses = ["STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR"] as const;
export type ReadableStorageClass = (typeof readableStorageClasses)[number];

/** What to use instead of each class S3 offers but Loki must never use, and why. */
const refusedStorageClasses: Record<string, string> = {
  GLACIER: "GLACIER_IR rather than GLACIER: GLACIER objects must be restored before a GET, and Loki cannot restore them",
  DEEP_ARCHIVE: "GLACIER_IR rather than DEEP_ARCHIVE: DEEP_ARCHIVE objects must be restored before a GET, and Loki cannot restore them",
  ONEZONE_IA: "STANDARD_IA rather than ONEZONE_IA: ONEZONE_IA keeps one copy in one Availability Zone, so losing that zone loses the logs",
};

/** Minimum days before a transition into the class (S3 lifecycle constraints) and minimum billed storage days. */
export const storageClassRules: Record<ReadableStorageClass, { minTransitionDays: number; minStorageDays: number }> = {
  STANDARD_IA: { minTransitionDays: 30, minStorageDays: 30 },
  INTELLIGENT_TIERING: { minTransitionDays: 0, minStorageDays: 0 },
  GLACIER_IR: { minTransitionDays: 0, minStorageDays: 90 },
};

const storageClass = z.string().superRefine((value, ctx) => {
  if ((readableStorageClasses as readonly string[]).includes(value)) return;
  ctx.addIssue({
    code: "custom",
    input: value,
    message: refusedStorageClasses[value] ?? `one of ${readableStorageClasses.join(", ")} (classes Loki can read in milliseconds)`,
  });
});

/** S3 bucket naming rules for general purpose buckets (no dots: they break virtual-hosted TLS). */
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "an S3 bucket name: 3-63 lowercase letters, digits and '-', starting and ending with a letter or digit");

export const archive = z
  .strictObject({
    /** The bucket Loki stores chunks, index and delete requests in. */
    bucketName,
    /** S3 server access logs of the bucket go to an existing log bucket. */
    accessLogs: z.strictObject({
      bucketName,
      prefix: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, "a key prefix ending in '/' (or empty)").default(""),
    }),
    /** Where chunks move with age. The default lets Intelligent-Tiering move them after 30 and 90 days unread. */
    transitions: z
      .array(z.strictObject({ days: z.number().int().min(0, "an integer >= 0"), storageClass }))
      .default([{ days: 0, storageClass: "INTELLIGENT_TIERING" }]),
    /** Days the bucket keeps chunks past Loki's longest retention + delete delay before S3 expires them. */
    expirationMarginDays: z.number().int().min(1, "an integer >= 1").default(7),
    /** Explicit chunk expiration; when unset it is derived (see {@link expirationDays}). */
    expirationDays: z.number().int().min(1, "an integer >= 1").optional(),
    /** Versions the compactor deleted or overwrote stay recoverable this long. */
    noncurrentVersionExpirationDays: z.number().int().min(1, "an integer >= 1").default(30),
    abortIncompleteMultipartUploadDays: z.number().int().min(1, "an integer >= 1").default(1),
    /** Inputs of the storage cost estimate printed in the render summary. */
    costEstimate: z
      .strictObject({
        storedGiBPerDay: z.number().positive("a positive number of GiB per day (compressed, as stored)").default(20),
        averageObjectMiB: z.number().positive("a positive object size in MiB").default(1),
      })
      .prefault({}),
  })
  .superRefine((a, ctx) => {
    const issue = (path: (string | number)[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });
    if (a.accessLogs.bucketName === a.bucketName) {
      issue(["accessLogs", "bucketName"], a.accessLogs.bucketName, `a bucket other than bucketName (${a.bucketName}): logging a bucket into itself logs its own log writes forever`);
    }
    a.transitions.forEach((t, i) => {
      const rule = storageClassRules[t.storageClass as ReadableStorageClass];
      if (!rule) return;
      if (t.days < rule.minTransitionDays) {
        issue(["transitions", i, "days"], t.days, `at least ${rule.minTransitionDays} for ${t.storageClass} (S3 lifecycle: objects stay ${rule.minTransitionDays} days in STANDARD first)`);
      }
      if (i === 0) return;
      const prev = a.transitions[i - 1];
      const rank = (c: string) => (readableStorageClasses as readonly string[]).indexOf(c);
      if (rank(t.storageClass) <= rank(prev.storageClass)) {
        issue(["transitions", i, "storageClass"], t.storageClass, `a class after ${prev.storageClass} in S3's transition order (${readableStorageClasses.join(" -> ")})`);
      }
      const gap = prev.storageClass === "STANDARD_IA" ? 30 : 1;
      if (t.days < prev.days + gap) {
        issue(["transitions", i, "days"], t.days, `at least ${prev.days + gap} (${gap} day${gap === 1 ? "" : "s"} after the ${prev.storageClass} transition)`);
      }
    });
  });

export type ArchiveConfig = z.output<typeof archive>;

/**
 * Loki runs with `auth_enabled: false`, so every chunk is written under the single tenant `fake/`. Chunk keys are
 * `<tenant>/<chunk id>`; the index (and the delete-request store under it) is under `index/`, and
 * `loki_cluster_seed.json` sits at the root. The lifecycle may only ever target these prefixes.
 */
export const lokiTenant = "fake";

/** The key prefixes holding chunks, the only ones the bucket lifecycle may transition or expire. */
export function chunkPrefixes(): string[] {
  return [`${lokiTenant}/`];
}

/** Key prefix of Loki's TSDB index; the compactor's delete-request store lives under it too. */
export const indexPrefix = "index/";

/** The longest time Loki keeps any stream, in seconds: the global period or a longer per-stream one. */
export function longestRetentionSeconds(l: LoggingConfig): number {
  return Math.max(durationSeconds(l.retention.period), ...l.retention.streams.map((s) => durationSeconds(s.period)));
}

/**
 * Days after creation when S3 expires a chunk: past Loki's longest retention plus the compactor's delete delay, plus a
 * margin for a compactor that falls behind. The explicit `expirationDays` wins when set (and is validated).
 */
export function expirationDays(l: LoggingConfig, a: ArchiveConfig): number {
  if (a.expirationDays !== undefined) return a.expirationDays;
  return Math.ceil((longestRetentionSeconds(l) + durationSeconds(l.retention.deleteDelay)) / day) + a.expirationMarginDays;
}

/** One invariant violation, shaped for `ctx.addIssue({ code: "custom", ...problem })`. */
export interface RetentionProblem {
  path: (string | number)[];
  input: unknown;
  message: string;
}

/**
 * Invariants between `logging` and `archive`, the two halves of "logs cannot be lost or stranded":
 * - S3 never expires a chunk Loki still retains (expiration > longest retention + delete delay);
 * - no transition happens at or after expiration, and none so late that the class's minimum billed duration
 *   outlasts the object;
 * - without an archive, Loki's filesystem store is on each replica's own volume, so only one replica is safe.
 */
export function retentionInvariants(c: { logging: LoggingConfig; archive?: ArchiveConfig }): RetentionProblem[] {
  const problems: RetentionProblem[] = [];
  const l = c.logging;
  const a = c.archive;
  if (!a) {
    if (l.loki.replicas > 1) {
      problems.push({
        path: ["logging", "loki", "replicas"],
        input: l.loki.replicas,
        message: "1 when there is no archive section: the filesystem store lives on each replica's own volume, so replicas would not see each other's chunks",
      });
    }
    return problems;
  }
  const needed = longestRetentionSeconds(l) + durationSeconds(l.retention.deleteDelay);
  const expiry = expirationDays(l, a);
  if (a.expirationDays !== undefined && a.expirationDays * day <= needed) {
    problems.push({
      path: ["archive", "expirationDays"],
      input: a.expirationDays,
      message: `more than ${Math.floor(needed / day)} days: Loki retains chunks ${(needed / day).toFixed(2).replace(/\.?0+$/, "")} days (longest retention + retention.deleteDelay), and S3 must not expire them first`,
    });
  }
  a.transitions.forEach((t, i) => {
    const rule = storageClassRules[t.storageClass as ReadableStorageClass];
    if (!rule) return;
    const latest = expiry - Math.max(rule.minStorageDays, 1);
    if (t.days > latest) {
      problems.push({
        path: ["archive", "transitions", i, "days"],
        input: t.days,
        message: `at most ${latest}: chunks expire after ${expiry} days${rule.minStorageDays > 0 ? ` and ${t.storageClass} bills at least ${rule.minStorageDays} days of storage` : ""}`,
      });
    }
  });
  return problems;
}
