/**
 * `npm run bench:gateway`: how many new traces per second one sampling gateway replica holds. It runs the rendered
 * prod gateway config under the collector build of the deployed release, in a memory cgroup with the container's
 * memory limit and GOMEMLIMIT, drives it with telemetrygen at rising rates, and prints for each step the rate reached,
 * traces dropped before their decision and refused spans, then the highest rate held cleanly next to the expected
 * per-replica peak (`tracing.gateway.expectedNewTracesPerSec` over the replicas). A benchmark, not a test: about 90 s per step (load, then the decision wait).
 *
 * Stand-ins: listeners on loopback; the exporter sends to a loopback OTLP gRPC sink that accepts and discards (Jaeger
 * is not what is measured). Rates: BENCH_GATEWAY_RATES (comma-separated traces/s), default 1500,2500,3000,3500,4000.
 */
import * as grpc from "@grpc/grpc-js";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { goMemLimitEnv } from "../../components/k8s/pod";
import { parseQuantity } from "../../components/k8s/quantity";
import { toGoYaml } from "../../rules/yaml";
import { toolchainBinary } from "../../toolchain/paths";
import { eventually, metricSum, onLoopback, startPeer, tempDir } from "../../toolchain/run";
import { defaultServiceNames, serviceCatalog } from "../../catalog";
import { validateStackConfig } from "../../config";
import { defaultProjectDir, synthStack } from "../synth";
import { readStackFile } from "../synth/stack-files";
import { generatedDocuments } from "../synth/write";

const rates = (process.env.BENCH_GATEWAY_RATES ?? "1500,2500,3000,3500,4000").split(",").map(Number);
const loadSeconds = 45;
/** The `service.name` of the generated traces: the first catalogued service's, so they meet its own policies as real traffic does. */
const benchServiceName = defaultServiceNames(serviceCatalog[0])[0];

/** An OTLP gRPC trace sink: answers every export with an empty (valid) response. */
async function startSink(): Promise<{ address: string; stop: () => void }> {
  const server = new grpc.Server();
  const identity = { path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export", requestStream: false, responseStream: false,
    requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
  server.addService({ Export: identity }, { Export: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.alloc(0)) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

/** A cgroup v1 memory group with the container's limit, or undefined where none can be made (then the limit is GOMEMLIMIT only). */
function memoryCgroup(limitBytes: number): { add: (pid: number) => void; remove: () => void } | undefined {
  const dir = `/sys/fs/cgroup/memory/sigma-bench-${process.pid}`;
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, "memory.limit_in_bytes"), String(limitBytes));
    return { add: (pid) => writeFileSync(join(dir, "cgroup.procs"), String(pid)), remove: () => rmdirSync(dir) };
  } catch {
    return undefined;
  }
}

function telemetrygen(endpoint: string, tracesPerSec: number): Promise<void> {
  // Each trace is a root and one child; telemetrygen's rate is spans per second per worker.
  const workers = 4;
  const args = ["traces", `--otlp-endpoint=${endpoint}`, "--otlp-insecure", `--service=${benchServiceName}`, `--workers=${workers}`,
    `--rate=${(tracesPerSec * 2) / workers}`, `--duration=${loadSeconds}s`, "--child-spans=1"];
  return new Promise((resolve, reject) =>
    execFile(toolchainBinary("telemetrygen"), args, { timeout: (loadSeconds + 60) * 1000 }, (e, _o, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve())));
}

async function main(): Promise<void> {
  const g = validateStackConfig(readStackFile(defaultProjectDir, "prod").values).tracing.gateway;
  const doc = parse(generatedDocuments((await synthStack({ stack: "prod" })).resources)["otel-gateway.yaml"]) as Record<string, any>;
  const tmp = await tempDir("bench-gateway-");
  const sink = await startSink();
  const ports = await onLoopback(doc);
  doc.exporters["otlp_grpc/jaeger"].endpoint = sink.address;
  const path = join(tmp.dir, "otel-gateway.yaml");
  writeFileSync(path, toGoYaml(doc));
  const limit = parseQuantity(g.resources.limits.memory);
  const cgroup = memoryCgroup(limit);
  const gomemlimit = goMemLimitEnv(g.resources).value as string;
  const gateway = startPeer("otel-gateway", "otelcol", [`--config=${path}`], { env: { GOMEMLIMIT: gomemlimit } });
  const telemetry = doc.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
  const metricsUrl = `http://${telemetry.host}:${telemetry.port}/metrics`;
  try {
    await eventually("the gateway to be healthy", 30_000, async () => ((await fetch(`http://127.0.0.1:${ports.get(13133)}/`)).ok ? true : undefined), [gateway]);
    const pid = gateway.pid();
    if (cgroup && pid) cgroup.add(pid);
    const perReplica = Math.ceil(g.expectedNewTracesPerSec / g.replicas);
    const oneDown = Math.ceil(g.expectedNewTracesPerSec / Math.max(1, g.replicas - g.maxUnavailable));
    console.log(`gateway (prod config): num_traces ${g.numTraces}, decision_wait ${g.decisionWait}, memory limit ${g.resources.limits.memory}` +
      `${cgroup ? " (memory cgroup)" : " (no memory cgroup could be made: GOMEMLIMIT only)"}, GOMEMLIMIT ${gomemlimit}`);
    console.log(`expected peak per replica: ${perReplica} traces/s (${oneDown}/s with ${g.maxUnavailable} of ${g.replicas} down)`);
    console.log(`${"offered/s".padStart(9)} ${"reached/s".padStart(9)} ${"dropped early".padStart(13)} ${"refused spans".padStart(13)} ${"RSS MiB".padStart(8)}`);
    let held = 0;
    for (const rate of rates) {
      const before = await (await fetch(metricsUrl)).text();
      await telemetrygen(`127.0.0.1:${ports.get(4317)}`, rate);
      const rss = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+)/)?.[1];
      // Every trace of the step is decided decision_wait after its first span.
      await new Promise((resolve) => setTimeout(resolve, 35_000));
      const after = await (await fetch(metricsUrl)).text();
      const delta = (name: string) => metricSum(after, name) - metricSum(before, name);
      const reached = delta("otelcol_processor_tail_sampling_new_trace_id_received") / loadSeconds;
      const dropped = delta("otelcol_processor_tail_sampling_sampling_trace_dropped_too_early");
      const refused = delta("otelcol_receiver_refused_spans");
      console.log(`${String(rate).padStart(9)} ${reached.toFixed(0).padStart(9)} ${String(dropped).padStart(13)} ${String(refused).padStart(13)} ${String(Math.round(Number(rss) / 1024)).padStart(8)}`);
      if (dropped > 0 || refused > 0 || gateway.exited()) break;
      held = Math.round(reached);
    }
    console.log(held > 0
      ? `highest rate held with nothing dropped or refused: ${held} traces/s (${(held / perReplica).toFixed(1)}x the expected ${perReplica}/s, ${(held / oneDown).toFixed(1)}x with a replica down)`
      : "no step was held cleanly");
  } finally {
    await gateway.stop();
    sink.stop();
    cgroup?.remove();
    await tmp.remove();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
