import { strict as assert } from "assert";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { connect, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { validateStackConfig, type StackConfig } from "../config";
import {
  buildPrometheusConfig, componentTargets, kubeletMetrics, kubeletPort, kubeletScrapeConfig, metricsPort, serviceAccountFiles,
  type PrometheusConfig, type ScrapeConfig,
} from "../components/monitoring-core/prometheus-config";
import { selectorLabels } from "../components/k8s/labels";
import { namespaceOf, topology, type Workload } from "../components/topology";
import { buildRuleFiles, componentJobs, kubeletJob, serviceKeys, toGoYaml, type AlertingRule } from "../rules";
import type { ComponentKey } from "../rules/jobs";
import { promtoolCheckConfig, startPrometheus, type RunningPrometheus } from "./support/prom-tools";
import { eventually } from "../toolchain/run";
import { stackValues } from "./support/harness";

/** Files that exist only in the Prometheus pod, and where the locally checked copy finds stand-ins for them. */
const podFiles: Record<string, string> = {
  [serviceAccountFiles.token]: "serviceaccount/token",
  [serviceAccountFiles.caCert]: "serviceaccount/ca.crt",
};

/**
 * prometheus.yml as checked off-cluster: promtool requires the files the config names to exist, so the ServiceAccount
 * token and CA paths are pointed at stand-ins in the work dir with the given contents. Everything else, the Kubernetes
 * service discovery blocks included, is what the pod reads.
 */
function withPodFiles(text: string, contents: { token: string; caCert: string } = { token: "token\n", caCert: "" }) {
  const doc = parse(text) as Record<string, any>;
  const files: Record<string, string> = {};
  const local = (path: string, content: string) => {
    assert.ok(podFiles[path], `${path} is a known pod file`);
    files[podFiles[path]] = content;
    return podFiles[path];
  };
  for (const s of doc.scrape_configs as Record<string, any>[]) {
    if (s.authorization) s.authorization.credentials_file = local(s.authorization.credentials_file, contents.token);
    if (s.tls_config?.ca_file) s.tls_config.ca_file = local(s.tls_config.ca_file, contents.caCert);
  }
  return { config: doc, files };
}

/**
 * prometheus.yml made runnable off-cluster: a Prometheus outside a pod has no API server to discover from, so each
 * `kubernetes_sd_configs` block is swapped for a `file_sd_configs` block (no targets unless the caller writes some).
 */
function forLocalRun(text: string, contents?: { token: string; caCert: string }) {
  const { config: doc, files } = withPodFiles(text, contents);
  const swap = (block: Record<string, any>, id: string) => {
    assert.ok(Array.isArray(block.kubernetes_sd_configs) && block.kubernetes_sd_configs.length > 0, `${id} discovers through Kubernetes`);
    delete block.kubernetes_sd_configs;
    block.file_sd_configs = [{ files: [`targets/${id}.json`] }];
    files[`targets/${id}.json`] = "[]\n";
  };
  for (const s of doc.scrape_configs as Record<string, any>[]) swap(s, s.job_name);
  doc.alerting.alertmanagers.forEach((a: Record<string, any>, i: number) => swap(a, `alertmanagers-${i}`));
  return { config: doc, files };
}

/** The rule files with the inputs MonitoringCore gives them for this config. */
function ruleFileSet(c: StackConfig) {
  return buildRuleFiles({
    environment: c.environment,
    cluster: c.cluster.name,
    replicas: { prometheus: c.monitoring.prometheus.replicas, alertmanager: c.monitoring.alertmanager.replicas },
    namespaces: Object.values(c.namespaces),
  });
}

/** The rule files as written next to prometheus.yml. */
function ruleFilesFor(c: StackConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(ruleFileSet(c)).map(([name, file]) => [`rules/${name}`, toGoYaml(file)]));
}

/** `c` with its kubelet section replaced. */
function withKubelet(stack: "staging" | "prod", kubelet: Record<string, unknown>): StackConfig {
  const values = stackValues(stack);
  values.monitoring = { ...values.monitoring, kubelet };
  return validateStackConfig(values);
}

