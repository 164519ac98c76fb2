import { strict as assert } from "assert";
import { parse } from "yaml";
import { type StackConfig, validateStackConfig } from "../config";
import { agentCollectorConfig } from "../components/tracing-tier/agent";
import { type CollectorConfig, collectorConfigProblems } from "../components/tracing-tier/collector";
import { gatewayCollectorConfig } from "../components/tracing-tier/gateway";
import { jaegerCollectorConfig, jaegerQueryConfig, remoteStoragePort } from "../components/tracing-tier/jaeger";
import { tailSamplingPolicies } from "../components/tracing-tier/sampling";
import { renderDirAnnotation } from "../components/k8s/documents";
import { renderStack, stackValues, type Rendered } from "./support/harness";

/** A committed stack's validated config, its tracing section optionally edited. */
function configFor(stack: "staging" | "prod", edit: (tracing: Record<string, any>) => void = () => {}): StackConfig {
  const values = stackValues(stack);
  edit(values.tracing);
  return validateStackConfig(values);
}

/** The ConfigMap (tracing namespace) that carries each rendered document. */
const configMapOf: Record<string, string> = {
  "otel-agent.yaml": "otel-agent",
  "otel-gateway.yaml": "otel-gateway",
  "jaeger.yaml": "jaeger-collector",
  "jaeger-query.yaml": "jaeger-query",
};

/**
 * A document as the workload reads it: the ConfigMap text, parsed back. Read from the tracing ConfigMap itself (the
 * render writes it to `configs/` through the render-dir annotation, checked below) so other tiers' documents do
 * not matter here.
 */
function renderedDocument(r: Rendered, file: string): CollectorConfig {
  const configMap = r.object("ConfigMap", configMapOf[file], "tracing");
  assert.equal(configMap.metadata.annotations[renderDirAnnotation], "", `${file} renders to the top of configs/`);
  const text = configMap.data?.[file];
  assert.ok(text, `ConfigMap ${configMapOf[file]} has no ${file}; keys ${Object.keys(configMap.data ?? {}).join(", ")}`);
  return parse(text) as CollectorConfig;
}

const ext = (doc: CollectorConfig) => doc.extensions as Record<string, any>;

