import { strict as assert } from "assert";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { endpoint, stackComponents, type StackComponent } from "../catalog/components";
import { selectorLabels } from "../components/k8s/labels";
import { endpointsOf, topology } from "../components/topology";
import { validateStackConfig } from "../config";
import { buildRuleFiles, ruleFilesInputOf, type AlertingRule, type RuleFile } from "../rules";
import { stackService } from "../rules/health";
import { componentJobs } from "../rules/jobs";
import { stackHealth } from "../dashboards/stack-health";
import { dashboardInput } from "../dashboards/input";
import type { PrometheusConfig } from "../components/monitoring-core/prometheus-config";
import { stackValues } from "./support/harness";
import { syntheticComponents } from "./support/synthetic-component";

const execFileAsync = promisify(execFile);
const entries = Object.entries(stackComponents) as [string, StackComponent][];

/** Whether a Prometheus regex (fully anchored) matches `value`. */
const fullMatch = (regex: string, value: string) => new RegExp(`^(?:${regex})$`).test(value);

/** The value of the `job=~"..."` matcher of a PromQL expression. */
const jobRegexOf = (expr: string): string => {
  const m = /job=~"([^"]+)"/.exec(expr);
  assert.ok(m, `no job=~ matcher in ${expr}`);
  return m[1];
};

const alertsOf = (file: RuleFile): AlertingRule[] => file.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => "alert" in r);