const kubeletJobOf = (config: PrometheusConfig): ScrapeConfig => config.scrape_configs.find((s) => s.job_name === kubeletJob)!;

/** Every alerting rule of the rule files that MonitoringCore builds for `c`. */
function alertingRules(c: StackConfig): AlertingRule[] {
  return Object.values(ruleFileSet(c)).flatMap((f) => f.groups.flatMap((g) => g.rules)).filter((r): r is AlertingRule => "alert" in r);
}

/** Whether a Prometheus relabel regex (fully anchored) matches `value`. */
const fullMatch = (regex: string, value: string) => new RegExp(`^(?:${regex})$`).test(value);

for (const stack of ["staging", "prod"] as const) {
  describe(`prometheus.yml (${stack})`, () => {
    const c = validateStackConfig(stackValues(stack));
    const config: PrometheusConfig = buildPrometheusConfig(c);
    const text = toGoYaml(config);

    it("passes promtool check config, rule files and the kubelet job's token file included", async function () {
      const { config: checked, files } = withPodFiles(text);
      const kubelet = (checked.scrape_configs as Record<string, any>[]).find((s) => s.job_name === kubeletJob)!;
      assert.deepEqual(kubelet.authorization, { credentials_file: "serviceaccount/token" });
      const result = await promtoolCheckConfig(checked, { files: { ...files, ...ruleFilesFor(c) } });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, new RegExp(`SUCCESS: ${Object.keys(ruleFileSet(c)).length} rule files found`));
    });

    it("has a scrape job per service and per component, and the kubelet job, named as rules/jobs.ts names them", () => {
      const jobs = config.scrape_configs.map((s) => s.job_name);
      assert.deepEqual(jobs, [...serviceKeys, ...Object.values(componentJobs), kubeletJob]);
    });

    it("discovers each service's pods by the configured label and keeps only the named metrics port", () => {
      for (const service of serviceKeys) {
        const job = config.scrape_configs.find((s) => s.job_name === service)!;
        assert.deepEqual(job.kubernetes_sd_configs, [{ role: "pod", selectors: [{ role: "pod", label: `app.kubernetes.io/part-of=${service}` }] }]);
        assert.deepEqual(job.relabel_configs.find((r) => r.action === "keep"), {
          source_labels: ["__meta_kubernetes_pod_container_port_name"],
          regex: "metrics",
          action: "keep",
        });
      }
    });

    it("discovers each component in its namespace, by its Service's selector labels, on its metrics port", () => {
      for (const [key, workloads] of Object.entries(componentTargets) as [ComponentKey, readonly Workload[]][]) {
        const job = config.scrape_configs.find((s) => s.job_name === componentJobs[key])!;
        assert.deepEqual(
          job.kubernetes_sd_configs,
          workloads.map((w) => ({
            role: "pod",
            namespaces: { names: [namespaceOf(c.namespaces, w)] },
            selectors: [{ role: "pod", label: Object.entries(selectorLabels(topology[w].id)).map(([k, v]) => `${k}=${v}`).join(",") }],
          })),
          key,
        );
        const keep = job.relabel_configs.find((r) => r.action === "keep")!;
        assert.deepEqual(keep.regex!.split("|").map(Number), [...new Set(workloads.map(metricsPort))], key);
      }
    });

    it("scrapes each node's kubelet directly at <InternalIP>:10250 over verified HTTPS with the ServiceAccount token", () => {
      assert.deepEqual(kubeletJobOf(config), {
        job_name: "kubelet",
        metrics_path: "/metrics",
        scheme: "https",
        authorization: { credentials_file: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
        tls_config: { ca_file: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt" },
        kubernetes_sd_configs: [{ role: "node" }],
        relabel_configs: [
          { source_labels: ["__meta_kubernetes_node_address_InternalIP"], regex: ".+", action: "keep" },
          { source_labels: ["__meta_kubernetes_node_address_InternalIP"], regex: "(.+)", target_label: "__address__", replacement: "${1}:10250", action: "replace" },
        ],
        metric_relabel_configs: [
          { source_labels: ["__name__"], regex: "kubelet_volume_stats_available_bytes|kubelet_volume_stats_capacity_bytes", action: "keep" },
        ],
      });
      assert.doesNotMatch(text, /\/proxy\//, "never through the API server's node proxy");
    });

    it("labels series with cluster, environment and the pod's own name as replica", () => {
      assert.deepEqual(config.global.external_labels, { cluster: c.cluster.name, environment: stack, replica: "${POD_NAME}" });
    });

    it("drops the replica label from alerts so Alertmanager deduplicates the pair's alerts", () => {
      assert.deepEqual(config.alerting.alert_relabel_configs, [{ regex: "replica", action: "labeldrop" }]);
    });

    it("sends alerts to every Alertmanager pod (not one Service address) on the web port", () => {
      const [am] = config.alerting.alertmanagers;
      assert.deepEqual(am.kubernetes_sd_configs[0].namespaces, { names: [c.namespaces.monitoring] });
      assert.equal(am.kubernetes_sd_configs[0].role, "pod");
      assert.deepEqual(am.relabel_configs.find((r) => r.action === "keep")!.regex, String(topology.alertmanager.ports.http));
    });
  });
}

describe("kubelet job settings", () => {
  const nodeCidrs = ["10.20.0.0/19"];

  it("skips certificate verification only when verifyTls is false, and then names no CA", async () => {
    const c = withKubelet("staging", { nodeCidrs, verifyTls: false });
    const job = kubeletJobOf(buildPrometheusConfig(c));
    assert.deepEqual(job.tls_config, { insecure_skip_verify: true });
    assert.deepEqual(job.authorization, { credentials_file: serviceAccountFiles.token });
    const { config, files } = withPodFiles(toGoYaml(buildPrometheusConfig(c)));
    const result = await promtoolCheckConfig(config, { files: { ...files, ...ruleFilesFor(c) } });
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it("is absent when disabled, and nothing else in prometheus.yml changes", () => {
    const on = buildPrometheusConfig(withKubelet("staging", { nodeCidrs }));
    const off = buildPrometheusConfig(withKubelet("staging", { enabled: false }));
    assert.equal(kubeletJobOf(off), undefined);
    assert.deepEqual(off, { ...on, scrape_configs: on.scrape_configs.filter((s) => s.job_name !== kubeletJob) });
  });

  it("keeps exactly the kubelet series the rules read", () => {
    const c = validateStackConfig(stackValues("staging"));
    const read = new Set(alertingRules(c).flatMap((r) => r.expr.match(/\bkubelet_\w+/g) ?? []));
    assert.deepEqual([...read].sort(), [...kubeletMetrics].sort());
    const [keep] = kubeletJobOf(buildPrometheusConfig(c)).metric_relabel_configs!;
    for (const name of read) assert.ok(fullMatch(keep.regex!, name), name);
    for (const dropped of ["kubelet_volume_stats_used_bytes", "kubelet_volume_stats_inodes", "kubelet_running_pods", "rest_client_requests_total"]) {
      assert.ok(!fullMatch(keep.regex!, dropped), dropped);
    }
  });

  it("is the job the PVC alert selects, and leaves intact every label the alert selects or names", () => {
    const c = validateStackConfig(stackValues("staging"));
    const pvc = alertingRules(c).filter((r) => r.alert === "PersistentVolumeFillingUp");
    assert.deepEqual(pvc.map((r) => r.labels.severity), ["warning", "critical"]);
    const job = kubeletJobOf(buildPrometheusConfig(c));
    for (const rule of pvc) {
      const matchers = [...rule.expr.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)];
      assert.deepEqual([...new Set(matchers.filter((m) => m[1] === "job").map((m) => m[3]))], [job.job_name]);
      const used = new Set([...matchers.map((m) => m[1]), ...Object.values(rule.annotations ?? {}).flatMap((a) => [...a.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1]))]);
      assert.deepEqual([...used].sort(), ["job", "namespace", "persistentvolumeclaim"]);
      // The kubelet exposes namespace and persistentvolumeclaim on the series; the job must neither set them as target
      // labels (the series' own would become exported_*) nor drop them.
      for (const relabel of [...job.relabel_configs, ...(job.metric_relabel_configs ?? [])]) {
        assert.ok(!["labeldrop", "labelkeep", "labelmap"].includes(relabel.action ?? "replace"), JSON.stringify(relabel));
        if (relabel.target_label) assert.ok(relabel.target_label.startsWith("__"), `sets ${relabel.target_label}`);
      }
    }
  });
});

describe("prometheus.yml under promtool: the check can fail", () => {
  it("rejects a scrape timeout longer than the interval", async () => {
    const c = validateStackConfig(stackValues("staging"));
    const { config, files } = withPodFiles(toGoYaml(buildPrometheusConfig(c)));
    (config as any).global.scrape_timeout = "2m";
    const result = await promtoolCheckConfig(config, { files: { ...files, ...ruleFilesFor(c) } });
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /scrape timeout greater than scrape interval/);
  });

  it("checks the rule files rule_files points at", async () => {
    const c = validateStackConfig(stackValues("staging"));
    const { config, files } = withPodFiles(toGoYaml(buildPrometheusConfig(c)));
    const broken = "groups:\n  - name: broken\n    rules:\n      - record: broken:up\n        expr: sum(up\n";
    const result = await promtoolCheckConfig(config, { files: { ...files, ...ruleFilesFor(c), "rules/broken.yml": broken } });
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /broken\.yml/);
  });

  it("checks that the kubelet job's token file exists", async () => {
    const c = validateStackConfig(stackValues("staging"));
    const { config, files } = withPodFiles(toGoYaml(buildPrometheusConfig(c)));
    delete files[podFiles[serviceAccountFiles.token]];
    const result = await promtoolCheckConfig(config, { files: { ...files, ...ruleFilesFor(c) } });
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /error checking authorization credentials or bearer token file "serviceaccount\/token"/);
  });
});

