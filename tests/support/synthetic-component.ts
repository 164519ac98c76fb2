/**
 * Adds synthetic components to the component registry, then loads the real builders and prints, as JSON, what they
 * make of one stack: the topology rows, prometheus.yml, stack-health.yml and the stack-health dashboard.
 *
 * A child process (tests/component-registry.spec.ts runs it) because the topology, the job table and the severities
 * are computed when their modules load: the registry must hold the new entries before anything derived from it is
 * loaded. Usage: `node -r ts-node/register/transpile-only tests/support/synthetic-component.ts <stack> [<namespaces JSON>]`,
 * the JSON overriding the stack's `namespaces` (so namespace roles and names differ).
 */
import { endpoint, stackComponents, type StackComponent } from "../../catalog/components";

/** Two components unlike any real one: a job over two workloads in two namespaces, and a collector with its own alert. */
export const syntheticComponents = {
  syntheticExporter: {
    job: "synthetic-exporter",
    endpoints: {
      syntheticExporterA: endpoint("synthetic", "exporter-a", "synthetic-exporter-a", "logging", { web: 7071, scrape: 9471 }, "scrape"),
      syntheticExporterB: endpoint("synthetic", "exporter-b", "synthetic-exporter-b", "tracing", { scrape: 9472 }, "scrape"),
    },
    down: { severity: "warning", why: "a test component: nothing depends on it" },
    title: "Synthetic exporters",
  },
  syntheticRelay: {
    job: "synthetic-relay",
    endpoints: { syntheticRelay: endpoint("synthetic", "relay", "synthetic-relay", "monitoring", { otlpGrpc: 4317, telemetry: 8889 }, "telemetry") },
    down: { severity: "critical", why: "a test component: pretend its telemetry is lost" },
    title: "Synthetic relay",
    collector: "jaeger",
    health: {
      group: "stack-synthetic",
      alerts: (job, { replicas }) => [{
        alert: "SyntheticRelayStalled",
        expr: `sum(rate(synthetic_relay_forwarded_total{job=${job}}[5m])) == 0 and on() vector(${replicas.prometheus})`,
        for: "7m",
        severity: "critical",
        component: "job",
        summary: "The synthetic relay forwards nothing",
        description: "A test alert.",
      }],
    },
  },
} satisfies Record<string, StackComponent>;

function main(stack: string, namespaces: Record<string, string>): void {
  Object.assign(stackComponents, syntheticComponents);

  // Loaded only now, after the registry holds the new entries.
  const { validateStackConfig } = require("../../config") as typeof import("../../config");
  const { namespaceOf, serviceHost, topology } = require("../../components/topology") as typeof import("../../components/topology");
  const { buildPrometheusConfig } = require("../../components/monitoring-core/prometheus-config") as typeof import("../../components/monitoring-core/prometheus-config");
  const { buildRuleFiles, ruleFilesInputOf, toGoYaml } = require("../../rules") as typeof import("../../rules");
  const { buildDashboards } = require("../../dashboards") as typeof import("../../dashboards");
  const { serializeDocument } = require("../../components/k8s/documents") as typeof import("../../components/k8s/documents");
  const { datasourceUids } = require("../../components/monitoring-core/grafana") as typeof import("../../components/monitoring-core/grafana");
  const { stackValues } = require("./harness") as typeof import("./harness");

  const c = validateStackConfig({ ...stackValues(stack), namespaces });
  const workloads = Object.values(syntheticComponents).flatMap((s) => Object.keys(s.endpoints)) as (keyof typeof topology)[];
  const rules = buildRuleFiles(ruleFilesInputOf(c));
  const dashboards = buildDashboards(c, datasourceUids);
  const out = {
    namespaces: c.namespaces,
    topology: Object.fromEntries(workloads.map((w) => [w, { endpoint: topology[w], namespace: namespaceOf(c.namespaces, w), host: serviceHost(c.namespaces, w) }])),
    prometheusYml: toGoYaml(buildPrometheusConfig(c)),
    stackHealthYml: toGoYaml(rules["stack-health.yml"]),
    stackHealthJson: serializeDocument("stack-health.json", dashboards["stack-health.json"]),
  };
  process.stdout.write(JSON.stringify(out));
}

if (require.main === module) main(process.argv[2] ?? "staging", JSON.parse(process.argv[3] ?? "{}"));
