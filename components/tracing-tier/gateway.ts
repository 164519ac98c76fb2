import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { durationSeconds } from "../../config/common";
import { documentsConfigMap } from "../k8s/documents";
import { identityAt, labelsFor, metadataFor } from "../k8s/labels";
import { goMemLimitEnv, httpProbes } from "../k8s/pod";
import { deployService } from "../k8s/service";
import { deploymentArgs, disruptionBudget } from "../k8s/workload";
import { namespaceOf, serviceHost, topology } from "../topology";
import { type CollectorConfig, internalTelemetry } from "./collector";
import { tailSamplingPolicies } from "./sampling";
import { portName } from "./agent";
import { spanMetricsSections } from "./spanmetrics";

const gateway = topology.otelGateway;

/**
 * New traces per second one replica must be ready for: the tier's expected rate spread over the replicas that remain
 * while `maxUnavailable` of them are disrupted.
 */
export function tracesPerReplica(g: StackConfig["tracing"]["gateway"]): number {
  return Math.ceil(g.expectedNewTracesPerSec / Math.max(1, g.replicas - g.maxUnavailable));
}

/**
 * The sampling gateway's configuration: OTLP from the agents, memory limit, `tail_sampling` with the policies of
 * `tracing.sampling`, batching, then OTLP to the Jaeger collectors. The exporter resolves the collectors' headless
 * Service and balances round-robin, so one long-lived gRPC connection does not pin every span to one collector. The
 * same OTLP receiver also feeds the spanmetrics pipelines (./spanmetrics.ts), which see every span before sampling.
 */
export function gatewayCollectorConfig(c: StackConfig): CollectorConfig {
  const g = c.tracing.gateway;
  const red = spanMetricsSections(c);
  return {
    extensions: { health_check: { endpoint: `0.0.0.0:${gateway.ports.health}` } },
    receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${gateway.ports.otlpGrpc}` } } } },
    processors: {
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
      tail_sampling: {
        decision_wait: `${durationSeconds(g.decisionWait)}s`,
        num_traces: g.numTraces,
        expected_new_traces_per_sec: tracesPerReplica(g),
        policies: tailSamplingPolicies(c.tracing.sampling),
      },
      batch: { send_batch_size: 1024, send_batch_max_size: 2048, timeout: "1s" },
      ...red.processors,
    },
    connectors: red.connectors,
    exporters: {
      ...red.exporters,
      "otlp_grpc/jaeger": {
        endpoint: `dns:///${serviceHost(c.namespaces, "jaegerCollector")}:${topology.jaegerCollector.ports.otlpGrpc}`,
        balancer_name: "round_robin",
        tls: { insecure: true },
        sending_queue: { enabled: true, num_consumers: 4, queue_size: 5000 },
        retry_on_failure: { enabled: true, initial_interval: "1s", max_interval: "30s", max_elapsed_time: "5m" },
      },
    },
    service: {
      extensions: ["health_check"],
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["memory_limiter", "tail_sampling", "batch"], exporters: ["otlp_grpc/jaeger"] },
        ...red.pipelines,
      },
      telemetry: internalTelemetry(gateway.ports.metrics, "otel-gateway", "collector"),
    },
  };
}

/**
 * The tail-sampling gateway: a Deployment (its state is only the in-flight traces) spread over nodes and zones, a
 * PodDisruptionBudget, and a headless Service whose DNS records are what the agents' load balancer hashes over.
 */
export function deployGateway(name: string, c: StackConfig, parent: pulumi.Resource): void {
  const g = c.tracing.gateway;
  const namespace = namespaceOf(c.namespaces, "otelGateway");
  const id = identityAt(gateway.id, c.images.collector);
  const opts = { parent };

  const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-gateway-sa`, { metadata: metadataFor(id, namespace) }, opts);
  const { checksum } = documentsConfigMap(
    `${name}-gateway-config`,
    { name: gateway.id.instance, namespace, labels: labelsFor(id), renderDir: "", documents: { "otel-gateway.yaml": gatewayCollectorConfig(c) } },
    opts,
  );

  new k8s.apps.v1.Deployment(
    `${name}-gateway`,
    deploymentArgs({
      id,
      namespace,
      replicas: g.replicas,
      maxUnavailable: g.maxUnavailable,
      checksums: { config: checksum },
      pod: {
        serviceAccountName: gateway.id.instance,
        needsApiToken: false,
        // In-flight traces are decided on shutdown; give the buffer time to drain.
        terminationGracePeriodSeconds: durationSeconds(g.decisionWait) + 20,
        containers: [
          {
            name: "otel-collector",
            image: c.images.collector,
            args: [`--config=/conf/otel-gateway.yaml`],
            env: [goMemLimitEnv(g.resources)],
            ports: Object.entries(gateway.ports).map(([port, containerPort]) => ({ name: portName(port), containerPort })),
            resources: g.resources,
            volumeMounts: [{ name: "config", mountPath: "/conf", readOnly: true }],
            probes: httpProbes(gateway.ports.health, "/"),
          },
        ],
        volumes: [{ name: "config", configMap: { name: gateway.id.instance } }],
      },
    }),
    { parent, dependsOn: [serviceAccount] },
  );

  // Only ready replicas enter the agents' hash ring.
  deployService(
    name,
    {
      kind: "headless",
      id,
      namespace,
      ports: [{ name: portName("otlpGrpc"), port: gateway.ports.otlpGrpc, protocol: "TCP", appProtocol: "grpc" }],
    },
    { ...opts, aliases: [{ name: `${name}-gateway-svc` }] },
  );

  disruptionBudget(`${name}-gateway-pdb`, { id, namespace, replicas: g.replicas, maxUnavailable: g.maxUnavailable }, opts);
}