/* ------------------------------------------------------------------------------------------------------------------
 * The kubelet job end to end: a real Prometheus, at the deployed version, runs the generated prometheus.yml and rule files. Node discovery
 * is emulated with file SD carrying the labels the node role produces; fake kubelets serve kubelet metrics over TLS;
 * a CONNECT proxy (`proxy_url`, the one test-only key) stands in for the node network, routing each node address the
 * job dials to its fake kubelet and recording what was dialled.
 * ---------------------------------------------------------------------------------------------------------------- */

const execFileAsync = promisify(execFile);

interface FakeNode {
  name: string;
  addresses: Record<string, string>;
  /** How its kubelet's serving certificate was made. */
  cert: "cluster-ca" | "cluster-ca-no-ip-san" | "self-signed" | "none";
}

const fakeNodes: FakeNode[] = [
  { name: "ip-10-20-1-23.eu-west-1.compute.internal", addresses: { InternalIP: "10.20.1.23" }, cert: "cluster-ca" },
  { name: "ip-10-20-33-45.eu-west-1.compute.internal", addresses: { InternalIP: "10.20.33.45" }, cert: "cluster-ca-no-ip-san" },
  { name: "ip-10-20-65-67.eu-west-1.compute.internal", addresses: { InternalIP: "10.20.65.67" }, cert: "self-signed" },
  { name: "edge-1", addresses: { ExternalIP: "203.0.113.9" }, cert: "none" },
];

