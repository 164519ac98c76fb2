/**
 * The log pipeline for real: the rendered prod log-agent config, run by the collector build of the deployed release,
 * tails a fake `/var/log/pods` tree (CRI-format lines, rotation included) and ships to a loopback OTLP sink standing
 * in for Loki. Every line must arrive exactly once with the resource attributes Loki indexes, and an agent replaced
 * mid-stream (stopped, lines written while none runs, a new process on the same state directory) neither loses nor
 * replays a line.
 *
 * Off-cluster stand-ins, and nothing else:
 * - the pod log tree and the state directory (hostPaths in the pod) are folders of a temp dir;
 * - `k8s_attributes` is left out of the pipeline: it needs an API server, and the attributes checked here come from
 *   the container parser (the file path) and the resource processor;
 * - the exporter sends to the sink on loopback, JSON-encoded so the sink can read it without OTLP's protobuf schema.
 */
import { strict as assert } from "assert";
import { appendFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parse } from "yaml";
import { toGoYaml } from "../rules/yaml";
import { renderStack } from "./support/harness";
import { freeLoopbackPort } from "./support/prom-tools";
import { containerEnv, eventually, readerOf, startPeer, tempDir, type Peer } from "./support/peers";

interface Received {
  line: string;
  resource: Record<string, string>;
  attributes: Record<string, string>;
  /** The record's trace context as OTLP/JSON carries it: lowercase hex, empty when unset. */
  traceId: string;
  spanId: string;
}

type OtlpValue = { stringValue?: string; intValue?: string };
const flatten = (attrs: { key: string; value: OtlpValue }[] = []) =>
  Object.fromEntries(attrs.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? ""]));

