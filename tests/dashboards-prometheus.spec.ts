/**
 * Every dashboard query against the Prometheus release we deploy, with the rules loaded, on sample data: for every
 * series a panel selects, 30 minutes of samples are written as OpenMetrics, turned into TSDB blocks with `promtool
 * tsdb create-blocks-from openmetrics`, and the query is evaluated at the end of that data. A query Prometheus refuses
 * (a parse or type error, many-to-many matching, duplicate series after an aggregation) fails, naming the dashboard,
 * the panel and the query.
 *
 * Grafana's variables are replaced by the values a user gets by default: a constant by its value, a list by its first
 * option, the interval variables by 1m.
 */
import { strict as assert } from "assert";
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { datasourceUids } from "../components/monitoring-core/grafana";
import { validateStackConfig } from "../config";
import { buildDashboards, type Dashboard } from "../dashboards";
import type { GraphPanel } from "../dashboards/model";
import { buildRuleFiles, serviceKeys, toGoYaml } from "../rules";
import { toolchainBinary } from "../toolchain/paths";
import { stackValues } from "./support/harness";
import { tempDir } from "./support/peers";
import { startPrometheus, type RunningPrometheus } from "./support/prom-tools";

interface Node {
  name: string;
  from: number;
  to: number;
  node: { getChildren(name: string): Node[]; getChild(name: string): Node | null };
}
interface Grammar {
  parse(text: string): { iterate(spec: { enter(node: Node): void }): void };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const promql = (require("@prometheus-io/lezer-promql") as { parser: Grammar }).parser;

interface Query {
  dashboard: string;
  panel: string;
  expr: string;
}

/** The query with the dashboard's variables at their default values. */
function resolved(d: Dashboard, expr: string): string {
  let text = expr.replace(/\$__(rate_interval|interval|auto|range)\b/g, "1m");
  for (const v of d.templating.list) {
    const value = v.type === "constant" ? v.query : v.type === "custom" ? v.options[0]?.value ?? "" : v.type === "query" ? serviceKeys[0] : undefined;
    if (value !== undefined) text = text.replaceAll(`$${v.name}`, value).replaceAll(`\${${v.name}}`, value);
  }
  return text;
}

function promQueries(d: Dashboard): Query[] {
  return d.panels
    .filter((p): p is GraphPanel => p.type !== "row" && p.datasource.type === "prometheus")
    .flatMap((p) => p.targets.map((t) => ({ dashboard: d.uid, panel: p.title, expr: resolved(d, t.expr) })));
}

/** A label value a matcher accepts: its first alternative, or a 5xx code for a status pattern. */
function valueFor(op: string, pattern: string): string | undefined {
  if (op === "=") return pattern;
  if (op !== "=~") return undefined;
  for (const candidate of [pattern.split("|")[0], "500", "read", "x"]) {
    if (new RegExp(`^(?:${pattern})$`).test(candidate)) return candidate;
  }
  return undefined;
}

/** Series (metric name and labels) each selector of `expr` selects, with `by`/`on` labels given a value too. */
function seriesOf(expr: string): { name: string; labels: Record<string, string> }[] {
  const series: { name: string; labels: Record<string, string> }[] = [];
  const grouping = new Set<string>();
  promql.parse(expr).iterate({
    enter: (n) => {
      if (n.name === "GroupingLabels") for (const l of n.node.getChildren("LabelName")) grouping.add(expr.slice(l.from, l.to));
      if (n.name !== "VectorSelector") return;
      const id = n.node.getChild("Identifier");
      if (!id) return;
      const labels: Record<string, string> = {};
      for (const m of n.node.getChild("LabelMatchers")?.node.getChildren("UnquotedLabelMatcher") ?? []) {
        const text = expr.slice(m.from, m.to);
        const parsed = /^([a-zA-Z_]+)\s*(=~|!~|!=|=)\s*"(.*)"$/.exec(text);
        if (!parsed) continue;
        const value = valueFor(parsed[2], JSON.parse(`"${parsed[3]}"`));
        if (value !== undefined) labels[parsed[1]] = value;
      }
      series.push({ name: expr.slice(id.from, id.to), labels });
    },
  });
  return series.map((s) => ({ ...s, labels: { ...Object.fromEntries([...grouping].filter((l) => l !== "le").map((l) => [l, "a"])), ...s.labels } }));
}

/** OpenMetrics text with `minutes` of samples every 15 s up to `end`: counters grow, buckets cumulate, gauges hold. */
function openMetrics(series: { name: string; labels: Record<string, string> }[], end: number, minutes: number): string {
  const families = new Map<string, Map<string, Record<string, string>>>();
  for (const s of series) {
    const bounds = s.labels.le !== undefined ? [s.labels.le, "+Inf"] : ["0.01", "0.1", "1", "+Inf"];
    const bucketed = s.name.endsWith("_bucket") ? bounds.map((le) => ({ ...s.labels, le })) : [s.labels];
    for (const labels of bucketed) {
      const family = families.get(s.name) ?? new Map();
      family.set(JSON.stringify(Object.entries(labels).sort()), labels);
      families.set(s.name, family);
    }
  }
  const lines: string[] = [];
  for (const [name, family] of families) {
    lines.push(`# TYPE ${name} unknown`);
    for (const labels of family.values()) {
      const text = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",");
      const growth = labels.le === undefined ? 1 : labels.le === "+Inf" ? 10 : 10 * Math.min(1, Number(labels.le) * 2);
      for (let i = minutes * 4; i >= 0; i--) {
        const t = end - i * 15;
        const counter = /(_total|_count|_sum|_bucket|_seconds|_spans|_records|_sampled|_early|_keys|_hits)$/.test(name);
        lines.push(`${name}{${text}} ${counter ? (minutes * 4 - i) * growth : 0.5} ${t}`);
      }
    }
  }
  return `${lines.join("\n")}\n# EOF\n`;
}