/** The series every fake kubelet exposes: the PVC of prometheus-0 95% full, Loki's 20% full, and series to drop. */
const exposed: { name: string; labels?: Record<string, string>; value: number }[] = [
  ...[
    { namespace: "monitoring", persistentvolumeclaim: "data-prometheus-0", available: 5e9, capacity: 1e11 },
    { namespace: "logging", persistentvolumeclaim: "data-loki-0", available: 4e10, capacity: 5e10 },
  ].flatMap(({ available, capacity, ...labels }) => [
    { name: "kubelet_volume_stats_available_bytes", labels, value: available },
    { name: "kubelet_volume_stats_capacity_bytes", labels, value: capacity },
    { name: "kubelet_volume_stats_used_bytes", labels, value: capacity - available },
    { name: "kubelet_volume_stats_inodes_free", labels, value: 6.5e6 },
  ]),
  { name: "kubelet_running_pods", value: 14 },
  { name: "rest_client_requests_total", labels: { code: "200", host: "10.20.0.10:443", method: "GET" }, value: 1234 },
];

/** The Prometheus text exposition format of `series`. */
function exposition(series: typeof exposed): string {
  return series
    .map(({ name, labels, value }) => {
      const set = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",");
      return `${name}${set ? `{${set}}` : ""} ${value}\n`;
    })
    .join("");
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await execFileAsync("openssl", args, { cwd: dir });
}

