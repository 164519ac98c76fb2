import type { StackConfig } from "../../config";
import { durationSeconds } from "../../config/common";
import { indexPrefix, longestRetentionSeconds } from "../../config/logging";
import { serviceHost, topology } from "../topology";
import { peerServiceName } from "../k8s/labels";
import { kmsKeyEnv, lokiDataDir } from "./identity";

/**
 * Loki's configuration file as a typed document (Loki 3.x configuration reference,
 * https://grafana.com/docs/loki/latest/configure/). Built from the resolved stack config only, so it is unit-testable
 * and serialised once into `configs/loki.yaml`.
 */

/** Where Loki stores chunks, index and delete requests. */
export type LokiStore =
  | { kind: "s3"; bucketName: string; region: string }
  /** The `local` stack: everything on the single replica's volume. */
  | { kind: "filesystem" };

/** Where Loki stores data for a stack: the archive bucket when there is one, else the filesystem of its volume. */
export function lokiStore(c: Pick<StackConfig, "archive" | "cluster">): LokiStore {
  return c.archive ? { kind: "s3", bucketName: c.archive.bucketName, region: c.cluster.region } : { kind: "filesystem" };
}

/**
 * The first day of the only schema period. Fixed forever: moving it would make Loki look for existing data under
 * another schema. A new schema is added as a second period starting on a future date.
 */
export const schemaFrom = "2025-01-01";

/** Loki durations in whole hours (`8760h`), the unit its reference uses; inputs are Prometheus-style durations. */
export function lokiHours(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

const hours = (duration: string) => lokiHours(durationSeconds(duration));

function memcachedCache(c: StackConfig, which: "chunksCache" | "resultsCache") {
  const l = c.logging;
  const ttl = hours(l.hotWindow);
  return {
    default_validity: ttl,
    memcached: { expiration: ttl, batch_size: 256, parallelism: 10 },
    memcached_client: {
      // One SRV lookup per update interval gives every memcached pod; consistent hashing spreads keys over them.
      addresses: `dnssrvnoa+_client._tcp.${serviceHost(c.namespaces, which)}`,
      consistent_hash: true,
      timeout: "500ms",
      max_item_size: l.caches.maxItemMiB * 2 ** 20,
    },
  };
}

/** The complete Loki config for a stack and its store. */
export function lokiConfig(c: StackConfig, store: LokiStore): Record<string, unknown> {
  const l = c.logging;
  const lookback = lokiHours(longestRetentionSeconds(l));
  const objectStore = store.kind === "s3" ? "s3" : "filesystem";
  return {
    // Single tenant: every chunk lives under `fake/`, the one prefix the bucket lifecycle targets.
    auth_enabled: false,
    server: {
      http_listen_port: topology.loki.ports.http,
      grpc_listen_port: topology.loki.ports.grpc,
      log_level: "info",
    },
    common: {
      path_prefix: lokiDataDir,
      replication_factor: l.loki.replicationFactor,
      ring: { kvstore: { store: "memberlist" } },
    },
    memberlist: {
      bind_port: topology.loki.ports.memberlist,
      join_members: [`dns+${peerServiceName(topology.loki.id)}.${c.namespaces.logging}.svc.cluster.local:${topology.loki.ports.memberlist}`],
      // Gossip from another cluster's Loki (same VPC, stale DNS) is rejected instead of merged into this ring.
      cluster_label: `${c.cluster.name}-loki`,
    },
    schema_config: {
      configs: [
        {
          from: schemaFrom,
          store: "tsdb",
          object_store: objectStore,
          schema: "v13",
          index: { path_prefix: indexPrefix, prefix: "index_", period: "24h" },
        },
      ],
    },
    storage_config: {
      tsdb_shipper: {
        active_index_directory: `${lokiDataDir}/tsdb-index`,
        cache_location: `${lokiDataDir}/tsdb-cache`,
      },
      ...(store.kind === "s3"
        ? {
            aws: {
              bucketnames: store.bucketName,
              region: store.region,
              // Credentials come from IRSA (web identity token); no keys in config.
              sse: { type: "SSE-KMS", kms_key_id: `\${${kmsKeyEnv}}` },
            },
          }
        : { filesystem: { directory: `${lokiDataDir}/chunks` } }),
    },
    compactor: {
      working_directory: `${lokiDataDir}/compactor`,
      compaction_interval: hours(l.retention.compactionInterval),
      retention_enabled: true,
      retention_delete_delay: hours(l.retention.deleteDelay),
      delete_request_store: objectStore,
      // Under index/, which the bucket lifecycle never touches.
      delete_request_store_key_prefix: indexPrefix,
    },
    limits_config: {
      retention_period: hours(l.retention.period),
      retention_stream: l.retention.streams.map((s) => ({ selector: s.selector, priority: s.priority, period: hours(s.period) })),
      // Everything retained stays queryable, and nothing beyond it is asked for.
      max_query_lookback: lookback,
      max_query_length: hours(l.maxQueryLength),
      ingestion_rate_mb: l.limits.ingestionRateMb,
      ingestion_burst_size_mb: l.limits.ingestionBurstSizeMb,
      per_stream_rate_limit: l.limits.perStreamRateLimit,
      per_stream_rate_limit_burst: l.limits.perStreamRateLimitBurst,
      max_global_streams_per_user: l.limits.maxGlobalStreamsPerUser,
      // OTLP resource and log attributes that are not index labels land in structured metadata.
      allow_structured_metadata: true,
    },
    ingester: {
      chunk_idle_period: hours(l.ingester.chunkIdlePeriod),
      max_chunk_age: hours(l.ingester.maxChunkAge),
      wal: {
        enabled: true,
        dir: `${lokiDataDir}/wal`,
        // A replica removed by a scale-down never replays its WAL, so chunks are flushed on every shutdown.
        flush_on_shutdown: true,
      },
    },
    querier: { query_ingesters_within: hours(l.queryIngestersWithin) },
    chunk_store_config: { chunk_cache_config: memcachedCache(c, "chunksCache") },
    query_range: { cache_results: true, results_cache: { cache: memcachedCache(c, "resultsCache") } },
    analytics: { reporting_enabled: false },
  };
}