/** A loopback OTLP/HTTP logs sink: every record it was sent, in order. */
async function startSink(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c)).on("end", () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8"));
      for (const rl of body.resourceLogs ?? []) {
        const resource = flatten(rl.resource?.attributes);
        for (const sl of rl.scopeLogs ?? []) {
          for (const r of sl.logRecords ?? []) {
            received.push({ line: r.body?.stringValue ?? "", resource, attributes: flatten(r.attributes), traceId: r.traceId ?? "", spanId: r.spanId ?? "" });
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

/** A CRI log line as containerd writes it. */
const criLine = (text: string) => `${new Date().toISOString().replace("Z", "000000Z")} stdout F ${text}\n`;

describe("log pipeline: the rendered log agent under the deployed collector, on a fake node", function () {
  this.timeout(120_000);
  const pod = { namespace: "ryot", name: "ryot-inference-7d9f-abcde", uid: "0b5c2a7e-1f3d-4c8e-9a6b-2d4e6f8a0c1e", container: "server" };
  const podDir = `${pod.namespace}_${pod.name}_${pod.uid}`;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let agents: Peer[] = [];
  let configPath = "";
  let env: Record<string, string> = {};
  const written: string[] = [];

  const logFile = (dir = podDir, container = pod.container) => join(tmp.dir, "pods", dir, container, "0.log");
  async function write(count: number, prefix: string, file = logFile()): Promise<void> {
    for (let i = 0; i < count; i++) {
      const line = JSON.stringify({ level: "info", msg: `${prefix}-${i}` });
      written.push(line);
      await appendFile(file, criLine(line));
    }
  }
  const startAgent = async (config = configPath) => {
    const agent = startPeer(`log agent #${agents.length + 1}`, "otelcol", [`--config=${config}`], { env });
    agents.push(agent);
    await eventually("the agent to report healthy", 20_000, async () => ((await fetch(`http://127.0.0.1:${env.HEALTH_PORT}/`)).ok ? true : undefined), [agent]);
    return agent;
  };
  /**
   * Waits until the agent tails the pod's file: a new agent starts at the end of files it has never seen, so lines
   * written before its first poll are skipped by design. Probe lines (not counted as written) go in every 200 ms
   * until one arrives.
   */
  const probe = /^\{"probe":/;
  async function awaitTailing(): Promise<void> {
    const agent = agents.length;
    let n = 0;
    await eventually("the agent to tail the pod's log file", 30_000, async () => {
      await appendFile(logFile(), criLine(JSON.stringify({ probe: `${agent}-${n++}` })));
      return sink.received.some((r) => r.line.startsWith(`{"probe":"${agent}-`)) ? true : undefined;
    }, agents.filter((a) => !a.exited()));
  }
  const shipped = () => sink.received.filter((r) => !probe.test(r.line));
  const delivered = (lines: string[]) =>
    eventually(`${lines.length} lines to reach the sink`, 30_000, async () => (lines.every((l) => sink.received.some((r) => r.line === l)) ? true : undefined), agents.filter((a) => !a.exited()));

  before(async () => {
    tmp = await tempDir("log-pipeline-");
    sink = await startSink();
    const r = await renderStack("prod");
    const doc = parse(r.configs()["otel-log-agent.yaml"]) as Record<string, any>;
    const nodePods = join(tmp.dir, "pods");
    const receiver = doc.receivers.file_log;
    receiver.include = receiver.include.map((p: string) => p.replace("/var/log/pods", nodePods));
    receiver.exclude = receiver.exclude.map((p: string) => p.replace("/var/log/pods", nodePods));
    doc.extensions.file_storage.directory = join(tmp.dir, "state");
    const healthPort = await freeLoopbackPort();
    doc.extensions.health_check.endpoint = `127.0.0.1:${healthPort}`;
    doc.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port = await freeLoopbackPort();
    doc.service.pipelines.logs.processors = doc.service.pipelines.logs.processors.filter((p: string) => p !== "k8s_attributes");
    delete doc.processors.k8s_attributes;
    const exporter = doc.exporters["otlp_http/loki"];
    exporter.endpoint = `${sink.url}/otlp`;
    exporter.encoding = "json";
    await mkdir(doc.extensions.file_storage.directory, { recursive: true });
    await mkdir(join(nodePods, podDir, pod.container), { recursive: true });
    await writeFile(logFile(), "");
    configPath = join(tmp.dir, "otel-log-agent.yaml");
    await writeFile(configPath, toGoYaml(doc));
    env = { ...containerEnv(readerOf(r, "otel-log-agent.yaml").container), HEALTH_PORT: String(healthPort) };
  });

  after(async () => {
    for (const a of agents) await a.stop();
    await sink?.close();
    await tmp?.remove();
  });

  it("ships every line written after it started, with the resource attributes Loki indexes", async () => {
    await startAgent();
    await awaitTailing();
    await write(200, "first");
    await delivered(written);
    const record = sink.received.find((x) => x.line === written[0])!;
    assert.deepEqual(
      {
        namespace: record.resource["k8s.namespace.name"],
        pod: record.resource["k8s.pod.name"],
        uid: record.resource["k8s.pod.uid"],
        container: record.resource["k8s.container.name"],
        cluster: record.resource["k8s.cluster.name"],
        environment: record.resource["deployment.environment.name"],
      },
      { namespace: pod.namespace, pod: pod.name, uid: pod.uid, container: pod.container, cluster: "sigma-prod", environment: "prod" },
    );
    assert.equal(record.attributes["log.iostream"], "stdout");
  });

  it("lifts trace_id and span_id of JSON and logfmt lines into the record's trace context, and leaves the line as written", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const spanId = "00f067aa0ba902b7";
    const json = JSON.stringify({ level: "error", msg: "vault write failed", trace_id: traceId, span_id: spanId, user: "u-1" });
    const logfmt = `level=warn msg="slow first token" trace_id=${traceId.replace("4bf", "5bf")} span_id=${spanId.replace("00f", "01f")} ms=180`;
    const plain = "plain text mentioning trace_id without a value";
    const lines = [json, logfmt, plain];
    for (const line of lines) {
      written.push(line);
      await appendFile(logFile(), criLine(line));
    }
    await delivered(lines);
    const got = (line: string) => sink.received.find((r) => r.line === line)!;
    assert.deepEqual(
      lines.map((l) => ({ traceId: got(l).traceId, spanId: got(l).spanId })),
      [
        { traceId, spanId },
        { traceId: traceId.replace("4bf", "5bf"), spanId: spanId.replace("00f", "01f") },
        { traceId: "", spanId: "" },
      ],
    );
    for (const l of lines) {
      assert.deepEqual(Object.keys(got(l).attributes).sort(), ["log.file.path", "log.iostream", "logtag"], "no field of the line becomes an attribute");
    }
  });

  it("follows a rotated file: lines before and after containerd's rotation arrive", async () => {
    await write(50, "before-rotation");
    await delivered(written);
    await rename(logFile(), `${logFile()}.20261128-170000`);
    await writeFile(logFile(), "");
    await write(50, "after-rotation");
    await delivered(written);
  });

  it("a replaced agent resumes at its checkpoints on the node: nothing written while none ran is lost, nothing is sent twice", async () => {
    await write(100, "before-stop");
    const [first] = agents.filter((a) => !a.exited());
    await first.stop();
    assert.match(first.logs(), /Shutdown complete/);
    await write(100, "while-stopped");
    // A pod that started while no agent ran on the node.
    const newPod = `${pod.namespace}_ryot-inference-7d9f-fghij_4e1b7c3d-2a5f-4b8e-8c9d-0f1e2d3c4b5a`;
    await mkdir(join(tmp.dir, "pods", newPod, pod.container), { recursive: true });
    await write(20, "new-pod-while-stopped", logFile(newPod));
    await startAgent();
    await write(100, "after-restart");
    await delivered(written);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const counts = new Map<string, number>();
    for (const r of shipped()) counts.set(r.line, (counts.get(r.line) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([l]) => l);
    assert.deepEqual(twice, [], "lines shipped more than once");
    const complaints = agents.flatMap((a) => a.logs().split("\n").filter((l) => /\t(warn|error)\t/.test(l)));
    assert.deepEqual(complaints, [], "the agent logs no warning (a deprecation, a refused setting) and no error");
    assert.equal(shipped().length, written.length);
    console.log(`      ${written.length} lines written, ${shipped().length} received, 0 lost, 0 duplicated across one rotation and one agent replacement`);
  });

  it("without the node's checkpoints (the emptyDir it used to have) a replaced agent loses what was written meanwhile", async () => {
    const [current] = agents.filter((a) => !a.exited());
    await current.stop();
    const gap = written.length;
    await write(50, "while-stopped-again");
    const lost = written.slice(gap);
    const doc = parse(await readFile(configPath, "utf8")) as Record<string, any>;
    doc.extensions.file_storage.directory = join(tmp.dir, "fresh-state");
    await mkdir(doc.extensions.file_storage.directory);
    const fresh = join(tmp.dir, "fresh-state.yaml");
    await writeFile(fresh, toGoYaml(doc));
    await startAgent(fresh);
    await awaitTailing();
    await write(50, "after-fresh-start");
    await delivered(written.slice(gap + lost.length));
    assert.deepEqual(lost.filter((l) => sink.received.some((r) => r.line === l)), [], "a fresh agent starts at the end of every file");
  });
});