describe("tracing: rendered collector and Jaeger configs", () => {
  let staging: Rendered;
  let prod: Rendered;
  before(async () => {
    // One render at a time: the mock runtime is process-global.
    staging = await renderStack("staging");
    prod = await renderStack("prod");
  });

  const files = ["otel-agent.yaml", "otel-gateway.yaml", "jaeger.yaml", "jaeger-query.yaml"];

  it("renders every document in both stacks with each pipeline naming only defined components", () => {
    for (const [stack, r] of [["staging", () => staging], ["prod", () => prod]] as const) {
      for (const file of files) {
        assert.deepEqual(collectorConfigProblems(renderedDocument(r(), file)), [], `${stack} configs/${file}`);
      }
    }
  });

  it("the structural check catches a pipeline naming an undefined component", () => {
    const broken = structuredClone(agentCollectorConfig(configFor("staging")));
    broken.service.pipelines.traces.processors = ["memory_limiter", "k8sattributes", "batch"];
    broken.service.extensions = ["health_check", "pprof"];
    assert.deepEqual(collectorConfigProblems(broken), [
      'pipeline traces uses processor "k8sattributes", which is not defined under processors',
      'service extension "pprof" is not defined under extensions',
    ]);
  });

  it("renders exactly the documents the builders produce (serialised once, read back equal)", () => {
    const c = configFor("prod");
    assert.deepEqual(renderedDocument(prod, "otel-agent.yaml"), agentCollectorConfig(c));
    assert.deepEqual(renderedDocument(prod, "otel-gateway.yaml"), gatewayCollectorConfig(c));
    assert.deepEqual(renderedDocument(prod, "jaeger.yaml"), jaegerCollectorConfig(c));
    assert.deepEqual(renderedDocument(prod, "jaeger-query.yaml"), jaegerQueryConfig(c));
  });

  it("agent: load_balancing exporter routes by trace ID to the gateway's headless Service over DNS", () => {
    const doc = renderedDocument(staging, "otel-agent.yaml");
    const lb = (doc.exporters as Record<string, any>).load_balancing;
    assert.equal(lb.routing_key, "traceID");
    assert.deepEqual(Object.keys(lb.resolver), ["dns"]);
    assert.equal(lb.resolver.dns.hostname, "otel-gateway.tracing.svc.cluster.local");
    assert.equal(lb.resolver.dns.port, "4317");
    assert.ok(lb.protocol.otlp, "the only load-balancing protocol is OTLP");
    assert.deepEqual(doc.service.pipelines.traces, {
      receivers: ["otlp"],
      processors: ["memory_limiter", "k8s_attributes", "batch"],
      exporters: ["load_balancing"],
    });
    const receivers = (doc.receivers as Record<string, any>).otlp.protocols;
    assert.equal(receivers.grpc.endpoint, "0.0.0.0:4317");
    assert.equal(receivers.http.endpoint, "0.0.0.0:4318");
  });

  it("agent: k8s_attributes uses the ServiceAccount, watches its own node and extracts only pod/namespace metadata", () => {
    const k8sattributes = (renderedDocument(staging, "otel-agent.yaml").processors as Record<string, any>).k8s_attributes;
    assert.equal(k8sattributes.auth_type, "serviceAccount");
    assert.equal(k8sattributes.filter.node_from_env_var, "KUBE_NODE_NAME");
    const needsReplicaSets = (k8sattributes.extract.metadata as string[]).filter((m) => /deployment|replicaset/.test(m));
    assert.deepEqual(needsReplicaSets, [], "deployment names need RBAC on replicasets");
  });

  it("gateway: tail_sampling carries the configured policies, buffer and per-replica rate", () => {
    for (const [stack, r, perReplica] of [["staging", () => staging, 200], ["prod", () => prod, 1250]] as const) {
      const c = configFor(stack);
      const doc = renderedDocument(r(), "otel-gateway.yaml");
      const ts = (doc.processors as Record<string, any>).tail_sampling;
      assert.deepEqual(ts.policies, tailSamplingPolicies(c.tracing.sampling), stack);
      assert.equal(ts.decision_wait, "30s");
      assert.equal(ts.num_traces, c.tracing.gateway.numTraces);
      assert.equal(ts.expected_new_traces_per_sec, perReplica, stack);
      assert.deepEqual(doc.service.pipelines.traces.processors, ["memory_limiter", "tail_sampling", "batch"]);
      const otlp = (doc.exporters as Record<string, any>)["otlp_grpc/jaeger"];
      assert.equal(otlp.endpoint, "dns:///jaeger-collector.tracing.svc.cluster.local:4317");
      assert.equal(otlp.balancer_name, "round_robin");
    }
  });

  it("every collector exposes its metrics through the pull reader on 8888 and health on 13133", () => {
    for (const file of files) {
      const doc = renderedDocument(prod, file);
      assert.deepEqual(doc.service.telemetry.metrics.readers, [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: 8888 } } } }], file);
      const health = ext(doc).health_check?.endpoint ?? ext(doc).healthcheckv2?.http?.endpoint;
      assert.equal(health, "0.0.0.0:13133", file);
    }
  });

  it("jaeger (staging): Badger on the volume with a TTL, served to the query over remote storage", () => {
    const collector = renderedDocument(staging, "jaeger.yaml");
    const backends = ext(collector).jaeger_storage.backends;
    assert.deepEqual(backends.traces.badger, { directories: { keys: "/badger/keys", values: "/badger/values" }, ephemeral: false, ttl: { spans: "72h" } });
    assert.deepEqual((collector.exporters as Record<string, any>).jaeger_storage_exporter, { trace_storage: "traces" });
    assert.deepEqual(ext(collector).remote_storage, { endpoint: `0.0.0.0:${remoteStoragePort}`, storage: "traces" });
    const query = renderedDocument(staging, "jaeger-query.yaml");
    assert.equal(ext(query).jaeger_storage.backends.traces.grpc.endpoint, `jaeger-collector.tracing.svc.cluster.local:${remoteStoragePort}`);
    assert.equal(ext(query).jaeger_query.storage.traces, "traces");
  });

  it("jaeger (prod): OpenSearch through the pod's SigV4 proxy, daily indices, reads over the whole retention", () => {
    for (const file of ["jaeger.yaml", "jaeger-query.yaml"]) {
      const doc = renderedDocument(prod, file);
      const os = ext(doc).jaeger_storage.backends.traces.opensearch;
      // sigv4auth (Jaeger 2.13) signs bodies as empty: OpenSearch would refuse every write. The sidecar signs.
      assert.deepEqual(os.server_urls, ["http://127.0.0.1:8080"], file);
      assert.equal(os.auth, undefined, file);
      assert.equal(ext(doc).sigv4auth, undefined, file);
      assert.equal(os.create_mappings, file === "jaeger.yaml", `${file}: only the collector writes index templates`);
      assert.equal(os.max_span_age, "336h");
      assert.equal(os.indices.index_prefix, "traces");
      assert.deepEqual(os.indices.spans, { shards: 3, replicas: 1, date_layout: "2006-01-02", rollover_frequency: "day" });
      assert.deepEqual(os.indices.services, { shards: 1, replicas: 1, date_layout: "2006-01-02", rollover_frequency: "day" });
    }
  });

  it("jaeger (prod): hourly rollover changes the index date layout", () => {
    const c = configFor("prod");
    const hourly = configFor("prod", (t) => (t.jaeger.storage.indices.rolloverFrequency = "hour"));
    const spans = (doc: CollectorConfig) => {
      const { date_layout, rollover_frequency } = ext(doc).jaeger_storage.backends.traces.opensearch.indices.spans;
      return { date_layout, rollover_frequency };
    };
    assert.deepEqual(spans(jaegerCollectorConfig(c)), { date_layout: "2006-01-02", rollover_frequency: "day" });
    assert.deepEqual(spans(jaegerCollectorConfig(hourly)), { date_layout: "2006-01-02-15", rollover_frequency: "hour" });
  });
});
