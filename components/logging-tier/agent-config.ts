import type { StackConfig } from "../../config";
import { serviceUrl, topology } from "../topology";

/**
 * The log agent's collector configuration (opentelemetry-collector-contrib): tail every container log file on the
 * node, parse the container runtime's format, attach Kubernetes metadata, ship to Loki's OTLP endpoint.
 */

/** The only host path the agent reads, mounted read-only. containerd writes `<ns>_<pod>_<uid>/<container>/<n>.log` here. */
export const podLogsDir = "/var/log/pods";

/** Where the agent keeps read offsets and the send queue: a node directory (`logging.agent.stateHostPath`). */
export const agentStateDir = "/var/lib/otelcol";

/** Environment variables the pod spec must set for the config below. */
export const agentEnv = { nodeName: "K8S_NODE_NAME", podIp: "POD_IP" } as const;

/** Where the trace-context parsers put a line's fields, only long enough to lift the IDs out; removed afterwards. */
const scratch = "attributes.trace_context_scratch";

/**
 * Lifts `trace_id` and `span_id` from JSON and logfmt lines into the record's trace context, so the OTLP record keeps
 * them (Loki stores them as the `trace_id`/`span_id` structured metadata the Grafana derived field links on). Only
 * lines that mention `trace_id` are parsed, into a scratch attribute that is removed again: the body stays the line
 * as written and no other field of it becomes an attribute. A line that fails to parse is shipped unchanged.
 */
export function traceContextOperators(): Record<string, unknown>[] {
  // Expressions are expr-lang: a double-quoted string takes Go escapes only, so the regexes need none.
  const startsLikeJson = 'body matches "^ *[{]"';
  const trace = { trace_id: { parse_from: `${scratch}.trace_id` }, span_id: { parse_from: `${scratch}.span_id` } };
  return [
    {
      type: "json_parser",
      id: "trace-context-json",
      if: `${startsLikeJson} and body contains "trace_id"`,
      parse_to: scratch,
      on_error: "send_quiet",
      trace,
    },
    {
      type: "key_value_parser",
      id: "trace-context-logfmt",
      if: `body matches "(^| )trace_id=" and not (${startsLikeJson})`,
      parse_to: scratch,
      on_error: "send_quiet",
      trace,
    },
    { type: "remove", id: "trace-context-scratch", field: scratch, if: `${scratch} != nil` },
  ];
}

/**
 * The collector config. Offsets and the export queue live in `file_storage` in a directory on the node, so a restarted
 * container and a replaced pod (rollout, eviction) alike resume at the checkpoints: lines written while no agent ran
 * are shipped, queued batches are sent, nothing is shipped twice. `start_at: end` applies only to a file no agent on
 * this node has seen (a new node): starting at the beginning there would re-send every log still on the node.
 */
export function logAgentConfig(c: StackConfig): Record<string, unknown> {
  const own = `${podLogsDir}/${c.namespaces.logAgents}_${topology.logAgent.id.instance}-*_*/*/*.log`;
  return {
    extensions: {
      health_check: { endpoint: `\${env:${agentEnv.podIp}}:${topology.logAgent.ports.health}` },
      file_storage: { directory: agentStateDir },
    },
    receivers: {
      file_log: {
        include: [`${podLogsDir}/*/*/*.log`],
        // Its own logs would loop back through itself.
        exclude: [own],
        start_at: "end",
        include_file_path: true,
        include_file_name: false,
        storage: "file_storage",
        retry_on_failure: { enabled: true },
        // Parses containerd/CRI-O/docker lines, recombines partial lines and sets k8s.namespace.name, k8s.pod.name,
        // k8s.pod.uid and k8s.container.name from the file path.
        operators: [{ type: "container", id: "container-parser" }, ...traceContextOperators()],
      },
    },
    processors: {
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 25 },
      k8s_attributes: {
        auth_type: "serviceAccount",
        // Watch only this node's pods: the API server load stays flat as the cluster grows.
        filter: { node_from_env_var: agentEnv.nodeName },
        passthrough: false,
        pod_association: [{ sources: [{ from: "resource_attribute", name: "k8s.pod.uid" }] }],
        extract: {
          metadata: ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.node.name", "k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name", "k8s.container.name"],
        },
      },
      resource: {
        attributes: [
          { key: "k8s.cluster.name", value: c.cluster.name, action: "upsert" },
          { key: "deployment.environment.name", value: c.environment, action: "upsert" },
        ],
      },
      batch: { send_batch_size: 4096, timeout: "1s" },
    },
    exporters: {
      "otlp_http/loki": {
        // The exporter appends /v1/logs: Loki's OTLP endpoint is /otlp/v1/logs.
        endpoint: `${serviceUrl(c.namespaces, "loki", "http")}/otlp`,
        sending_queue: { enabled: true, storage: "file_storage" },
        retry_on_failure: { enabled: true, max_elapsed_time: "0s" },
      },
    },
    service: {
      extensions: ["health_check", "file_storage"],
      pipelines: {
        logs: {
          receivers: ["file_log"],
          processors: ["memory_limiter", "k8s_attributes", "resource", "batch"],
          exporters: ["otlp_http/loki"],
        },
      },
      telemetry: {
        metrics: {
          readers: [{ pull: { exporter: { prometheus: { host: `\${env:${agentEnv.podIp}}`, port: topology.logAgent.ports.metrics } } } }],
        },
      },
    },
  };
}
