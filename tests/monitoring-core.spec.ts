import { strict as assert } from "assert";
import { findCredentials } from "../policies/credentials";
import { parseQuantity } from "../components/k8s/quantity";
import { containerLogStorage } from "../components/k8s/pod";
import * as pulumi from "@pulumi/pulumi";
import { validateStackConfig, type LoadedConfig } from "../config";
import { buildPrometheusConfig } from "../components/monitoring-core/prometheus-config";
import { alertmanagerSecretData } from "../components/monitoring-core/alertmanager";
import { alertmanagerSecretFiles, toGoYaml } from "../rules";
import { alertingSchema } from "../rules/config";
import { parse } from "yaml";
import { Rendered, renderStack, renderWith, stackValues } from "./support/harness";
import { buildDashboards } from "../dashboards";
import { datasourceUids } from "../components/monitoring-core/grafana";

/** A committed stack, rendered once per test process. */
const render = (stack: "staging" | "prod"): Promise<Rendered> => renderStack(stack);

const ns = "monitoring";

/**
 * The keys of a rendered Secret's payload, each checked to be redacted. The Kubernetes SDK marks the whole
 * `stringData` secret, and the render may print it as one "[secret]" (keys unknown: null) or key by key.
 */
function redactedKeys(secret: Record<string, any>): string[] | null {
  const payload = secret.stringData;
  if (payload === "[secret]") return null;
  assert.ok(payload && typeof payload === "object", `${secret.metadata.name}: stringData is ${JSON.stringify(payload)}`);
  for (const [key, value] of Object.entries(payload)) assert.equal(value, "[secret]", `${secret.metadata.name}/${key} is not redacted`);
  return Object.keys(payload).sort();
}
const podSpec = (o: Record<string, any>) => o.spec.template.spec;
const container = (o: Record<string, any>, name: string) => podSpec(o).containers.find((c: any) => c.name === name);