/** A cluster CA and the serving certificate of each node's kubelet, as kubelets get them. */
async function makeCertificates(dir: string): Promise<{ ca: string; serving: Map<string, { cert: string; key: string }> }> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
  await openssl(dir, "req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=kubernetes");
  const serving = new Map<string, { cert: string; key: string }>();
  for (const [i, node] of fakeNodes.entries()) {
    const ip = node.addresses.InternalIP;
    const file = `node-${i}`;
    if (node.cert === "self-signed") {
      // A kubelet without serverTLSBootstrap signs its own certificate.
      await openssl(dir, "req", "-x509", ...ec, "-keyout", `${file}.key`, "-out", `${file}.crt`, "-subj", `/CN=${node.name}@1700000000`, "-addext", `subjectAltName=DNS:${node.name},IP:${ip}`);
    } else if (node.cert !== "none") {
      // The kubernetes.io/kubelet-serving signer: the cluster CA, with the node's addresses as SANs (or, here, without its IP).
      const sans = node.cert === "cluster-ca" ? `DNS:${node.name},IP:${ip}` : `DNS:${node.name}`;
      await writeFile(join(dir, `${file}.ext`), `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n`);
      await openssl(dir, "req", ...ec, "-keyout", `${file}.key`, "-out", `${file}.csr`, "-subj", `/O=system:nodes/CN=system:node:${node.name}`);
      await openssl(dir, "x509", "-req", "-in", `${file}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", String(100 + i), "-days", "1", "-extfile", `${file}.ext`, "-out", `${file}.crt`);
    } else {
      continue;
    }
    serving.set(node.name, { cert: await readFile(join(dir, `${file}.crt`), "utf8"), key: await readFile(join(dir, `${file}.key`), "utf8") });
  }
  return { ca: await readFile(join(dir, "ca.crt"), "utf8"), serving };
}

/** Starts `server` on a free loopback port and returns the port. */
function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url);
  assert.ok(response.ok, `${url}: HTTP ${response.status}`);
  return ((await response.json()) as { data: unknown }).data;
}

describe("kubelet job under the deployed Prometheus, against fake kubelets over TLS", function () {
  this.timeout(30_000);
  const c = validateStackConfig(stackValues("staging"));
  const token = `kubelet-scrape-token-${process.pid}`;
  const servers: (Server | HttpsServer)[] = [];
  const sockets = new Set<Socket>();
  const dialled = new Set<string>();
  const kubeletRequests: { path?: string; authorization?: string }[] = [];
  let workDir = "";
  let prometheus: RunningPrometheus | undefined;
  let url = "";

  before(async function () {
    workDir = await mkdtemp(join(tmpdir(), "prometheus-kubelet-"));
    const { ca, serving } = await makeCertificates(workDir);
    const routes = new Map<string, number>();
    for (const node of fakeNodes) {
      const tls = serving.get(node.name);
      if (!tls) continue;
      const kubelet = createHttpsServer(tls, (req, res) => {
        kubeletRequests.push({ path: req.url, authorization: req.headers.authorization });
        if (req.headers.authorization !== `Bearer ${token}`) res.writeHead(401).end();
        else if (req.url !== "/metrics") res.writeHead(404).end();
        else res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(exposition(exposed));
      });
      servers.push(kubelet);
      routes.set(`${node.addresses.InternalIP}:${kubeletPort}`, await listen(kubelet));
    }
    const proxy = createHttpServer((_req, res) => res.writeHead(405).end());
    proxy.on("connect", (req, client: Socket, head: Buffer) => {
      dialled.add(req.url ?? "");
      const port = routes.get(req.url ?? "");
      if (port === undefined) return void client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
      const upstream = connect(port, "127.0.0.1", () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(client).pipe(upstream);
      });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => undefined).on("close", () => sockets.delete(s));
      }
    });
    servers.push(proxy);
    const proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;

    const { config, files } = forLocalRun(toGoYaml(buildPrometheusConfig(c)), { token, caCert: ca });
    config.global = { ...config.global, scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" };
    const jobs = config.scrape_configs as Record<string, any>[];
    const verified = jobs.find((s) => s.job_name === kubeletJob)!;
    const { kubernetes_sd_configs: _discovery, ...insecure } = kubeletScrapeConfig({ enabled: true, verifyTls: false, nodeCidrs: ["10.20.0.0/16"] });
    const skipVerify: Record<string, any> = {
      ...insecure,
      job_name: "kubelet-skip-verify",
      authorization: verified.authorization,
      file_sd_configs: [{ files: ["targets/kubelet-skip-verify.json"] }],
    };
    jobs.push(skipVerify);
    for (const job of [verified, skipVerify]) job.proxy_url = proxyUrl;
    // What the node role yields per node: the default address, instance = node name, and the node meta labels.
    const discovered = (nodes: FakeNode[]) =>
      JSON.stringify(
        nodes.map((n) => ({
          targets: [`${Object.values(n.addresses)[0]}:${kubeletPort}`],
          labels: {
            instance: n.name,
            __meta_kubernetes_node_name: n.name,
            ...Object.fromEntries(Object.entries(n.addresses).map(([type, a]) => [`__meta_kubernetes_node_address_${type}`, a])),
          },
        })),
      );
    files["targets/kubelet.json"] = discovered(fakeNodes);
    files["targets/kubelet-skip-verify.json"] = discovered(fakeNodes.filter((n) => n.cert === "self-signed"));
    prometheus = await startPrometheus(workDir, { ...files, ...ruleFilesFor(c), "prometheus.yml": toGoYaml(config) });
    url = prometheus.url;
  });

  after(async function () {
    await prometheus?.stop();
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => (s.closeAllConnections(), s.close(resolve)))));
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Active targets by job and instance, once every one has been scraped. */
  const scraped = () =>
    eventually("every kubelet target to be scraped", 15_000, async () => {
      const { activeTargets } = await getJson(`${url}/api/v1/targets?state=active`);
      const kubelets = (activeTargets as any[]).filter((t) => t.labels.job.startsWith(kubeletJob));
      return kubelets.length > 0 && kubelets.every((t) => t.health !== "unknown") ? kubelets : undefined;
    });

  it("dials each node's InternalIP on 10250 only, and drops a node without one", async () => {
    const targets = await scraped();
    assert.deepEqual(
      targets.filter((t) => t.labels.job === kubeletJob).map((t) => [t.labels.instance, t.scrapeUrl]).sort(),
      fakeNodes.filter((n) => n.addresses.InternalIP).map((n) => [n.name, `https://${n.addresses.InternalIP}:10250/metrics`]).sort(),
    );
    assert.deepEqual([...dialled].sort(), ["10.20.1.23:10250", "10.20.33.45:10250", "10.20.65.67:10250"]);
  });

  it("authenticates every request with the ServiceAccount token as a Bearer credential", async () => {
    await scraped();
    assert.ok(kubeletRequests.length > 0);
    assert.deepEqual([...new Set(kubeletRequests.map((r) => `${r.path} ${r.authorization}`))], [`/metrics Bearer ${token}`]);
  });

  it("verifies kubelet certificates against the cluster CA by IP SAN; skipping verification is the explicit opt-out", async () => {
    const health = Object.fromEntries((await scraped()).map((t) => [`${t.labels.job} ${t.labels.instance}`, [t.health, t.lastError]]));
    assert.deepEqual(health[`kubelet ${fakeNodes[0].name}`], ["up", ""]);
    assert.equal(health[`kubelet ${fakeNodes[1].name}`][0], "down");
    assert.match(health[`kubelet ${fakeNodes[1].name}`][1], /cannot validate certificate for 10\.20\.33\.45 because it doesn't contain any IP SANs/);
    assert.equal(health[`kubelet ${fakeNodes[2].name}`][0], "down");
    assert.match(health[`kubelet ${fakeNodes[2].name}`][1], /certificate signed by unknown authority/);
    assert.deepEqual(health[`kubelet-skip-verify ${fakeNodes[2].name}`], ["up", ""]);
  });

  it("stores only the volume gauges, with the PVC's own namespace and persistentvolumeclaim labels", async () => {
    await scraped();
    const series = (await getJson(`${url}/api/v1/series?match[]=${encodeURIComponent(`{job="${kubeletJob}"}`)}`)) as Record<string, string>[];
    // up, scrape_* and the ALERTS series are Prometheus' own, not scraped.
    const stored = series.filter((s) => !/^(up|scrape_.+|ALERTS|ALERTS_FOR_STATE)$/.test(s.__name__));
    assert.deepEqual([...new Set(stored.map((s) => s.__name__))].sort(), [...kubeletMetrics].sort());
    for (const s of stored) {
      assert.deepEqual(Object.keys(s).sort(), ["__name__", "instance", "job", "namespace", "persistentvolumeclaim"], JSON.stringify(s));
      assert.equal(s.instance, fakeNodes[0].name);
    }
    assert.deepEqual([...new Set(stored.map((s) => `${s.namespace}/${s.persistentvolumeclaim}`))].sort(), ["logging/data-loki-0", "monitoring/data-prometheus-0"]);
  });

  it("lets PersistentVolumeFillingUp fire for the 95%-full claim only, at warning severity, naming it", async () => {
    const alerts = await eventually("PersistentVolumeFillingUp to be pending", 15_000, async () => {
      const { alerts: all } = await getJson(`${url}/api/v1/alerts`);
      const pvc = (all as any[]).filter((a) => a.labels.alertname === "PersistentVolumeFillingUp");
      return pvc.length > 0 ? pvc : undefined;
    });
    assert.deepEqual(
      alerts.map((a) => [a.state, a.labels.severity, a.labels.job, a.labels.namespace, a.labels.persistentvolumeclaim, a.annotations.summary]),
      [["pending", "warning", kubeletJob, "monitoring", "data-prometheus-0", `[${c.environment}/${c.cluster.name}] PVC monitoring/data-prometheus-0 is more than 90% full`]],
    );
  });
});

