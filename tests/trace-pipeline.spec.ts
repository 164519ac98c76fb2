/**
 * The trace pipeline for real, on loopback: telemetrygen -> the rendered staging agent -> two replicas of the rendered
 * staging gateway (trace-ID load balancing, tail sampling) -> the rendered Jaeger collector (Badger) -> the rendered
 * Jaeger query (remote storage), every one the binary of the release we deploy. What Jaeger holds is compared with
 * the sampling policies of the stack: every error trace kept, slow traces at their amplified rate, the rest at each
 * service's rate, within four standard deviations of the binomial count; and no collector refused or dropped a span.
 * The gateways' spanmetrics go over OTLP to two Prometheus servers (the HA pair, with the flags the StatefulSet runs)
 * and must count every span the agent accepted, sampled or not; Jaeger query's Monitor API reads them back.
 *
 * Off-cluster stand-ins, and nothing else:
 * - every listener binds a free loopback port instead of 0.0.0.0:<port>;
 * - the agent's `load_balancing` exporter gets the two gateways as a static list (its DNS resolver reads the
 *   headless Service in the cluster); the gateway exports to the loopback Jaeger collector, and the query reads its
 *   remote storage on loopback, instead of the Service names;
 * - `k8s_attributes` is left out of the agent's pipeline (it needs an API server; sampling reads `service.name`);
 * - Badger keeps its files in a temp dir (a volume in the pod);
 * - the gateways push spanmetrics to the two loopback Prometheus servers instead of the StatefulSet pods' DNS names,
 *   and Jaeger query reads the first one instead of the Prometheus Service.
 */
import { strict as assert } from "assert";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import type { SamplingConfig } from "../config/tracing";
import { validateStackConfig } from "../config";
import { toGoYaml } from "../rules/yaml";
import { renderStack, stackValues } from "./support/harness";
import { freeLoopbackPort } from "./support/prom-tools";
import { containerEnv, eventually, metricSum, onLoopback, readerOf, startPeer, tempDir, withLocalState, type Peer } from "./support/peers";
import { toolchainBinary } from "../toolchain/paths";
import { metricsBackend } from "../components/tracing-tier/jaeger";
import { execFile } from "node:child_process";

type Doc = Record<string, any>;

interface Running {
  peer: Peer;
  ports: Map<number, number>;
  metricsUrl: string;
}

/** One generated batch of traces: a service, what the traces look like, and how many. */
interface Batch {
  service: string;
  category: "ok" | "slow" | "error";
  count: number;
  spanDurationMs?: number;
}

function telemetrygen(endpoint: string, b: Batch): Promise<void> {
  const args = [
    "traces", `--otlp-endpoint=${endpoint}`, "--otlp-insecure", `--service=${b.service}`, "--workers=1", `--traces=${b.count}`,
    "--rate=5000", "--child-spans=1", `--telemetry-attributes=test.category="${b.category}"`,
    `--status-code=${b.category === "error" ? "Error" : "Ok"}`,
    ...(b.spanDurationMs ? [`--span-duration=${b.spanDurationMs}ms`] : []),
  ];
  return new Promise((resolve, reject) => {
    execFile(toolchainBinary("telemetrygen"), args, { timeout: 60_000, env: { PATH: process.env.PATH ?? "" } }, (error, _out, stderr) =>
      error ? reject(new Error(`telemetrygen ${args.join(" ")}: ${error.message}\n${stderr}`)) : resolve());
  });
}

/** The keep probability the gateway's policies give a trace of this batch (the probabilistic hashes nest: same salt). */
type ServicePolicy = SamplingConfig["services"]["ryot"];

function expectedRate(sampling: SamplingConfig, b: Batch): number {
  const policy = (Object.values(sampling.services) as ServicePolicy[]).find((s) => s.serviceNames.includes(b.service));
  if (b.category === "error") return 1;
  if (!policy) return sampling.defaultRate;
  return b.category === "slow" ? Math.max(policy.rate, policy.slowRate) : policy.rate;
}