function promtool(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(toolchainBinary("promtool"), args, { cwd, timeout: 120_000, maxBuffer: 64 * 2 ** 20 }, (e, _o, stderr) => (e ? reject(new Error(`promtool ${args.join(" ")}: ${stderr}`)) : resolve())));
}

describe("dashboards against the deployed Prometheus, rules loaded, on sample data", function () {
  this.timeout(240_000);
  const dashboards = Object.values(buildDashboards(validateStackConfig(stackValues("staging")), datasourceUids));
  const queries = dashboards.flatMap(promQueries);
  const end = Math.floor(Date.now() / 1000) - 60;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let prometheus: RunningPrometheus | undefined;

  before(async () => {
    tmp = await tempDir("dashboards-prometheus-");
    const rules = buildRuleFiles({ environment: "staging", cluster: "sigma-staging", replicas: { prometheus: 2, alertmanager: 2 } });
    const samples = join(tmp.dir, "samples.om");
    await writeFile(samples, openMetrics(queries.flatMap((q) => seriesOf(q.expr)), end, 30));
    await mkdir(join(tmp.dir, "data"), { recursive: true });
    await promtool(["tsdb", "create-blocks-from", "openmetrics", samples, join(tmp.dir, "data")], tmp.dir);
    const ruleFiles = Object.fromEntries(Object.entries(rules).map(([file, doc]) => [`rules/${file}`, toGoYaml(doc)]));
    prometheus = await startPrometheus(tmp.dir, {
      "prometheus.yml": toGoYaml({ global: { evaluation_interval: "30s" }, rule_files: Object.keys(ruleFiles) }),
      ...ruleFiles,
    });
  });

  after(async () => {
    await prometheus?.stop();
    await tmp?.remove();
  });

  it("answers every panel query without error, and with data", async () => {
    assert.ok(queries.length > 100, `${queries.length} queries`);
    const failed: string[] = [];
    const empty: string[] = [];
    for (const q of queries) {
      const body = new URLSearchParams({ query: q.expr, time: String(end) });
      const res = await fetch(`${prometheus?.url}/api/v1/query`, { method: "POST", body });
      const json = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
      if (json.status !== "success") failed.push(`${q.dashboard} / ${q.panel}: ${json.error}: ${q.expr}`);
      else if ((json.data?.result.length ?? 0) === 0) empty.push(`${q.dashboard} / ${q.panel}: ${q.expr}`);
    }
    assert.deepEqual(failed, []);
    assert.deepEqual(empty, [], "every query finds the sample series it selects");
  });
});