for (const stack of ["staging", "prod"] as const) {
  describe(`${stack}: the deployed Prometheus loads and evaluates every rendered rule group`, function () {
    this.timeout(60_000);
    const c = validateStackConfig(stackValues(stack));
    let workDir = "";
    let prometheus: RunningPrometheus | undefined;

    after(async () => {
      await prometheus?.stop();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it("every group of every rule file loads, and each rule evaluates with health ok and no error", async () => {
      workDir = await mkdtemp(join(tmpdir(), "prometheus-rules-"));
      const { config, files } = forLocalRun(toGoYaml(buildPrometheusConfig(c)));
      config.global = { ...config.global, evaluation_interval: "1s" };
      prometheus = await startPrometheus(workDir, { ...files, ...ruleFilesFor(c), "prometheus.yml": toGoYaml(config) });
      const { url } = prometheus;

      const expected = Object.values(ruleFileSet(c)).flatMap((f) => f.groups.map((g) => [g.name, g.rules.length] as const));
      const groups = await eventually("every rule of every group to be evaluated once", 30_000, async () => {
        const { groups: loaded } = await getJson(`${url}/api/v1/rules`);
        const all = loaded as { name: string; rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[];
        return all.length === expected.length && all.every((g) => g.rules.every((r) => !r.lastEvaluation.startsWith("0001-"))) ? all : undefined;
      }).catch((e: Error) => assert.fail(`${e.message}\n${prometheus!.logs()}`));
      assert.deepEqual(groups.map((g) => [g.name, g.rules.length]).sort(), [...expected].sort());
      const unhealthy = groups.flatMap((g) => g.rules.filter((r) => r.health !== "ok" || r.lastError).map((r) => `${g.name}/${r.name}: ${r.health} ${r.lastError ?? ""}`));
      assert.deepEqual(unhealthy, []);
      assert.doesNotMatch(prometheus.logs(), /level=(ERROR|WARN)[^\n]*(rule|Rule)/);
    });
  });
}