/** The "Targets up" stat panels of a stack-health dashboard (as built or as parsed JSON), as [title, expr]. */
function targetPanels(dashboard: { panels: readonly object[] }): [string, string][] {
  const panels = dashboard.panels as { type: string; title: string; targets?: { expr: string }[] }[];
  return panels
    .filter((p) => p.type === "stat" && (p.targets ?? []).some((t) => /^avg\(up\{job="[^"]+"\}\)$/.test(t.expr)))
    .map((p) => [p.title, p.targets![0].expr]);
}

describe("component registry: the checks on entries", () => {
  const e = (metricsPort: string) => endpoint("x", "y", "z", "monitoring", { http: 1 }, metricsPort);

  it("refuses a workload name two components share", () => {
    assert.throws(() => endpointsOf({ a: { endpoints: { w: e("http") } }, b: { endpoints: { w: e("http") } } }), /component b: workload "w" is already an endpoint of component a/);
  });

  it("refuses a metrics port the workload does not have, naming the ports it has", () => {
    assert.throws(() => endpointsOf({ a: { endpoints: { w: e("metrics") } } }), /component a, workload w: metricsPort "metrics" is not one of its ports \(http\)/);
  });

  it("gives every component its own job", () => {
    const jobs = entries.map(([, c]) => c.job);
    assert.deepEqual(jobs.filter((j, i) => jobs.indexOf(j) !== i), []);
  });
});

describe("component registry: what each real entry yields", () => {
  const c = validateStackConfig(stackValues("staging"));
  const health = buildRuleFiles(ruleFilesInputOf(c))["stack-health.yml"];

  it("a ComponentDown alert per component, in registry order, at the entry's severity", () => {
    const down = alertsOf(health).filter((r) => r.alert === "ComponentDown");
    assert.deepEqual(down.map((r) => [r.labels.component, r.labels.severity]), entries.map(([, e]) => [e.job, e.down.severity]));
  });

  it("its own alerts, in the group it names, labelled with its job or the series' job", () => {
    for (const [key, entry] of entries) {
      if (!entry.health) continue;
      const group = health.groups.find((g) => g.name === entry.health!.group);
      assert.ok(group, `${key}: group ${entry.health.group}`);
      const rules = group.rules.filter((r): r is AlertingRule => "alert" in r);
      const facts = { replicas: { prometheus: c.monitoring.prometheus.replicas, alertmanager: c.monitoring.alertmanager.replicas } };
      for (const own of entry.health.alerts(JSON.stringify(entry.job), facts)) {
        const rule = rules.find((r) => r.alert === own.alert);
        assert.ok(rule, `${key}: ${own.alert} in ${group.name}`);
        assert.equal(rule.labels.severity, own.severity, own.alert);
        assert.equal(rule.labels.component, own.component === "job" ? entry.job : undefined, own.alert);
        assert.ok(rule.expr.includes(own.expr), own.alert);
      }
    }
  });

  it("a Targets up panel per component, titled by the entry, in registry order", () => {
    const d = stackHealth(dashboardInput(c, { prometheus: "prometheus", loki: "loki" }));
    assert.deepEqual(targetPanels(d), entries.map(([, e]) => [e.title, `avg(up{job="${e.job}"})`]));
  });

  it("the topology is every entry's endpoints, and the job table every entry's job", () => {
    assert.deepEqual(topology, Object.fromEntries(entries.flatMap(([, e]) => Object.entries(e.endpoints))));
    assert.deepEqual(componentJobs, Object.fromEntries(entries.map(([k, e]) => [k, e.job])));
  });
});

describe("component registry: a component added as one entry", function () {
  this.timeout(120_000);
  // Namespace names unlike their roles, so a workload placed by role and not by the stack's name would show.
  const namespaces = { monitoring: "mon-synthetic", tracing: "traces-synthetic", logging: "logs-synthetic", logAgents: "agents-synthetic" };
  const synthetic = Object.entries(syntheticComponents) as [string, StackComponent][];
  let out: { topology: Record<string, { endpoint: unknown; namespace: string; host: string }>; prometheusYml: string; stackHealthYml: string; stackHealthJson: string };

  before(async () => {
    const script = join(__dirname, "support", "synthetic-component.ts");
    const { stdout } = await execFileAsync(process.execPath, ["-r", "ts-node/register/transpile-only", script, "staging", JSON.stringify(namespaces)], {
      cwd: join(__dirname, ".."),
      maxBuffer: 64 * 2 ** 20,
    });
    out = JSON.parse(stdout);
  });

  it("gets its endpoints: identity, ports and the stack's name for its namespace role", () => {
    for (const [, s] of synthetic) {
      for (const [w, e] of Object.entries(s.endpoints)) {
        const namespace = namespaces[e.namespace];
        assert.deepEqual(out.topology[w], { endpoint: e, namespace, host: `${e.id.instance}.${namespace}.svc.cluster.local` }, w);
      }
    }
  });

  it("gets a scrape job in prometheus.yml: each workload by its labels in its namespace, on its metrics port", () => {
    const config = parse(out.prometheusYml) as PrometheusConfig;
    const componentJobNames = config.scrape_configs.map((s) => s.job_name).filter((j) => [...entries, ...synthetic].some(([, e]) => e.job === j));
    assert.deepEqual(componentJobNames, [...entries, ...synthetic].map(([, e]) => e.job));
    for (const [key, s] of synthetic) {
      const job = config.scrape_configs.find((j) => j.job_name === s.job)!;
      const workloads = Object.values(s.endpoints);
      assert.deepEqual(
        job.kubernetes_sd_configs,
        workloads.map((e) => ({
          role: "pod",
          namespaces: { names: [namespaces[e.namespace]] },
          selectors: [{ role: "pod", label: Object.entries(selectorLabels(e.id)).map(([k, v]) => `${k}=${v}`).join(",") }],
        })),
        key,
      );
      const keep = job.relabel_configs.find((r) => r.source_labels?.[0] === "__meta_kubernetes_pod_container_port_number")!;
      assert.deepEqual(keep.regex!.split("|").map(Number), workloads.map((e) => e.ports[e.metricsPort]), key);
    }
  });

  it("gets a ComponentDown alert at its severity, and is one of the jobs ComponentTargetDown watches", () => {
    const alerts = alertsOf(parse(out.stackHealthYml) as RuleFile);
    const targetDown = jobRegexOf(alerts.find((r) => r.alert === "ComponentTargetDown")!.expr);
    for (const [key, s] of synthetic) {
      const down = alerts.filter((r) => r.alert === "ComponentDown" && r.labels.component === s.job);
      assert.deepEqual(down.map((r) => [r.expr, r.labels.severity]), [[`absent(up{job="${s.job}"} == 1)`, s.down.severity]], key);
      assert.ok(fullMatch(targetDown, s.job), `${s.job} in ComponentTargetDown's ${targetDown}`);
    }
  });

  it("is watched by the collector alert exactly when it runs collector pipelines", () => {
    const alerts = alertsOf(parse(out.stackHealthYml) as RuleFile);
    const dropping = jobRegexOf(alerts.find((r) => r.alert === "CollectorDroppingData")!.expr);
    for (const [key, s] of synthetic) assert.equal(fullMatch(dropping, s.job), s.collector !== undefined, key);
  });

  it("brings its own alerts, in its own group, with the stack's routing labels", () => {
    const file = parse(out.stackHealthYml) as RuleFile;
    for (const [key, s] of synthetic) {
      if (!s.health) continue;
      const group = file.groups.find((g) => g.name === s.health!.group);
      assert.ok(group, `${key}: group ${s.health.group}`);
      const owned = s.health.alerts(JSON.stringify(s.job), { replicas: { prometheus: 0, alertmanager: 0 } }).map((a) => a.alert);
      const rules = group.rules as AlertingRule[];
      assert.deepEqual(rules.map((r) => r.alert), owned, key);
      for (const r of rules) {
        assert.equal(r.labels.component, s.job);
        assert.equal(r.labels.service, stackService);
        assert.match(r.expr, new RegExp(`job="${s.job}"`));
      }
    }
  });

  it("gets a Targets up panel on the stack-health dashboard, titled by its entry", () => {
    const panels = targetPanels(JSON.parse(out.stackHealthJson));
    assert.deepEqual(panels, [...entries, ...synthetic].map(([, e]) => [e.title, `avg(up{job="${e.job}"})`]));
  });
});