describe("trace pipeline: telemetrygen -> agent -> 2 sampling gateways -> Jaeger (staging configs, deployed releases)", function () {
  this.timeout(240_000);
  const stack = "staging";
  const sampling = validateStackConfig(stackValues(stack)).tracing.sampling;
  const running: Running[] = [];
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let queryUrl = "";
  let agentOtlp = "";
  const batches: Batch[] = [];
  const prometheusUrls: string[] = [];
  const prometheusPeers: Peer[] = [];

  async function start(name: string, binary: "otelcol" | "jaeger", doc: Doc, env: Record<string, string>, health: { port: number; path: string }): Promise<Running> {
    const ports = await onLoopback(doc);
    const path = join(tmp.dir, `${name}.yaml`);
    await writeFile(path, toGoYaml(doc));
    const peer = startPeer(name, binary, [`--config=${path}`], { env });
    const telemetry = doc.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
    const r = { peer, ports, metricsUrl: `http://${telemetry.host}:${telemetry.port}/metrics` };
    running.push(r);
    const url = `http://127.0.0.1:${ports.get(health.port)}${health.path}`;
    await eventually(`${name} healthy at ${url}`, 30_000, async () => ((await fetch(url)).ok ? true : undefined), [peer]);
    return r;
  }

  before(async () => {
    tmp = await tempDir("trace-pipeline-");
    const r = await renderStack(stack);
    const doc = (file: string) => withLocalState(parse(r.configs()[file]) as Doc, tmp.dir);
    const env = (file: string) => containerEnv(readerOf(r, file).container);

    const collectorDoc = doc("jaeger.yaml");
    const collector = await start("jaeger-collector", "jaeger", collectorDoc, env("jaeger.yaml"), { port: 13133, path: "/status" });
    const remoteStorage = collectorDoc.extensions.remote_storage.endpoint as string;

    // The HA pair with the OTLP and exemplar flags of the rendered StatefulSet, on a config without scrape jobs.
    const promContainer = r.podTemplates().flatMap((t) => t.spec.containers as Record<string, any>[])
      .find((ct) => (ct.args ?? []).some((a: string) => a.startsWith("--config.file=") && a.endsWith("prometheus.yml")))!;
    const promArgs = (promContainer.args as string[]).filter((a) => /^--(web\.enable-otlp-receiver|enable-feature=)/.test(a));
    assert.ok(promArgs.includes("--web.enable-otlp-receiver"), "the rendered Prometheus accepts OTLP");
    for (const i of [0, 1]) {
      const dir = join(tmp.dir, `prometheus-${i}`);
      await mkdir(dir);
      await writeFile(join(dir, "prometheus.yml"), toGoYaml({ global: { scrape_interval: "15s" } }));
      const port = await freeLoopbackPort();
      const peer = startPeer(`prometheus-${i}`, "prometheus", [
        "--config.file=prometheus.yml", `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, ...promArgs,
      ], { cwd: dir });
      prometheusPeers.push(peer);
      prometheusUrls.push(`http://127.0.0.1:${port}`);
      await eventually(`prometheus-${i} ready`, 20_000, async () => ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok ? true : undefined), [peer]);
    }

    const queryDoc = doc("jaeger-query.yaml");
    queryDoc.extensions.jaeger_storage.backends.traces.grpc.endpoint = remoteStorage;
    queryDoc.extensions.jaeger_storage.metric_backends[metricsBackend].prometheus.endpoint = prometheusUrls[0];
    const query = await start("jaeger-query", "jaeger", queryDoc, env("jaeger-query.yaml"), { port: 13133, path: "/status" });
    queryUrl = `http://127.0.0.1:${query.ports.get(16686)}`;

    const gateways: string[] = [];
    for (const i of [0, 1]) {
      const g = doc("otel-gateway.yaml");
      g.exporters["otlp_grpc/jaeger"].endpoint = collectorDoc.receivers.otlp.protocols.grpc.endpoint;
      const toPrometheus = g.service.pipelines["metrics/spanmetrics"].exporters as string[];
      assert.equal(toPrometheus.length, prometheusUrls.length, "one spanmetrics exporter per Prometheus replica");
      toPrometheus.forEach((e, j) => (g.exporters[e].metrics_endpoint = `${prometheusUrls[j]}/api/v1/otlp/v1/metrics`));
      const gw = await start(`otel-gateway-${i}`, "otelcol", g, env("otel-gateway.yaml"), { port: 13133, path: "/" });
      gateways.push(`127.0.0.1:${gw.ports.get(4317)}`);
    }

    const a = doc("otel-agent.yaml");
    a.exporters.load_balancing.resolver = { static: { hostnames: gateways } };
    a.service.pipelines.traces.processors = a.service.pipelines.traces.processors.filter((p: string) => p !== "k8s_attributes");
    delete a.processors.k8s_attributes;
    const agent = await start("otel-agent", "otelcol", a, env("otel-agent.yaml"), { port: 13133, path: "/" });
    agentOtlp = `127.0.0.1:${agent.ports.get(4317)}`;
    assert.ok(collector && agent);

    for (const policy of Object.values(sampling.services) as ServicePolicy[]) {
      const service = policy.serviceNames[0];
      batches.push({ service, category: "ok", count: 800 });
      batches.push({ service, category: "slow", count: 200, spanDurationMs: policy.slowThresholdMs + 100 });
      batches.push({ service, category: "error", count: 100 });
    }
    batches.push({ service: "checkout-demo", category: "ok", count: 400 });
    for (const b of batches) await telemetrygen(agentOtlp, b);
  });

  after(async () => {
    for (const r of running.reverse()) await r.peer.stop();
    for (const p of prometheusPeers) await p.stop(5_000);
    await tmp?.remove();
  });

  const generated = () => batches.reduce((n, b) => n + b.count, 0);
  const gatewayMetric = async (name: string, labels: Record<string, string> = {}) => {
    let sum = 0;
    for (const r of running.filter((x) => x.peer.name.startsWith("otel-gateway"))) sum += metricSum(await (await fetch(r.metricsUrl)).text(), name, labels);
    return sum;
  };

  it("decides on every trace once, spread over both gateways by trace ID", async () => {
    const decided = await eventually("every trace to be decided (decision_wait 30s)", 90_000, async () => {
      const n = await gatewayMetric("otelcol_processor_tail_sampling_global_count_traces_sampled");
      return n >= generated() ? n : undefined;
    });
    assert.equal(decided, generated());
    const perGateway = await Promise.all(running.filter((x) => x.peer.name.startsWith("otel-gateway")).map(async (r) =>
      metricSum(await (await fetch(r.metricsUrl)).text(), "otelcol_processor_tail_sampling_new_trace_id_received")));
    const skew = Math.max(...perGateway) / (generated() / perGateway.length);
    console.log(`      traces per gateway: ${perGateway.join(" / ")} (busiest at ${skew.toFixed(2)}x an even share)`);
    assert.ok(perGateway.every((n) => n > 0), "both gateways receive traces");
  });

  it("keeps every error trace, slow traces at their amplified rate and the rest at each service's rate", async () => {
    const kept = await gatewayMetric("otelcol_processor_tail_sampling_global_count_traces_sampled", { sampled: "true" });
    const stored = new Map<string, number>();
    await eventually(`Jaeger to hold all ${kept} sampled traces`, 60_000, async () => {
      stored.clear();
      for (const service of new Set(batches.map((b) => b.service))) {
        const body = (await (await fetch(`${queryUrl}/api/traces?service=${service}&limit=100000&lookback=1h`)).json()) as { data: any[] };
        for (const trace of body.data ?? []) {
          const tag = trace.spans.flatMap((s: any) => s.tags).find((t: any) => t.key === "test.category")?.value;
          const key = `${service}/${tag}`;
          stored.set(key, (stored.get(key) ?? 0) + 1);
        }
      }
      return [...stored.values()].reduce((a, b) => a + b, 0) >= kept ? true : undefined;
    });
    const rows = batches.map((b) => {
      const p = expectedRate(sampling, b);
      const n = stored.get(`${b.service}/${b.category}`) ?? 0;
      const bound = 4 * Math.sqrt(b.count * p * (1 - p));
      return { ...b, p, n, bound, ok: Math.abs(n - b.count * p) <= bound };
    });
    console.log("      service        traces    configured  kept     (4 sd bound)");
    for (const r of rows) {
      const label = `${r.service} ${r.category}`.padEnd(22);
      console.log(`      ${label} ${String(r.count).padStart(4)}  ${(r.p * 100).toFixed(0).padStart(8)}%  ${((r.n / r.count) * 100).toFixed(1).padStart(6)}%  (+-${((r.bound / r.count) * 100).toFixed(1)}%)`);
    }
    assert.deepEqual(rows.filter((r) => r.category === "error" && r.n !== r.count).map((r) => `${r.service}: ${r.n}/${r.count}`), [], "every error trace is kept");
    assert.deepEqual(rows.filter((r) => !r.ok).map((r) => `${r.service} ${r.category}: kept ${r.n} of ${r.count}, expected ${r.count * r.p} +- ${r.bound.toFixed(1)}`), []);
  });

  /** One PromQL instant query against a loopback Prometheus: the result vector as label sets with their values. */
  async function promQuery(url: string, query: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const body = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as any;
    if (body.status !== "success") throw new Error(`${query}: ${JSON.stringify(body)}`);
    return body.data.result.map((r: any) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  it("spanmetrics count every span the agent accepted, before sampling, in both Prometheus replicas", async () => {
    const agent = running.find((r) => r.peer.name === "otel-agent")!;
    const accepted = metricSum(await (await fetch(agent.metricsUrl)).text(), "otelcol_receiver_accepted_spans");
    const spansPerTrace = accepted / generated();
    assert.ok(Number.isInteger(spansPerTrace) && spansPerTrace >= 1, `${accepted} spans for ${generated()} traces`);
    const calls = "traces_span_metrics_calls_total";
    for (const url of prometheusUrls) {
      const total = await eventually(`${url} to hold ${accepted} calls (flush every 15s)`, 90_000, async () => {
        const [v] = await promQuery(url, `sum(${calls})`);
        return v && v.value >= accepted ? v.value : undefined;
      }, prometheusPeers);
      assert.equal(total, accepted, "spanmetrics count each span exactly once");
      const perService = await promQuery(url, `sum by (service_name) (${calls})`);
      const expected = new Map<string, number>();
      for (const b of batches) expected.set(b.service, (expected.get(b.service) ?? 0) + b.count * spansPerTrace);
      assert.deepEqual(
        Object.fromEntries(perService.map((r) => [r.metric.service_name, r.value])),
        Object.fromEntries(expected),
        "every service's calls are all its spans, sampled or not",
      );
      const errors = await promQuery(url, `sum(${calls}{status_code="STATUS_CODE_ERROR"})`);
      const errorSpans = batches.filter((b) => b.category === "error").reduce((n, b) => n + b.count * spansPerTrace, 0);
      assert.equal(errors[0]?.value, errorSpans, "errors are the spans with an error status");
      const gateways = await promQuery(url, `count by (collector_instance_id) (${calls})`);
      assert.equal(gateways.length, 2, "each gateway writes its own series (collector_instance_id)");
      const [series] = await promQuery(url, `${calls}`);
      assert.deepEqual(
        Object.keys(series.metric).filter((l) => ["__name__", "job", "service_name", "span_name", "span_kind", "status_code", "collector_instance_id"].includes(l)).sort(),
        ["__name__", "collector_instance_id", "job", "service_name", "span_kind", "span_name", "status_code"],
        `the labels dashboards and Jaeger read: ${JSON.stringify(series.metric)}`,
      );
      const buckets = await promQuery(url, `sum(traces_span_metrics_duration_milliseconds_count)`);
      assert.equal(buckets[0]?.value, accepted, "the latency histogram counts every span too");
    }
    const stored = await (await fetch(`${queryUrl}/api/traces?service=${batches[0].service}&limit=100000&lookback=1h`)).json() as { data: unknown[] };
    console.log(`      spanmetrics series labels: ${Object.keys((await promQuery(prometheusUrls[0], calls))[0].metric).sort().join(", ")}`);
    console.log(`      spanmetrics: ${accepted} spans counted in each Prometheus replica; ${batches[0].service}: ${stored.data.length} of ${batches.filter((b) => b.service === batches[0].service).reduce((n, b) => n + b.count, 0)} traces stored after sampling`);
  });

  it("keeps a trace ID exemplar on the latency histogram for Grafana's exemplar -> Jaeger link", async () => {
    const now = Date.now() / 1000;
    const body = (await (await fetch(`${prometheusUrls[0]}/api/v1/query_exemplars?query=${encodeURIComponent("traces_span_metrics_duration_milliseconds_bucket")}&start=${now - 3600}&end=${now + 60}`)).json()) as any;
    const exemplars = (body.data ?? []).flatMap((s: any) => s.exemplars);
    assert.ok(exemplars.length > 0, `no exemplars: ${JSON.stringify(body).slice(0, 500)}`);
    assert.match(exemplars[0].labels.trace_id, /^[0-9a-f]{32}$/, "exemplars carry the trace_id label the Prometheus datasource links on");
  });

  it("Jaeger's Monitor tab reads the spanmetrics from Prometheus", async () => {
    const service = batches[0].service;
    const params = `service=${service}&endTs=${Date.now()}&lookback=3600000&step=60000&ratePer=600000&spanKind=server&spanKind=client`;
    for (const kind of ["calls", "latencies?quantile=0.95&", "errors"]) {
      const path = kind.includes("?") ? `${kind}${params}` : `${kind}?${params}`;
      const body = (await (await fetch(`${queryUrl}/api/metrics/${path}`)).json()) as any;
      const points = (body.metrics ?? []).flatMap((m: any) => m.metricPoints ?? []);
      assert.ok(points.length > 0, `/api/metrics/${kind.split("?")[0]} for ${service} returned no points: ${JSON.stringify(body).slice(0, 400)}`);
    }
  });

  it("no collector refused, failed to queue, failed to send or dropped a span before its decision", async () => {
    const lost: string[] = [];
    for (const r of running) {
      const text = await (await fetch(r.metricsUrl)).text();
      for (const name of [
        "otelcol_receiver_refused_spans", "otelcol_exporter_enqueue_failed_spans", "otelcol_exporter_send_failed_spans",
        "otelcol_exporter_send_failed_metric_points", "otelcol_exporter_enqueue_failed_metric_points",
        "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early",
      ]) {
        const n = metricSum(text, name);
        if (n > 0) lost.push(`${r.peer.name}: ${name} = ${n}`);
      }
    }
    assert.deepEqual(lost, []);
    // The one expected warning: a Jaeger built from its Go module has no UI bundle (the release image embeds it).
    const uiBundle = /ui assets not embedded in the binary/;
    const complaints = running.flatMap((r) =>
      r.peer.logs().split("\n").filter((l) => /"level":"(warn|error)"/.test(l) && !uiBundle.test(l)).map((l) => `${r.peer.name}: ${l}`));
    assert.deepEqual(complaints, [], "no collector logs a warning (a deprecation, a refused setting) or an error");
  });
});
