import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { durationSeconds } from "../../config/common";
import type { JaegerStorage, OpenSearchStorage } from "../../config/tracing";
import { documentsConfigMap } from "../k8s/documents";
import { authAnnotations, tlsIngress } from "../k8s/ingress";
import { type AppIdentity, identityAt, labelsFor, metadataFor } from "../k8s/labels";
import { type ContainerArgs, goMemLimitEnv, httpProbes, scratchVolume } from "../k8s/pod";
import { dataProtection } from "../k8s/protection";
import { type HeadlessService, deployService, serviceName } from "../k8s/service";
import { deploymentArgs, disruptionBudget, statefulSetArgs } from "../k8s/workload";
import { namespaceOf, serviceHost, serviceUrl, topology } from "../topology";
import { portName } from "./agent";
import { type CollectorConfig, internalTelemetry } from "./collector";
import { deployIndexCleaner } from "./index-cleaner";
import { signedOpenSearchUrl, sigv4ProxySidecar } from "./sigv4-proxy";
import { type OpenSearchStore, jaegerServiceAccount } from "./opensearch";

const collector = topology.jaegerCollector;
const query = topology.jaegerQuery;

/** With Badger the collector serves its store to the query Deployment over Jaeger's remote-storage gRPC API. */
export const remoteStoragePort = topology.jaegerCollector.ports.remoteStorage;

/** The name of the one storage backend in `jaeger_storage`. */
const backend = "traces";

/** The name of the metrics backend the query's Monitor tab reads (`jaeger_storage.metric_backends`). */
export const metricsBackend = "spanmetrics";

/**
 * The Monitor tab's Prometheus: the session-affine Service Grafana reads too, so consecutive queries hit one replica.
 * The gateways' spanmetrics connector writes the default namespace (`traces_span_metrics`) in milliseconds, which
 * Prometheus' OTLP receiver names `traces_span_metrics_calls_total` and `traces_span_metrics_duration_milliseconds_*`:
 * the two `normalize_*` switches make Jaeger query exactly those names.
 */
export function spanMetricsBackend(c: StackConfig) {
  return {
    prometheus: {
      endpoint: serviceUrl(c.namespaces, "prometheus", "http"),
      metric_namespace: "traces_span_metrics",
      latency_unit: "ms",
      normalize_calls: true,
      normalize_duration: true,
    },
  };
}

/** A Prometheus-style duration as a Go duration (`3d` is not one; `72h` is). */
export function goDuration(value: string): string {
  const seconds = durationSeconds(value);
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : `${seconds}s`;
}

/** The index date layout Jaeger writes for a rollover frequency (Go reference-time layout). */
export function dateLayout(frequency: OpenSearchStorage["indices"]["rolloverFrequency"]): string {
  return frequency === "hour" ? "2006-01-02-15" : "2006-01-02";
}

/**
 * The `opensearch` backend of `jaeger_storage`: through the pod's SigV4 proxy sidecar (IRSA), daily or hourly indices,
 * reads over the retention. Only the collector writes the index templates.
 */
export function openSearchBackend(store: OpenSearchStorage, role: "collector" | "query") {
  const index = (shards: number) => ({
    shards,
    replicas: store.indices.replicas,
    date_layout: dateLayout(store.indices.rolloverFrequency),
    rollover_frequency: store.indices.rolloverFrequency,
  });
  return {
    opensearch: {
      server_urls: [signedOpenSearchUrl],
      create_mappings: role === "collector",
      max_span_age: `${store.indices.retentionDays * 24}h`,
      indices: {
        index_prefix: store.indices.prefix,
        spans: index(store.indices.shards),
        services: index(1),
        dependencies: index(1),
        sampling: index(1),
      },
    },
  };
}

function storageExtensions(c: StackConfig, storage: JaegerStorage, role: "collector" | "query"): Record<string, unknown> {
  if (storage.kind === "opensearch") return { jaeger_storage: { backends: { [backend]: openSearchBackend(storage, role) } } };
  if (role === "collector") {
    return {
      jaeger_storage: {
        backends: {
          [backend]: {
            badger: { directories: { keys: "/badger/keys", values: "/badger/values" }, ephemeral: false, ttl: { spans: goDuration(storage.retention) } },
          },
        },
      },
      remote_storage: { endpoint: `0.0.0.0:${remoteStoragePort}`, storage: backend },
    };
  }
  return {
    jaeger_storage: {
      backends: { [backend]: { grpc: { endpoint: `${serviceHost(c.namespaces, "jaegerCollector")}:${remoteStoragePort}`, tls: { insecure: true } } } },
    },
  };
}

const healthcheck = (port: number) => ({ healthcheckv2: { use_v2: true, http: { endpoint: `0.0.0.0:${port}`, status: { enabled: true, path: "/status" } } } });

/**
 * The Jaeger v2 collector (`configs/jaeger.yaml`): OTLP gRPC from the sampling gateways into the storage exporter. With
 * Badger it also serves the store to the query over remote storage.
 */
