import { strict as assert } from "assert";
import { buildDatasources, datasourceUids } from "../components/monitoring-core/grafana";
import { parseQuantity } from "../components/k8s/quantity";
import { serializeDocument } from "../components/k8s/documents";
import { validateStackConfig } from "../config";
import { buildDashboards, configMapDataLimit, dashboardInput } from "../dashboards";
import { columnWidths, gridColumns, layout, type Dashboard, type GraphPanel, type Panel } from "../dashboards/model";
import { serviceDashboardUid } from "../dashboards/service-slo";
import { componentDialects, processMetrics } from "../dashboards/telemetry";
import { buildRuleFiles, componentJobs, metricContract, serviceKeys, slos, type AlertingRule } from "../rules";
import type { ComponentKey } from "../rules/jobs";
import { knownMetricNames } from "../rules/metric-sources";
import { burnFactor, burnWindows } from "../rules/slo";
import { recordNames } from "../rules/slo-rules";
import { stackValues } from "./support/harness";

/** What the tests use of a Lezer parse tree (the grammars ship as ES modules; their CommonJS builds are required here). */
interface SyntaxTree {
  iterate(spec: { enter(node: { name: string; from: number; to: number; type: { isError: boolean }; node: { getChild(name: string): { from: number; to: number } | null } }): void }): void;
}
interface Grammar {
  parse(text: string): SyntaxTree;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const promqlParser = (require("@prometheus-io/lezer-promql") as { parser: Grammar }).parser;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const logqlParser = (require("@grafana/lezer-logql") as { parser: Grammar }).parser;

const graphs = (panels: Panel[]) => panels.filter((p): p is GraphPanel => p.type !== "row");

/** Grafana's built-in interval variables, replaced by a duration so the real grammars can read the query. */
const expandGrafanaVariables = (expr: string): string => expr.replace(/\$__(rate_interval|interval|auto|range)\b/g, "5m");

/** Nodes of a parse tree the grammar could not read. */
function syntaxErrors(tree: SyntaxTree, text: string): string[] {
  const errors: string[] = [];
  tree.iterate({ enter: (n) => { if (n.type.isError) errors.push(`at ${n.from}: "${text.slice(Math.max(0, n.from - 10), n.to + 10)}"`); } });
  return errors;
}

/** Metric names a PromQL expression selects (the Identifier of every vector selector). */
function metricNames(expr: string): string[] {
  const text = expandGrafanaVariables(expr);
  const names: string[] = [];
  promqlParser.parse(text).iterate({
    enter: (n) => {
      if (n.name === "VectorSelector") {
        const id = n.node.getChild("Identifier");
        if (id) names.push(text.slice(id.from, id.to));
      }
    },
  });
  return names;
}

interface Query {
  dashboard: string;
  panel: string;
  language: "PromQL" | "LogQL";
  expr: string;
}

/** Every query of every dashboard, with where it is; `label_values(metric, label)` variables count as PromQL of `metric`. */
function queriesOf(dashboards: readonly Dashboard[]): Query[] {
  return dashboards.flatMap((d) => [
    ...graphs(d.panels).flatMap((p) =>
      p.targets.map((t) => ({ dashboard: d.uid, panel: p.title, language: t.datasource.type === "loki" ? "LogQL" as const : "PromQL" as const, expr: t.expr }))),
    ...d.templating.list.flatMap((v) => {
      if (v.type !== "query") return [];
      const m = /^label_values\((.+),\s*[a-zA-Z_]+\)$/.exec(v.query.query);
      assert.ok(m, `${d.uid}: variable ${v.name} uses label_values(metric, label)`);
      return [{ dashboard: d.uid, panel: `variable $${v.name}`, language: "PromQL" as const, expr: m[1] }];
    }),
  ]);
}

/** One line per query the real grammar cannot parse, naming the dashboard, the panel and the query. */
function queryProblems(queries: readonly Query[]): string[] {
  return queries.flatMap((q) => {
    const text = expandGrafanaVariables(q.expr);
    const errors = syntaxErrors((q.language === "LogQL" ? logqlParser : promqlParser).parse(text), text);
    return errors.length > 0 ? [`${q.dashboard} / ${q.panel}: ${q.language} does not parse (${errors.join(", ")}): ${q.expr}`] : [];
  });
}

const stacks = ["staging", "prod"] as const;
const build = (stack: (typeof stacks)[number]) => buildDashboards(validateStackConfig(stackValues(stack)), datasourceUids);

describe("dashboards: layout", () => {
  it("splits the 24 columns by span, remainder to the left", () => {
    assert.deepEqual(columnWidths([1, 1, 2, 2]), [4, 4, 8, 8]);
    assert.deepEqual(columnWidths([1, 1, 1, 1, 1]), [5, 5, 5, 5, 4]);
    assert.deepEqual(columnWidths([1, 1, 1, 1, 1, 1, 1]), [4, 4, 4, 3, 3, 3, 3]);
    assert.throws(() => columnWidths([]), /a row holds 1-24 panels/);
  });

  it("stacks rows, each header above its panels, with no overlap and ids in reading order", () => {
    const q = [{ expr: "up" }];
    const panels = layout(
      [
        { title: "a", height: 4, panels: [{ type: "stat", title: "a1", queries: q }, { type: "stat", title: "a2", span: 2, queries: q }] },
        { title: "b", panels: [{ type: "timeseries", title: "b1", queries: q }] },
      ],
      { type: "prometheus", uid: "prometheus" },
    );
    assert.deepEqual(
      panels.map((p) => [p.id, p.type, p.gridPos]),
      [
        [1, "row", { x: 0, y: 0, w: 24, h: 1 }],
        [2, "stat", { x: 0, y: 1, w: 8, h: 4 }],
        [3, "stat", { x: 8, y: 1, w: 16, h: 4 }],
        [4, "row", { x: 0, y: 5, w: 24, h: 1 }],
        [5, "timeseries", { x: 0, y: 6, w: 24, h: 6 }],
      ],
    );
  });

  it("refuses a panel reading a datasource the dashboard does not have", () => {
    assert.throws(
      () => layout([{ title: "r", panels: [{ type: "logs", title: "logs", datasource: "loki", queries: [{ expr: '{a="b"}' }] }] }], { type: "prometheus", uid: "p" }),
      /panel "logs" reads loki/,
    );
  });
});

describe("dashboards: the query checks", () => {
  it("name the dashboard, the panel and the query of a broken PromQL or LogQL query", () => {
    const problems = queryProblems([
      { dashboard: "d1", panel: "p1", language: "PromQL", expr: "sum(rate(up[$__rate_interval])" },
      { dashboard: "d2", panel: "p2", language: "LogQL", expr: '{a="b"} |~ ' },
      { dashboard: "d3", panel: "fine", language: "PromQL", expr: 'sum by (job) (rate(up{job="x"}[$__rate_interval]))' },
    ]);
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[0], /^d1 \/ p1: PromQL does not parse .*: sum\(rate\(up\[\$__rate_interval\]\)$/);
    assert.match(problems[1], /^d2 \/ p2: LogQL does not parse/);
  });

  it("read metric names off vector selectors, not off functions or labels", () => {
    assert.deepEqual(metricNames('sum by (le) (rate(a_bucket{job="x"}[$__rate_interval])) / on (slo) b{service="y"} or vector(0)'), ["a_bucket", "b"]);
  });
});

describe("dashboards: the provisioned set", () => {
  const files = build("staging");
  const dashboards = Object.values(files);
  const all = slos();
  const rules = buildRuleFiles({ environment: "staging", cluster: "sigma-staging", replicas: { prometheus: 2, alertmanager: 2 } });
  const alerts = Object.values(rules).flatMap((f) => f.groups.flatMap((g) => g.rules)).filter((r): r is AlertingRule => "alert" in r);
  const byUid = (uid: string) => {
    const d = files[`${uid}.json`];
    assert.ok(d, `dashboard ${uid} is provisioned`);
    return d;
  };

  it("has one file per uid, an SLO dashboard per catalogued service, and stable uids across stacks", () => {
    for (const [file, d] of Object.entries(files)) assert.equal(file, `${d.uid}.json`);
    for (const service of serviceKeys) assert.equal(byUid(serviceDashboardUid(service)).uid, `slo-${service}`);
    const shared = ["slo-overview", "stack-health", "tracing-pipeline", "logging-pipeline", "stack-resources"];
    for (const uid of shared) byUid(uid);
    assert.equal(dashboards.length, serviceKeys.length + shared.length);
    assert.deepEqual(Object.keys(build("prod")), Object.keys(files), "the same uids in every stack");
    for (const d of dashboards) assert.match(d.uid, /^[a-z0-9-]{1,40}$/, `${d.uid}: Grafana uids are at most 40 characters`);
  });

  it("never overflows the 24-column grid, overlaps two panels or repeats a panel id", () => {
    for (const d of dashboards) {
      const taken = new Set<string>();
      for (const p of d.panels) {
        assert.ok(p.gridPos.x + p.gridPos.w <= gridColumns, `${d.uid}: ${p.title} overflows`);
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            assert.ok(!taken.has(`${x},${y}`), `${d.uid}: ${p.title} overlaps at ${x},${y}`);
            taken.add(`${x},${y}`);
          }
        }
      }
      assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length, `${d.uid}: duplicate panel ids`);
    }
  });

  it("every PromQL and LogQL query parses with the real grammars", () => {
    const queries = queriesOf(dashboards);
    assert.ok(queries.some((q) => q.language === "LogQL"), "the logging dashboard reads Loki");
    assert.deepEqual(queryProblems(queries), []);
  });

  it("every metric a panel reads is produced by something we deploy (rules/metric-sources.ts, or spanmetrics)", () => {
    const known = new Set(knownMetricNames());
    const unknown = queriesOf(dashboards)
      .filter((q) => q.language === "PromQL")
      .flatMap((q) => metricNames(q.expr).filter((n) => !known.has(n)).map((n) => `${q.dashboard} / ${q.panel}: ${n}`));
    assert.deepEqual(unknown, []);
  });

  it("every panel reads Prometheus through the environment variable, whose default Grafana is provisioned with, or Loki by uid", () => {
    const provisioned = buildDatasources(validateStackConfig(stackValues("staging"))).datasources;
    for (const d of dashboards) {
      const vars = new Map(d.templating.list.map((v) => [v.name, v]));
      const env = vars.get("environment");
      assert.ok(env && env.type === "datasource" && env.query === "prometheus", `${d.uid}: an environment variable choosing the Prometheus`);
      assert.ok(provisioned.some((s) => s.type === "prometheus" && s.uid === env.current.value), `${d.uid}: environment defaults to a provisioned Prometheus`);
      for (const p of graphs(d.panels)) {
        if (p.datasource.type === "prometheus") assert.equal(p.datasource.uid, "${environment}", `${d.uid}/${p.title}`);
        else assert.ok(provisioned.some((s) => s.type === p.datasource.type && s.uid === p.datasource.uid), `${d.uid}/${p.title}`);
        for (const t of p.targets) assert.deepEqual(t.datasource, p.datasource);
      }
    }
  });

  it("every dashboard fits its own ConfigMap", () => {
    for (const [file, d] of Object.entries(files)) {
      const bytes = Buffer.byteLength(serializeDocument(file, d));
      assert.ok(bytes < configMapDataLimit, `${file}: ${bytes} bytes`);
    }
    assert.throws(() => buildDashboards(validateStackConfig(stackValues("staging")), datasourceUids, 1000), /slo-overview\.json is \d+ bytes serialised; a ConfigMap holds at most 1000/);
  });

  it("the SLO overview shows every SLO from its recorded series, each panel linking to its service's dashboard", () => {
    const d = byUid("slo-overview");
    const recorded = new Set(Object.values(rules).flatMap((f) => f.groups.flatMap((g) => g.rules.flatMap((r) => ("record" in r ? [r.record] : [])))));
    for (const slo of all) assert.ok(d.panels.some((p) => p.type === "row" && p.title.endsWith(`: ${slo.name}`)), slo.name);
    for (const p of graphs(d.panels).filter((p) => p.type !== "table")) {
      for (const t of p.targets) {
        const m = /^([a-z_:0-9]+)\{service="([a-z]+)",slo="([a-z0-9-]+)"\}$/.exec(t.expr);
        assert.ok(m, `${p.title}: ${t.expr} selects one SLO's recorded series`);
        assert.ok(recorded.has(m[1]), `${p.title}: ${m[1]} is not recorded by rules/`);
        assert.ok(all.some((s) => s.service === m[2] && s.name === m[3]), `${m[2]}/${m[3]} is not an SLO`);
        assert.deepEqual(p.links?.map((l) => l.url.split("?")[0]), [`/d/${serviceDashboardUid(m[2] as never)}`], p.title);
      }
    }
    assert.deepEqual(d.links.map((l) => l.url), serviceKeys.map((s) => `/d/${serviceDashboardUid(s)}`));
    const service = d.templating.list.find((v) => v.name === "service");
    assert.ok(service && service.type === "custom" && service.query === serviceKeys.join(","));
  });

  it("each service dashboard covers every SLO of the service: SLI now and over the period, budget, burn-down", () => {
    for (const slo of all) {
      const d = byUid(serviceDashboardUid(slo.service));
      const exprs = graphs(d.panels).flatMap((p) => p.targets.map((t) => t.expr));
      const sel = (name: string) => `${name}{service="${slo.service}",slo="${slo.name}"}`;
      for (const expr of [`1 - ${sel(recordNames.errorRatio("5m"))}`, `1 - ${sel(recordNames.errorRatio(slo.period))}`, sel(recordNames.objective), sel(recordNames.budgetRemaining)]) {
        assert.ok(exprs.includes(expr), `${d.uid}: ${expr}`);
      }
      const burnDown = graphs(d.panels).find((p) => p.timeFrom === slo.period && p.targets[0].expr === sel(recordNames.budgetRemaining) && p.type === "timeseries");
      assert.ok(burnDown, `${d.uid}: ${slo.name} budget burn-down over ${slo.period}`);
    }
  });

  it("draws each alert window's burn rate against the very factor its alert rule compares with", () => {
    for (const slo of all) {
      const d = byUid(serviceDashboardUid(slo.service));
      for (const w of burnWindows) {
        const rule = alerts.find((a) => a.labels.service === slo.service && a.labels.slo === slo.name && a.labels.long_window === w.long && a.labels.short_window === w.short);
        assert.ok(rule, `${slo.service}/${slo.name} ${w.long}/${w.short} alert`);
        const factor = Number(/> \(([0-9.e+-]+) \* [0-9.e+-]+\)/.exec(rule.expr)?.[1]);
        assert.equal(factor, burnFactor(w, slo.period));
        const panel = graphs(d.panels).find((p) => p.targets.some((t) => t.expr.startsWith(`${recordNames.errorRatio(w.long)}{service="${slo.service}",slo="${slo.name}"}`)) && p.title.includes(`${w.long}/${w.short}`));
        assert.ok(panel, `${d.uid}: burn-rate panel of ${slo.name} ${w.long}/${w.short}`);
        const steps = panel.fieldConfig.defaults.thresholds?.steps.map((s) => s.value);
        assert.deepEqual(steps, [null, factor], `${panel.title}: threshold at ${factor}`);
        assert.equal(panel.fieldConfig.defaults.custom?.thresholdsStyle.mode, "line");
        assert.deepEqual(panel.targets.map((t) => t.expr.split("{")[0]), [recordNames.errorRatio(w.long), recordNames.errorRatio(w.short)]);
      }
    }
  });

  it("each service dashboard shows the bucketed SLIs against their target, traffic by route or operation, and its alerts", () => {
    for (const slo of all) {
      const d = byUid(serviceDashboardUid(slo.service));
      const panels = graphs(d.panels);
      const target = slo.sli.kind === "latency" ? slo.sli.le : slo.sli.errors.matchers.find((m) => m.label === "le")?.value;
      if (target !== undefined) {
        const p = panels.find((x) => x.title.startsWith(`${slo.title}: quantiles`));
        assert.ok(p, `${d.uid}: ${slo.title} distribution`);
        assert.ok(p.fieldConfig.defaults.thresholds?.steps.some((s) => s.value === Number(target)), `${p.title}: target ${target} drawn`);
      }
    }
    for (const service of serviceKeys) {
      const d = byUid(serviceDashboardUid(service));
      const exprs = graphs(d.panels).flatMap((p) => p.targets.map((t) => t.expr));
      for (const metric of Object.values(metricContract[service].metrics)) {
        if (metric.kind === "counter") assert.ok(exprs.some((e) => /^sum(\(| by \()/.test(e) && e.includes(`${metric.name}{job="${service}"`)), `${d.uid}: traffic of ${metric.name}`);
      }
      assert.ok(exprs.includes('ALERTS{service="$service"}'), `${d.uid}: active alerts`);
      const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
      assert.equal(vars.service?.type === "constant" && vars.service.query, service);
    }
  });

  it("the resources dashboard draws every component's requests and limits from the stack, against its process metrics", () => {
    for (const stack of stacks) {
      const c = validateStackConfig(stackValues(stack));
      const input = dashboardInput(c, datasourceUids);
      const d = build(stack)["stack-resources.json"];
      for (const key of Object.keys(componentJobs) as ComponentKey[]) {
        const resources = input.resources[key];
        const dialect = componentDialects[key];
        const memory = graphs(d.panels).find((p) => p.targets.some((t) => dialect && t.expr === `max by (pod) (${processMetrics[dialect].rss}{job="${componentJobs[key]}"})`));
        if (!resources || !dialect) {
          assert.equal(memory, undefined, key);
          continue;
        }
        assert.ok(memory, `${stack}: ${key} memory`);
        assert.deepEqual(memory.fieldConfig.defaults.thresholds?.steps.map((s) => s.value), [null, parseQuantity(resources.requests.memory), parseQuantity(resources.limits.memory)]);
      }
    }
  });
});