for (const stack of ["staging", "prod"] as const) {
  describe(`MonitoringCore (${stack})`, function () {
    let r: Rendered;
    let expect: Record<string, any>;
    before(async function () {
      r = await render(stack);
      expect = stackValues(stack).monitoring as Record<string, any>;
    });

    describe("Prometheus", () => {
      it("runs the configured replicas, each with its own claim of the configured size on the encrypted StorageClass", () => {
        const sts = r.object("StatefulSet", "prometheus", ns);
        assert.equal(sts.spec.replicas, expect.prometheus.replicas);
        assert.equal(sts.spec.serviceName, "prometheus-headless");
        const [claim] = sts.spec.volumeClaimTemplates;
        assert.equal(claim.metadata.name, "data");
        assert.equal(claim.spec.resources.requests.storage, expect.prometheus.storage);
        assert.equal(claim.spec.storageClassName, "gp3-encrypted");
        assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
      });

      it("keeps replicas on different nodes (required) and spreads them across zones", () => {
        const spec = podSpec(r.object("StatefulSet", "prometheus", ns));
        const term = spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
        assert.equal(term.topologyKey, "kubernetes.io/hostname");
        assert.equal(term.labelSelector.matchLabels["app.kubernetes.io/name"], "prometheus");
        assert.equal(spec.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
      });

      it("has a PDB selecting its pods that leaves one replica serving", () => {
        const pdb = r.object("PodDisruptionBudget", "prometheus", ns);
        assert.equal(pdb.spec.maxUnavailable, 1);
        assert.deepEqual(pdb.spec.selector.matchLabels, r.object("StatefulSet", "prometheus", ns).spec.selector.matchLabels);
      });

      it("probes /-/ready and /-/healthy and sets requests and a memory limit", () => {
        const c = container(r.object("StatefulSet", "prometheus", ns), "prometheus");
        assert.equal(c.readinessProbe.httpGet.path, "/-/ready");
        assert.equal(c.livenessProbe.httpGet.path, "/-/healthy");
        assert.ok(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds >= 600, "a WAL replay gets at least 10 minutes");
        assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
        if (expect.prometheus.resources) assert.equal(c.resources.limits.memory, expect.prometheus.resources.limits.memory);
      });

      it("passes retention, WAL compression and config auto-reload flags, and the pod name for the replica label", () => {
        const c = container(r.object("StatefulSet", "prometheus", ns), "prometheus");
        assert.ok(c.args.includes(`--storage.tsdb.retention.time=${expect.prometheus.retention.time}`));
        assert.ok(c.args.includes(`--storage.tsdb.retention.size=${expect.prometheus.retention.size}`));
        assert.ok(c.args.includes("--storage.tsdb.wal-compression"));
        assert.ok(c.args.includes("--enable-feature=auto-reload-config"));
        assert.ok(!c.args.includes("--web.enable-lifecycle"), "no /-/quit reachable through the ingress");
        assert.deepEqual(c.env, [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]);
      });

      it("renders prometheus.yml exactly as buildPrometheusConfig builds it (the document promtool checks)", () => {
        const values = stackValues(stack);
        assert.equal(r.configs()["prometheus.yml"], toGoYaml(buildPrometheusConfig(validateStackConfig(values))));
      });

      it("mounts prometheus.yml and every rule file in one projected volume, matching rule_files", () => {
        const spec = podSpec(r.object("StatefulSet", "prometheus", ns));
        const sources = spec.volumes.find((v: any) => v.name === "config").projected.sources;
        const ruleItems = sources.find((s: any) => s.configMap.name === "prometheus-rules").configMap.items.map((i: any) => i.path);
        const ruleFiles = Object.keys(r.configs()).filter((p) => p.startsWith("rules/"));
        assert.deepEqual([...ruleItems].sort(), [...ruleFiles].sort());
        assert.match(r.configs()["prometheus.yml"], /rule_files:\n {2}- rules\/\*\.yml/);
      });

      it("reads the API with a ServiceAccount bound to pod discovery, node discovery and kubelet /metrics only", () => {
        const role = r.object("ClusterRole", "monitoring-prometheus-discovery");
        assert.deepEqual(role.rules, [
          { apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: ["get", "list", "watch"] },
          { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
          { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
        ]);
        const binding = r.object("ClusterRoleBinding", "monitoring-prometheus-discovery");
        assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "prometheus", namespace: ns }]);
        const spec = podSpec(r.object("StatefulSet", "prometheus", ns));
        assert.equal(spec.serviceAccountName, "prometheus");
        assert.equal(spec.automountServiceAccountToken, true);
      });

      it("reaches the kubelets on the configured node CIDRs on 10250 only, and nothing else there", () => {
        const egress = r.object("NetworkPolicy", "prometheus", ns).spec.egress;
        const toNodes = egress.filter((f: any) => f.to.some((p: any) => expect.kubelet.nodeCidrs.includes(p.ipBlock?.cidr)));
        assert.deepEqual(toNodes, [{ to: expect.kubelet.nodeCidrs.map((cidr: string) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 10250 }] }]);
        const onKubeletPort = egress.filter((f: any) => f.ports.some((p: any) => p.port === 10250));
        assert.deepEqual(onKubeletPort, toNodes);
      });

      it("serves Grafana through a ClientIP-affine Service and the StatefulSet through a headless one", () => {
        const svc = r.object("Service", "prometheus", ns);
        assert.equal(svc.spec.sessionAffinity, "ClientIP");
        assert.equal(svc.spec.ports[0].port, 9090);
        assert.equal(r.object("Service", "prometheus-headless", ns).spec.clusterIP, "None");
      });
    });

    describe("Alertmanager", () => {
      it("forms one gossip cluster: a --cluster.peer per replica through the headless Service", () => {
        const sts = r.object("StatefulSet", "alertmanager", ns);
        assert.equal(sts.spec.replicas, expect.alertmanager.replicas);
        const peers = container(sts, "alertmanager").args.filter((a: string) => a.startsWith("--cluster.peer="));
        assert.deepEqual(
          peers,
          Array.from({ length: expect.alertmanager.replicas }, (_, i) => `--cluster.peer=alertmanager-${i}.alertmanager-headless.${ns}.svc.cluster.local:9094`),
        );
        const headless = r.object("Service", "alertmanager-headless", ns);
        assert.equal(headless.spec.clusterIP, "None");
        assert.equal(headless.spec.publishNotReadyAddresses, true);
        assert.deepEqual(
          headless.spec.ports.filter((p: any) => p.port === 9094).map((p: any) => p.protocol).sort(),
          ["TCP", "UDP"],
        );
      });

      it("has a claim, a PDB and anti-affinity", () => {
        const sts = r.object("StatefulSet", "alertmanager", ns);
        assert.equal(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, expect.alertmanager.storage);
        assert.equal(r.object("PodDisruptionBudget", "alertmanager", ns).spec.maxUnavailable, 1);
        assert.equal(podSpec(sts).affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, "kubernetes.io/hostname");
      });

      it("reads receiver credentials as files from a Secret holding exactly the files alertmanager.yml names", () => {
        const secret = r.object("Secret", "alertmanager-receivers", ns);
        const referenced = [...r.configs()["alertmanager.yml"].matchAll(/_file: \/etc\/alertmanager\/secrets\/(\S+)/g)].map((m) => m[1]);
        assert.ok(referenced.length > 0);
        const keys = redactedKeys(secret);
        if (keys) assert.deepEqual(keys, [...new Set(referenced)].sort());
        const mount = container(r.object("StatefulSet", "alertmanager", ns), "alertmanager").volumeMounts.find((m: any) => m.name === "secrets");
        assert.equal(mount.mountPath, "/etc/alertmanager/secrets");
      });

      it("lets peers gossip on 9094 TCP and UDP in both directions", () => {
        const policy = r.object("NetworkPolicy", "alertmanager", ns);
        const gossip = (rules: any[]) =>
          rules.find((f: any) => f.ports.some((p: any) => p.port === 9094 && p.protocol === "UDP") && f.ports.some((p: any) => p.port === 9094 && p.protocol === "TCP"));
        for (const [rules, key] of [[policy.spec.ingress, "from"], [policy.spec.egress, "to"]] as const) {
          const flow = gossip(rules);
          assert.ok(flow, `gossip ${key} rule`);
          assert.equal(flow[key][0].podSelector.matchLabels["app.kubernetes.io/name"], "alertmanager");
        }
      });

      it("reaches receivers on 443 and 587 only", () => {
        const egress = r.object("NetworkPolicy", "alertmanager", ns).spec.egress;
        const receivers = egress.find((f: any) => f.to[0].ipBlock);
        assert.deepEqual(receivers.ports.map((p: any) => p.port), [443, 587]);
      });
    });

    describe("Grafana", () => {
      it("provisions the four datasources from a file, each pointing at its tier's Service", () => {
        const text = r.configs()["grafana/datasources.yaml"];
        for (const url of [
          "http://prometheus.monitoring.svc.cluster.local:9090",
          "http://alertmanager.monitoring.svc.cluster.local:9093",
          "http://loki.logging.svc.cluster.local:3100",
          "http://jaeger-query.tracing.svc.cluster.local:16686",
        ]) assert.ok(text.includes(`url: ${url}`), url);
      });

      it("links the three telemetry datasources both ways by their stable uids, with every template `$` escaped", () => {
        const ds = Object.fromEntries((parse(r.configs()["grafana/datasources.yaml"]).datasources as any[]).map((d) => [d.uid, d]));
        assert.deepEqual(ds.prometheus.jsonData.exemplarTraceIdDestinations, [{ name: "trace_id", datasourceUid: "jaeger", urlDisplayLabel: "Trace in Jaeger" }]);
        const derived = ds.loki.jsonData.derivedFields as any[];
        assert.deepEqual(derived.map((f) => [f.matcherType, f.datasourceUid, f.url]), [["label", "jaeger", "$${__value.raw}"], ["regex", "jaeger", "$${__value.raw}"]]);
        assert.equal(derived[0].matcherRegex, "trace_id", "Loki's structured metadata from the OTLP record's trace context");
        const inLine = new RegExp(derived[1].matcherRegex);
        for (const line of ['{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}', "level=info trace_id=4bf92f3577b34da6a3ce929d0e0e4736 msg=x", "traceID: 4bf92f3577b34da6a3ce929d0e0e4736"]) {
          assert.equal(inLine.exec(line)?.[1], "4bf92f3577b34da6a3ce929d0e0e4736", line);
        }
        const logs = ds.jaeger.jsonData.tracesToLogsV2;
        assert.deepEqual([logs.datasourceUid, logs.spanStartTimeShift, logs.spanEndTimeShift], ["loki", "-2m", "2m"]);
        assert.equal(logs.query, '{$${__tags}} | k8s_pod_name="$${__span.tags["k8s.pod.name"]}" | trace_id="$${__trace.traceId}"');
        const metrics = ds.jaeger.jsonData.tracesToMetrics;
        assert.equal(metrics.datasourceUid, "prometheus");
        assert.deepEqual(metrics.tags, [{ key: "service.name", value: "service_name" }]);
        for (const q of metrics.queries) assert.match(q.query, /traces_span_metrics_(calls_total|duration_milliseconds_bucket)\{\$\$__tags/, q.name);
        // An unescaped `$` would be expanded from Grafana's environment (to nothing) when the file is provisioned.
        assert.deepEqual(r.configs()["grafana/datasources.yaml"].match(/(?<!\$)\$(?!\$)/g), null);
      });

      it("provisions every dashboard from its own ConfigMap into the mounted dashboards directory", () => {
        const expected = Object.keys(buildDashboards(validateStackConfig(stackValues(stack)), datasourceUids)).sort();
        const dashboards = Object.keys(r.configs()).filter((p) => p.startsWith("dashboards/"));
        assert.deepEqual(dashboards.sort(), expected.map((f) => `dashboards/${f}`));
        const kind = stack === "prod" ? "Deployment" : "StatefulSet";
        const sources = podSpec(r.object(kind, "grafana", ns)).volumes.find((v: any) => v.name === "dashboards").projected.sources;
        assert.deepEqual(sources.map((s: any) => s.configMap.items[0].path).sort(), expected);
        assert.equal(new Set(sources.map((s: any) => s.configMap.name)).size, expected.length, "one ConfigMap per dashboard");
      });

      it("reads its admin password and secret key from files of a read-only Secret volume, never from env values", () => {
        const kind = stack === "prod" ? "Deployment" : "StatefulSet";
        const o = r.object(kind, "grafana", ns);
        const grafana = container(o, "grafana");
        const env = grafana.env;
        assert.deepEqual(env.filter((e: any) => e.valueFrom?.secretKeyRef), [], "no credential in an env var");
        for (const [name, file] of [["GF_SECURITY_ADMIN_PASSWORD", "admin-password"], ["GF_SECURITY_SECRET_KEY", "secret-key"]]) {
          assert.equal(env.find((e: any) => e.name === name), undefined, `${name} is read from its __FILE`);
          assert.equal(env.find((e: any) => e.name === `${name}__FILE`).value, `/etc/grafana/secrets/${file}`, name);
        }
        assert.deepEqual(grafana.volumeMounts.find((m: any) => m.name === "secrets"), { name: "secrets", mountPath: "/etc/grafana/secrets", readOnly: true });
        const volume = podSpec(o).volumes.find((v: any) => v.name === "secrets").projected;
        assert.equal(volume.defaultMode, 0o440);
        const admin = volume.sources.find((s: any) => s.secret.name === "grafana-admin").secret;
        assert.deepEqual(admin.items, [{ key: "admin-password", path: "admin-password" }, { key: "secret-key", path: "secret-key" }]);
        const keys = redactedKeys(r.object("Secret", "grafana-admin", ns));
        if (keys) assert.deepEqual(keys, ["admin-password", "secret-key"]);
      });

      it("requests and limits ephemeral storage for its logs and every scratch volume it mounts", () => {
        const kind = stack === "prod" ? "Deployment" : "StatefulSet";
        const o = r.object(kind, "grafana", ns);
        const scratch = podSpec(o).volumes.filter((v: any) => v.emptyDir);
        // On postgres the data directory is scratch too; on sqlite it is the StatefulSet's claim.
        assert.deepEqual(scratch.map((v: any) => v.name).sort(), stack === "prod" ? ["data", "tmp"] : ["tmp"]);
        const expected = scratch.reduce((n: number, v: any) => n + parseQuantity(v.emptyDir.sizeLimit), parseQuantity(containerLogStorage));
        const { requests, limits } = container(o, "grafana").resources;
        assert.equal(parseQuantity(requests["ephemeral-storage"]), expected);
        assert.equal(limits["ephemeral-storage"], requests["ephemeral-storage"]);
      });

      it("is live while its web server answers (/healthz) and ready while its database does (/api/health)", () => {
        const kind = stack === "prod" ? "Deployment" : "StatefulSet";
        const grafana = container(r.object(kind, "grafana", ns), "grafana");
        assert.deepEqual(grafana.livenessProbe.httpGet, { path: "/healthz", port: "http" });
        assert.deepEqual(grafana.readinessProbe.httpGet, { path: "/api/health", port: "http" });
      });

      it("runs as uid 472 with writable /var/lib/grafana and /tmp only", () => {
        const kind = stack === "prod" ? "Deployment" : "StatefulSet";
        const o = r.object(kind, "grafana", ns);
        assert.equal(podSpec(o).securityContext.runAsUser, 472);
        const writable = container(o, "grafana").volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath);
        assert.deepEqual(writable.sort(), ["/tmp", "/var/lib/grafana"]);
      });
    });

    describe("hardening", () => {
      it("every monitoring pod is non-root, read-only, drops ALL and runs RuntimeDefault seccomp", () => {
        const pods = r.podTemplates().filter((p) => p.owner.metadata.namespace === ns);
        assert.equal(pods.length, 3);
        for (const { owner, spec } of pods) {
          assert.equal(spec.securityContext.runAsNonRoot, true, owner.metadata.name);
          assert.notEqual(spec.securityContext.runAsUser, 0);
          assert.equal(spec.enableServiceLinks, false);
          for (const c of spec.containers) {
            assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${owner.metadata.name}/${c.name}`);
            assert.equal(c.securityContext.allowPrivilegeEscalation, false);
            assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
            assert.equal(c.securityContext.seccompProfile.type, "RuntimeDefault");
          }
        }
      });

      it("no monitoring ConfigMap holds a credential", () => {
        const maps = r.objects("ConfigMap").filter((o) => o.metadata.namespace === ns);
        assert.ok(maps.length >= 7);
        for (const map of maps) {
          for (const [key, text] of Object.entries(map.data as Record<string, string>)) {
            assert.deepEqual(findCredentials(text), [], `${map.metadata.name}/${key}`);
          }
        }
      });
    });

    describe("exposure", () => {
      it("one Ingress routes the three hosts, all covered by TLS from the configured issuer, behind authentication", () => {
        const values = stackValues(stack);
        const ingress = r.object("Ingress", "monitoring", ns);
        const hosts = ingress.spec.rules.map((rule: any) => rule.host);
        assert.deepEqual(hosts, [values.ingress.hosts.grafana, values.ingress.hosts.prometheus, values.ingress.hosts.alertmanager]);
        assert.deepEqual(ingress.spec.tls, [{ hosts, secretName: values.ingress.tlsSecretName }]);
        assert.equal(ingress.spec.ingressClassName, values.ingress.className);
        assert.equal(ingress.metadata.annotations["cert-manager.io/cluster-issuer"], values.ingress.clusterIssuer);
        assert.equal(ingress.metadata.annotations["nginx.ingress.kubernetes.io/auth-url"], values.ingress.auth.authUrl);
      });

      it("keeps one browser on one Grafana pod (and so on one Prometheus replica) with an ingress-nginx affinity cookie", () => {
        const annotations = r.object("Ingress", "monitoring", ns).metadata.annotations;
        assert.equal(annotations["nginx.ingress.kubernetes.io/affinity"], "cookie");
        assert.equal(annotations["nginx.ingress.kubernetes.io/session-cookie-name"], "sigma-monitoring-affinity");
      });

      it("admits only the ingress controller to cert-manager's HTTP-01 solver pods beside the Ingress, on 8089", () => {
        const values = stackValues(stack);
        const solver = r.object("NetworkPolicy", "monitoring-acme-http01-solver", ns).spec;
        assert.deepEqual(solver.podSelector, { matchLabels: { "acme.cert-manager.io/http01-solver": "true" } });
        assert.deepEqual(solver.ingress, [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": values.network?.ingressController?.namespace ?? "ingress-nginx" } },
                podSelector: { matchLabels: values.network?.ingressController?.podLabels ?? { "app.kubernetes.io/name": "ingress-nginx" } },
              },
            ],
            ports: [{ protocol: "TCP", port: 8089 }],
          },
        ]);
        assert.deepEqual([solver.egress, solver.policyTypes], [undefined, ["Ingress", "Egress"]]);
      });

      it("admits the ingress controller to the three UIs and nothing else from outside the namespace", () => {
        const values = stackValues(stack);
        for (const [name, port] of [["grafana", 3000], ["prometheus", 9090], ["alertmanager", 9093]] as const) {
          const rules = r.object("NetworkPolicy", name, ns).spec.ingress;
          const fromController = rules.find((f: any) =>
            f.from.some((p: any) => p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"] === (values.network?.ingressController?.namespace ?? "ingress-nginx")),
          );
          assert.deepEqual(fromController.ports, [{ protocol: "TCP", port }], name);
        }
      });

      it("lets Grafana reach Prometheus, Alertmanager, Loki and Jaeger query on their ports", () => {
        const egress = r.object("NetworkPolicy", "grafana", ns).spec.egress;
        const reach = (name: string) => egress.find((f: any) => f.to[0].podSelector?.matchLabels["app.kubernetes.io/instance"] === name)?.ports[0].port;
        assert.deepEqual(
          ["prometheus", "alertmanager", "loki", "jaeger-query"].map(reach),
          [9090, 9093, 3100, 16686],
        );
      });
    });
  });
}

describe("MonitoringCore (staging) with its own runbook base URL", function () {
  it("links every alert of the deployed rule files to a runbook under the configured base", async () => {
    const base = "https://git.example.org/platform/observability/blob/main/docs/runbooks";
    const r = await renderWith("staging", (v) => (v.alerting = { ...v.alerting, runbookBaseUrl: base }));
    const alerts = Object.entries(r.configs())
      .filter(([p]) => p.startsWith("rules/"))
      .flatMap(([, text]) => (parse(text).groups as any[]).flatMap((g) => g.rules.filter((x: any) => x.alert)));
    assert.ok(alerts.length > 0);
    for (const a of alerts) assert.ok(a.annotations.runbook_url.startsWith(`${base}/${a.alert}.md`), `${a.alert}: ${a.annotations.runbook_url}`);
  });
});

describe("MonitoringCore (staging) with the kubelet job disabled", function () {
  let on: Rendered;
  let off: Rendered;
  before(async function () {
    on = await render("staging");
    off = await renderWith("staging", (v) => {
      v.monitoring.kubelet = { enabled: false };
    });
  });

  it("grants pod discovery only: no node permission of any kind", () => {
    assert.deepEqual(off.object("ClusterRole", "monitoring-prometheus-discovery").rules, [
      { apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: ["get", "list", "watch"] },
    ]);
  });

  it("takes OTLP writes (spanmetrics) from the sampling gateways and Monitor-tab reads from Jaeger query, on 9090 only", () => {
    const ingress = on.object("NetworkPolicy", "prometheus", ns).spec.ingress as any[];
    const flow = ingress.find((f) => f.from.some((p: any) => p.podSelector.matchLabels?.["app.kubernetes.io/instance"] === "otel-gateway"));
    assert.deepEqual(flow.from.map((p: any) => [p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"], p.podSelector.matchLabels["app.kubernetes.io/instance"]]), [
      ["tracing", "otel-gateway"],
      ["tracing", "jaeger-query"],
    ]);
    assert.deepEqual(flow.ports, [{ protocol: "TCP", port: 9090 }]);
    const args = container(on.object("StatefulSet", "prometheus", ns), "prometheus").args as string[];
    assert.ok(args.includes("--web.enable-otlp-receiver") && args.includes("--enable-feature=exemplar-storage"), args.join(" "));
  });

  it("drops exactly the kubelet egress flow from the Prometheus policy", () => {
    const enabled = on.object("NetworkPolicy", "prometheus", ns).spec;
    const disabled = off.object("NetworkPolicy", "prometheus", ns).spec;
    assert.deepEqual(disabled, { ...enabled, egress: enabled.egress.filter((f: any) => !f.ports.some((p: any) => p.port === 10250)) });
    assert.equal(disabled.egress.length, enabled.egress.length - 1);
  });

  it("has no kubelet job in prometheus.yml", () => {
    const jobs = (parse(off.configs()["prometheus.yml"]).scrape_configs as { job_name: string }[]).map((s) => s.job_name);
    assert.ok(!jobs.includes("kubelet"), jobs.join(", "));
    assert.ok(!/role: node/.test(off.configs()["prometheus.yml"]));
  });
});

describe("MonitoringCore (prod): Grafana on RDS", function () {
  let r: Rendered;
  before(async function () {
    r = await render("prod");
  });

  it("runs the configured Grafana replicas as a Deployment with alerting HA gossip between them", () => {
    const deployment = r.object("Deployment", "grafana", ns);
    const replicas = validateStackConfig(stackValues("prod")).monitoring.grafana.replicas;
    assert.ok(replicas > 1, "the committed prod stack runs Grafana in HA");
    assert.equal(deployment.spec.replicas, replicas);
    const env = container(deployment, "grafana").env;
    assert.equal(env.find((e: any) => e.name === "GF_UNIFIED_ALERTING_HA_PEERS").value, "grafana-headless.monitoring.svc.cluster.local:9094");
    assert.equal(r.object("PodDisruptionBudget", "grafana", ns).spec.maxUnavailable, 1);
  });

  it("creates a Multi-AZ, encrypted, private PostgreSQL with deletion protection and a final snapshot", () => {
    const [db] = r.ofType("aws:rds/instance:Instance");
    assert.equal(db.inputs.engine, "postgres");
    assert.equal(db.inputs.multiAz, true);
    assert.equal(db.inputs.storageEncrypted, true);
    assert.equal(db.inputs.publiclyAccessible, false);
    assert.equal(db.inputs.deletionProtection, true);
    assert.equal(db.inputs.skipFinalSnapshot, false);
    assert.equal(db.inputs.finalSnapshotIdentifier, "sigma-prod-grafana-final");
    assert.equal(db.inputs.password, "[secret]");
    assert.equal(db.options.protect, true);
  });

  it("forces TLS with a parameter group of the instance's family, and Grafana requires TLS", () => {
    const [db] = r.ofType("aws:rds/instance:Instance");
    const [group] = r.ofType("aws:rds/parameterGroup:ParameterGroup");
    assert.equal(db.inputs.parameterGroupName, group.inputs.name);
    assert.equal(group.inputs.family, `postgres${String(db.inputs.engineVersion).split(".")[0]}`);
    assert.deepEqual(group.inputs.parameters, [{ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" }]);
    const env = container(r.object("Deployment", "grafana", ns), "grafana").env;
    assert.equal(env.find((e: any) => e.name === "GF_DATABASE_SSL_MODE").value, "require");
  });

  it("joins the configured subnets and admits 5432 from the configured CIDRs only", () => {
    const db = validateStackConfig(stackValues("prod")).monitoring.grafana.database;
    assert.equal(db.kind, "postgres", "the committed prod stack keeps Grafana on PostgreSQL");
    if (db.kind !== "postgres") return;
    const [subnets] = r.ofType("aws:rds/subnetGroup:SubnetGroup");
    assert.deepEqual(subnets.inputs.subnetIds, db.subnetIds);
    const [sg] = r.ofType("aws:ec2/securityGroup:SecurityGroup").filter((x) => x.urn.includes("sigma:observability:MonitoringCore"));
    assert.equal(sg.inputs.vpcId, db.vpcId);
    assert.deepEqual(sg.inputs.ingress.map((i: any) => [i.protocol, i.fromPort, i.toPort, i.cidrBlocks]), [["tcp", 5432, 5432, db.clientCidrs]]);
    assert.deepEqual(sg.inputs.egress, []);
    const egress = r.object("NetworkPolicy", "grafana", ns).spec.egress;
    const toDb = egress.find((f: any) => f.ports[0].port === 5432);
    assert.deepEqual(toDb.to.map((p: any) => p.ipBlock.cidr), db.subnetCidrs);
  });

  it("hands Grafana the database credentials as files of a Secret with a generated password", () => {
    const keys = redactedKeys(r.object("Secret", "grafana-database", ns));
    if (keys) assert.deepEqual(keys, ["database", "host", "password", "username"]);
    const o = r.object("Deployment", "grafana", ns);
    const env = container(o, "grafana").env;
    const files = Object.fromEntries(env.filter((e: any) => e.name.startsWith("GF_DATABASE_") && e.name.endsWith("__FILE")).map((e: any) => [e.name, e.value]));
    assert.deepEqual(files, {
      GF_DATABASE_HOST__FILE: "/etc/grafana/secrets/database-host",
      GF_DATABASE_NAME__FILE: "/etc/grafana/secrets/database-name",
      GF_DATABASE_USER__FILE: "/etc/grafana/secrets/database-user",
      GF_DATABASE_PASSWORD__FILE: "/etc/grafana/secrets/database-password",
    });
    assert.equal(env.find((e: any) => e.name === "GF_DATABASE_PASSWORD"), undefined);
    const sources = podSpec(o).volumes.find((v: any) => v.name === "secrets").projected.sources;
    const database = sources.find((s: any) => s.secret.name === "grafana-database").secret;
    assert.deepEqual(database.items.map((i: any) => [i.key, i.path]), [
      ["host", "database-host"], ["database", "database-name"], ["username", "database-user"], ["password", "database-password"],
    ]);
    const passwords = r.ofType("random:index/randomPassword:RandomPassword");
    assert.equal(passwords.length, 3);
    assert.ok(passwords.every((p) => p.options.protect), "generated passwords are protected in prod");
  });

  it("protects the stateful resources and credential Secrets in prod", () => {
    for (const [kind, name] of [["StatefulSet", "prometheus"], ["StatefulSet", "alertmanager"], ["Secret", "grafana-admin"], ["Secret", "grafana-database"]]) {
      assert.equal(r.recordOf(kind, name, ns).options.protect, true, `${kind} ${name}`);
    }
  });

  it("exports the URLs and the admin password only in redacted form", () => {
    const out = r.result.outputs;
    assert.equal(out.grafanaUrl, "https://grafana.sigma-platform.example/");
    assert.ok(["[secret]", "[computed]"].includes(String(out.grafanaAdminPassword)));
  });
});

describe("MonitoringCore (staging): Grafana on SQLite", function () {
  let r: Rendered;
  before(async function () {
    r = await render("staging");
  });

  it("runs one replica as a StatefulSet with its SQLite claim, no PDB and no AWS database", () => {
    const sts = r.object("StatefulSet", "grafana", ns);
    assert.equal(sts.spec.replicas, 1);
    assert.equal(parseQuantity(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage), 10 * 2 ** 30);
    assert.equal(container(sts, "grafana").env.find((e: any) => e.name === "GF_DATABASE_TYPE").value, "sqlite3");
    assert.throws(() => r.object("PodDisruptionBudget", "grafana", ns), /found 0/);
    assert.deepEqual(r.ofType("aws:rds/instance:Instance"), []);
  });

  it("does not protect stateful resources outside prod, so the stack can be torn down", () => {
    assert.equal(r.recordOf("StatefulSet", "prometheus", ns).options.protect, false);
  });
});

describe("alertmanagerSecretData", () => {
  const alerting = alertingSchema.parse({
    email: { to: ["oncall@sigma.example"], from: "am@sigma.example", smarthost: "smtp.sigma.example:587", username: "relay" },
  });
  /** A distinct key per team that pages: the service owners of the catalog and the platform team. */
  const routingKeys: Record<string, string> = Object.fromEntries(
    [...new Set([...Object.values(alerting.owners), alerting.platformTeam])].map((team, i) => [team, String.fromCharCode(97 + i).repeat(32)]),
  );
  const secrets = (keys: Record<string, string>, smtp?: string) =>
    ({
      slackWebhookUrl: pulumi.secret("https://hooks.slack.com/services/T0/B0/xyz"),
      pagerdutyRoutingKeys: pulumi.secret(keys),
      smtpPassword: pulumi.secret(smtp),
    }) as unknown as LoadedConfig["secrets"];
  const resolve = <T>(o: pulumi.Output<T>): Promise<T> => (o as unknown as { promise(): Promise<T> }).promise();

  it("fills exactly the credential files alertmanager.yml reads, from the secret config, and stays secret", async () => {
    const out = alertmanagerSecretData(alerting, secrets(routingKeys, "pw"));
    const data = await resolve(out);
    assert.deepEqual(Object.keys(data).sort(), Object.keys(alertmanagerSecretFiles(alerting)).sort());
    for (const [team, key] of Object.entries(routingKeys)) assert.equal(data[`pagerduty-routing-key-${team}`], key);
    assert.equal(data["slack-webhook-url"], "https://hooks.slack.com/services/T0/B0/xyz");
    assert.equal(data["smtp-password"], "pw");
    assert.equal(await pulumi.isSecret(out), true);
  });

  it("names the team whose PagerDuty key is missing", async () => {
    const { storage: _omitted, ...rest } = routingKeys;
    await assert.rejects(resolve(alertmanagerSecretData(alerting, secrets(rest, "pw"))), {
      name: "ConfigError",
      message:
        "secret config is invalid (1 problem):\n  - pagerdutyRoutingKeys.storage: got nothing (the key is missing); allowed: the PagerDuty Events v2 key of team storage " +
        "(pulumi config set --secret --path 'pagerdutyRoutingKeys.storage' <key>)",
    });
  });
});
