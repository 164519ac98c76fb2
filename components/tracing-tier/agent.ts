import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import { documentsConfigMap } from "../k8s/documents";
import { identityAt, labelsFor, metadataFor } from "../k8s/labels";
import { fieldEnv, goMemLimitEnv, httpProbes } from "../k8s/pod";
import { deployService } from "../k8s/service";
import { daemonSetArgs } from "../k8s/workload";
import { namespaceOf, serviceHost, topology } from "../topology";
import { type CollectorConfig, internalTelemetry } from "./collector";

const agent = topology.otelAgent;
const gateway = topology.otelGateway;

/** The downward-API variable k8sattributes reads to watch only the pods of its own node. */
export const nodeNameEnv = "KUBE_NODE_NAME";

/**
 * Attributes the agent adds to every span's resource. Deployment or StatefulSet names would need read access to
 * ReplicaSets; these need pods and namespaces only.
 */
export const extractedMetadata = ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.start_time", "k8s.node.name"];

/**
 * The node agent's collector configuration: OTLP in, memory limit, Kubernetes enrichment, batching, then the
 * `load_balancing` exporter keyed on trace ID, so every span of a trace reaches the same sampling gateway replica.
 *
 * The DNS resolver reads the gateway's headless Service (only ready pods are published), which needs no Kubernetes
 * API access; the k8s resolver would also need list/watch on EndpointSlices for every agent.
 */
export function agentCollectorConfig(c: StackConfig): CollectorConfig {
  return {
    extensions: { health_check: { endpoint: `0.0.0.0:${agent.ports.health}` } },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${agent.ports.otlpGrpc}` },
          http: { endpoint: `0.0.0.0:${agent.ports.otlpHttp}` },
        },
      },
    },
    processors: {
      // Refuses data above 80% of the container limit (checked every second) instead of being OOM-killed.
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
      k8s_attributes: {
        auth_type: "serviceAccount",
        passthrough: false,
        filter: { node_from_env_var: nodeNameEnv },
        extract: { metadata: extractedMetadata },
        pod_association: [
          { sources: [{ from: "resource_attribute", name: "k8s.pod.ip" }] },
          { sources: [{ from: "resource_attribute", name: "k8s.pod.uid" }] },
          { sources: [{ from: "connection" }] },
        ],
      },
      batch: { send_batch_size: 1024, send_batch_max_size: 2048, timeout: "1s" },
    },
    exporters: {
      load_balancing: {
        routing_key: "traceID",
        protocol: { otlp: { timeout: "5s", tls: { insecure: true } } },
        resolver: {
          dns: { hostname: serviceHost(c.namespaces, "otelGateway"), port: String(gateway.ports.otlpGrpc), interval: "5s", timeout: "1s" },
        },
      },
    },
    service: {
      extensions: ["health_check"],
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["memory_limiter", "k8s_attributes", "batch"], exporters: ["load_balancing"] },
      },
      telemetry: internalTelemetry(agent.ports.metrics, "otel-agent", "collector"),
    },
  };
}

/**
 * The OTLP agent on every node: a DaemonSet without hostPort or host namespaces (so it passes the restricted Pod
 * Security level), reached by the services through a node-local Service (`internalTrafficPolicy: Local`), and RBAC to
 * read pods and namespaces for enrichment.
 */
export function deployAgent(name: string, c: StackConfig, parent: pulumi.Resource): { endpoint: string } {
  const namespace = namespaceOf(c.namespaces, "otelAgent");
  const id = identityAt(agent.id, c.images.collector);
  const opts = { parent };

  const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-agent-sa`, { metadata: metadataFor(id, namespace) }, opts);
  const role = new k8s.rbac.v1.ClusterRole(
    `${name}-agent-role`,
    {
      metadata: { name: `${namespace}-${agent.id.instance}`, labels: labelsFor(id) },
      rules: [{ apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["get", "list", "watch"] }],
    },
    opts,
  );
  new k8s.rbac.v1.ClusterRoleBinding(
    `${name}-agent-binding`,
    {
      metadata: { name: `${namespace}-${agent.id.instance}`, labels: labelsFor(id) },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace }],
    },
    opts,
  );

  const { checksum } = documentsConfigMap(
    `${name}-agent-config`,
    { name: agent.id.instance, namespace, labels: labelsFor(id), renderDir: "", documents: { "otel-agent.yaml": agentCollectorConfig(c) } },
    opts,
  );

  new k8s.apps.v1.DaemonSet(
    `${name}-agent`,
    daemonSetArgs({
      id,
      namespace,
      checksums: { config: checksum },
      pod: {
        serviceAccountName: agent.id.instance,
        needsApiToken: true,
        // Runs next to every service, including tainted (GPU) nodes that host Ryot.
        tolerations: [{ operator: "Exists" }],
        containers: [
          {
            name: "otel-collector",
            image: c.images.collector,
            args: [`--config=/conf/otel-agent.yaml`],
            env: [fieldEnv(nodeNameEnv, "spec.nodeName"), goMemLimitEnv(c.tracing.agent.resources)],
            ports: Object.entries(agent.ports).map(([port, containerPort]) => ({ name: portName(port), containerPort })),
            resources: c.tracing.agent.resources,
            volumeMounts: [{ name: "config", mountPath: "/conf", readOnly: true }],
            probes: httpProbes(agent.ports.health, "/"),
          },
        ],
        volumes: [{ name: "config", configMap: { name: agent.id.instance } }],
      },
    }),
    { parent, dependsOn: [serviceAccount] },
  );

  // Each service's spans go to the agent on its own node: no cross-node hop and no hostPort.
  deployService(
    name,
    {
      kind: "clusterIP",
      id,
      namespace,
      internalTrafficPolicy: "Local",
      ports: [
        { name: portName("otlpGrpc"), port: agent.ports.otlpGrpc, protocol: "TCP", appProtocol: "grpc" },
        { name: portName("otlpHttp"), port: agent.ports.otlpHttp, protocol: "TCP", appProtocol: "http" },
      ],
    },
    { ...opts, aliases: [{ name: `${name}-agent-svc` }] },
  );
  return { endpoint: `${serviceHost(c.namespaces, "otelAgent")}:${agent.ports.otlpGrpc}` };
}

/** A container port name (IANA_SVC_NAME: lowercase, at most 15 characters) from a topology port key. */
export function portName(key: string): string {
  return key.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`).slice(0, 15);
}