export function jaegerCollectorConfig(c: StackConfig): CollectorConfig {
  const storage = c.tracing.jaeger.storage;
  const extensions = { ...storageExtensions(c, storage, "collector"), ...healthcheck(collector.ports.health) };
  return {
    extensions,
    receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${collector.ports.otlpGrpc}` } } } },
    processors: {
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
      batch: { send_batch_size: 1000, timeout: "1s" },
    },
    exporters: { jaeger_storage_exporter: { trace_storage: backend } },
    service: {
      extensions: Object.keys(extensions),
      pipelines: { traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["jaeger_storage_exporter"] } },
      telemetry: internalTelemetry(collector.ports.metrics, "jaeger-collector", "jaeger"),
    },
  };
}

/**
 * The Jaeger v2 query (`configs/jaeger-query.yaml`): the UI and APIs over the same store, the Monitor tab over the
 * spanmetrics in Prometheus, and no trace intake (a collector build needs one pipeline, so it is `nop` to `nop`).
 */
export function jaegerQueryConfig(c: StackConfig): CollectorConfig {
  const storage = c.tracing.jaeger.storage;
  const stores = storageExtensions(c, storage, "query") as { jaeger_storage: Record<string, unknown> };
  const extensions = {
    ...stores,
    jaeger_storage: { ...stores.jaeger_storage, metric_backends: { [metricsBackend]: spanMetricsBackend(c) } },
    jaeger_query: {
      storage: { traces: backend, metrics: metricsBackend },
      // Jaeger would trace its own queries to an OTLP endpoint on localhost, where nothing listens.
      enable_tracing: false,
      http: { endpoint: `0.0.0.0:${query.ports.http}` },
      grpc: { endpoint: `0.0.0.0:${query.ports.grpc}` },
    },
    ...healthcheck(query.ports.health),
  };
  return {
    extensions,
    receivers: { nop: {} },
    exporters: { nop: {} },
    service: {
      extensions: Object.keys(extensions),
      pipelines: { traces: { receivers: ["nop"], exporters: ["nop"] } },
      telemetry: internalTelemetry(query.ports.metrics, "jaeger-query", "jaeger"),
    },
  };
}

interface JaegerArgs {
  c: StackConfig;
  store?: OpenSearchStore;
  /** The platform's encrypted StorageClass, for the Badger claim. */
  storageClassName: pulumi.Input<string>;
}

function jaegerContainer(
  c: StackConfig,
  ports: Record<string, number>,
  file: string,
  resources: ContainerArgs["resources"],
  extraMounts: ContainerArgs["volumeMounts"] = [],
): ContainerArgs {
  return {
    name: "jaeger",
    image: c.images.jaeger,
    args: [`--config=/conf/${file}`],
    env: [
      goMemLimitEnv(resources),
      // The remote_storage extension always starts an OTel SDK tracer exporting to localhost:4317, where nothing
      // listens: each traced read would log a failed dial. The SDK reads its sampler from the environment.
      { name: "OTEL_TRACES_SAMPLER", value: "always_off" },
    ],
    ports: Object.entries(ports).map(([port, containerPort]) => ({ name: portName(port), containerPort })),
    resources,
    volumeMounts: [{ name: "config", mountPath: "/conf", readOnly: true }, { name: "tmp", mountPath: "/tmp" }, ...extraMounts],
    probes: httpProbes(ports.health, "/status"),
  };
}

/**
 * Jaeger v2 as two workloads: the collector (Deployment spread over nodes and zones with OpenSearch; one StatefulSet
 * replica with its Badger volume otherwise) and the query (Deployment), each with a PodDisruptionBudget when
 * replicated; the query's TLS Ingress behind the configured authentication; and with OpenSearch the daily index
 * cleaner that enforces retention.
 */
export function deployJaeger(name: string, { c, store, storageClassName }: JaegerArgs, parent: pulumi.Resource): void {
  const j = c.tracing.jaeger;
  const namespace = namespaceOf(c.namespaces, "jaegerCollector");
  const collectorId = identityAt(collector.id, c.images.jaeger);
  const queryId = identityAt(query.id, c.images.jaeger);
  const opts = { parent };
  const saId: AppIdentity = { app: "jaeger", component: "service-account", instance: jaegerServiceAccount };

  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-jaeger-sa`,
    {
      metadata: {
        ...metadataFor(saId, namespace),
        ...(store ? { annotations: { "eks.amazonaws.com/role-arn": store.roleArn } } : {}),
      },
    },
    opts,
  );
  const sigv4Proxy = store ? sigv4ProxySidecar({ image: c.images.sigv4Proxy, region: c.cluster.region, endpoint: store.endpoint }) : undefined;
  // IRSA's web identity token is a projected volume the EKS webhook adds; Jaeger never calls the Kubernetes API.
  const pod = {
    serviceAccountName: jaegerServiceAccount,
    needsApiToken: false,
    ...(sigv4Proxy ? { initContainers: [sigv4Proxy] } : {}),
  };

  const collectorDocs = documentsConfigMap(
    `${name}-jaeger-collector-config`,
    { name: collector.id.instance, namespace, labels: labelsFor(collectorId), renderDir: "", documents: { "jaeger.yaml": jaegerCollectorConfig(c) } },
    opts,
  );
  const queryDocs = documentsConfigMap(
    `${name}-jaeger-query-config`,
    { name: query.id.instance, namespace, labels: labelsFor(queryId), renderDir: "", documents: { "jaeger-query.yaml": jaegerQueryConfig(c) } },
    opts,
  );

  const collectorPorts: Record<string, number> = {
    otlpGrpc: collector.ports.otlpGrpc,
    metrics: collector.ports.metrics,
    health: collector.ports.health,
    ...(j.storage.kind === "badger" ? { remoteStorage: remoteStoragePort } : {}),
  };
  const volumes = (configMap: string) => [{ name: "config", configMap: { name: configMap } }, scratchVolume("tmp")];
  const collectorWorkload = (extraMounts: ContainerArgs["volumeMounts"]) => ({
    id: collectorId,
    namespace,
    replicas: j.collector.replicas,
    checksums: { config: collectorDocs.checksum },
    pod: {
      ...pod,
      containers: [jaegerContainer(c, collectorPorts, "jaeger.yaml", j.collector.resources, extraMounts)],
      volumes: volumes(collector.id.instance),
    },
  });

  // Headless: the gateways balance their gRPC streams over every collector pod.
  const collectorService: HeadlessService = {
    kind: "headless",
    id: collectorId,
    namespace,
    ports: [
      { name: portName("otlpGrpc"), port: collector.ports.otlpGrpc, protocol: "TCP", appProtocol: "grpc" },
      ...(j.storage.kind === "badger"
        ? [{ name: portName("remoteStorage"), port: remoteStoragePort, protocol: "TCP" as const, appProtocol: "grpc" }]
        : []),
    ],
  };

  if (j.storage.kind === "badger") {
    new k8s.apps.v1.StatefulSet(
      `${name}-jaeger-collector`,
      statefulSetArgs({
        ...collectorWorkload([{ name: "badger", mountPath: "/badger" }]),
        serviceName: serviceName(collectorService),
        claims: [{ name: "badger", size: j.storage.storage, storageClassName }],
      }),
      { ...dataProtection(c, parent), dependsOn: [serviceAccount] },
    );
  } else {
    new k8s.apps.v1.Deployment(
      `${name}-jaeger-collector`,
      deploymentArgs({ ...collectorWorkload([]), maxUnavailable: j.collector.maxUnavailable }),
      { parent, dependsOn: [serviceAccount] },
    );
    disruptionBudget(
      `${name}-jaeger-collector-pdb`,
      { id: collectorId, namespace, replicas: j.collector.replicas, maxUnavailable: j.collector.maxUnavailable },
      opts,
    );
  }

  deployService(name, collectorService, { ...opts, aliases: [{ name: `${name}-jaeger-collector-svc` }] });

  new k8s.apps.v1.Deployment(
    `${name}-jaeger-query`,
    deploymentArgs({
      id: queryId,
      namespace,
      replicas: j.query.replicas,
      maxUnavailable: j.query.maxUnavailable,
      checksums: { config: queryDocs.checksum },
      pod: {
        ...pod,
        containers: [jaegerContainer(c, { ...query.ports }, "jaeger-query.yaml", j.query.resources)],
        volumes: volumes(query.id.instance),
      },
    }),
    { parent, dependsOn: [serviceAccount] },
  );
  disruptionBudget(
    `${name}-jaeger-query-pdb`,
    { id: queryId, namespace, replicas: j.query.replicas, maxUnavailable: j.query.maxUnavailable },
    opts,
  );

  deployService(
    name,
    {
      kind: "clusterIP",
      id: queryId,
      namespace,
      ports: [
        { name: portName("http"), port: query.ports.http, protocol: "TCP", appProtocol: "http" },
        { name: portName("grpc"), port: query.ports.grpc, protocol: "TCP", appProtocol: "grpc" },
      ],
    },
    { ...opts, aliases: [{ name: `${name}-jaeger-query-svc` }] },
  );

  tlsIngress(
    `${name}-jaeger-ingress`,
    {
      name: query.id.instance,
      namespace,
      ingress: c.ingress,
      ingressController: c.network.ingressController,
      labels: labelsFor(queryId),
      annotations: authAnnotations(c.ingress.auth),
      routes: [{ host: c.ingress.hosts.jaeger, serviceName: query.id.instance, servicePort: query.ports.http }],
    },
    opts,
  );

  if (j.storage.kind === "opensearch" && sigv4Proxy) {
    deployIndexCleaner(name, { image: c.images.indexCleaner, indices: j.storage.indices, sigv4Proxy, namespace }, parent);
  }
}
