/**
 * The trace pipeline for real, on loopback: telemetrygen -> the rendered staging agent -> two replicas of the rendered
 * staging gateway (trace-ID load balancing, tail sampling) -> the rendered Jaeger collector (Badger) -> the rendered
 * Jaeger query (remote storage), every one the binary of the release we deploy. What Jaeger holds is compared with
 * the sampling policies of the stack: every error trace kept, slow traces at their amplified rate, the rest at each
 * service's rate, within four standard deviations of the binomial count; and no collector refused or dropped a span.
 *
 * Off-cluster stand-ins, and nothing else:
 * - every listener binds a free loopback port instead of 0.0.0.0:<port>;
 * - the agent's `load_balancing` exporter gets the two gateways as a static list (its DNS resolver reads the
 *   headless Service in the cluster); the gateway exports to the loopback Jaeger collector, and the query reads its
 *   remote storage on loopback, instead of the Service names;
 * - `k8s_attributes` is left out of the agent's pipeline (it needs an API server; sampling reads `service.name`);
 * - Badger keeps its files in a temp dir (a volume in the pod).
 */
import { strict as assert } from "assert";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import type { SamplingConfig } from "../config/tracing";
import { validateStackConfig } from "../config";
import { toGoYaml } from "../rules/yaml";
import { renderStack, stackValues } from "./support/harness";
import { freeLoopbackPort } from "./support/prom-tools";
import { containerEnv, eventually, metricSum, onLoopback, readerOf, startPeer, tempDir, withLocalState, type Peer } from "./support/peers";
import { toolchainBinary } from "../toolchain/paths";
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

    const queryDoc = doc("jaeger-query.yaml");
    queryDoc.extensions.jaeger_storage.backends.traces.grpc.endpoint = remoteStorage;
    const query = await start("jaeger-query", "jaeger", queryDoc, env("jaeger-query.yaml"), { port: 13133, path: "/status" });
    queryUrl = `http://127.0.0.1:${query.ports.get(16686)}`;

    const gateways: string[] = [];
    for (const i of [0, 1]) {
      const g = doc("otel-gateway.yaml");
      g.exporters["otlp_grpc/jaeger"].endpoint = collectorDoc.receivers.otlp.protocols.grpc.endpoint;
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

  it("no collector refused, failed to queue, failed to send or dropped a span before its decision", async () => {
    const lost: string[] = [];
    for (const r of running) {
      const text = await (await fetch(r.metricsUrl)).text();
      for (const name of [
        "otelcol_receiver_refused_spans", "otelcol_exporter_enqueue_failed_spans", "otelcol_exporter_send_failed_spans",
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
