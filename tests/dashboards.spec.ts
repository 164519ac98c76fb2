import { strict as assert } from "assert";
import { buildDatasources } from "../components/monitoring-core/grafana";
import { validateStackConfig } from "../config";
import { buildDashboards } from "../dashboards";
import { columnWidths, gridColumns, layout, type GraphPanel, type Panel } from "../dashboards/model";
import { buildRuleFiles, componentJobs, serviceKeys, slos } from "../rules";
import { recordNames } from "../rules/slo-rules";
import { stackValues } from "./support/harness";

const graphs = (panels: Panel[]) => panels.filter((p): p is GraphPanel => p.type !== "row");

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
});

describe("dashboards: the provisioned set", () => {
  const dashboards = buildDashboards("prometheus");
  const rulesText = JSON.stringify(
    buildRuleFiles({ environment: "staging", cluster: "sigma-staging", replicas: { prometheus: 2, alertmanager: 2 } }),
  );

  it("provides an SLO overview and a stack health dashboard, one file per uid", () => {
    assert.deepEqual(Object.keys(dashboards), ["slo-overview.json", "stack-health.json"]);
    for (const [file, d] of Object.entries(dashboards)) assert.equal(file, `${d.uid}.json`);
  });

  it("never overflows the 24-column grid, overlaps two panels or repeats a panel id", () => {
    for (const d of Object.values(dashboards)) {
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

  it("the SLO overview has a row per SLO and reads only series the rules record for that SLO", () => {
    const d = dashboards["slo-overview.json"];
    const all = slos();
    assert.equal(d.panels.filter((p) => p.type === "row").length, all.length);
    for (const slo of all) assert.ok(d.panels.some((p) => p.type === "row" && p.title.endsWith(`: ${slo.name}`)), slo.name);
    const recorded = new Set([...rulesText.matchAll(/"record":"([^"]+)"/g)].map((m) => m[1]));
    for (const p of graphs(d.panels)) {
      for (const t of p.targets) {
        const metric = /^([a-z_:0-9]+)\{service="([a-z]+)",slo="([a-z0-9-]+)"\}$/.exec(t.expr);
        assert.ok(metric, `${p.title}: ${t.expr} selects one SLO's recorded series`);
        assert.ok(recorded.has(metric[1]), `${p.title}: ${metric[1]} is not recorded by rules/`);
        assert.ok(serviceKeys.includes(metric[2] as never));
        assert.ok(all.some((s) => s.service === metric[2] && s.name === metric[3]), `${metric[2]}/${metric[3]} is not an SLO`);
      }
    }
    const exprs = graphs(d.panels).flatMap((p) => p.targets.map((t) => t.expr.split("{")[0]));
    for (const name of [recordNames.objective, recordNames.budgetRemaining, recordNames.currentBurnRate, recordNames.errorRatio("5m")]) {
      assert.ok(exprs.includes(name), `${name} is on the dashboard`);
    }
  });

  it("the stack health dashboard shows targets up for every component job", () => {
    const exprs = graphs(dashboards["stack-health.json"].panels).flatMap((p) => p.targets.map((t) => t.expr));
    for (const job of Object.values(componentJobs)) assert.ok(exprs.includes(`avg(up{job="${job}"})`), job);
  });

  it("every panel queries a datasource uid that Grafana is provisioned with", () => {
    const uids = buildDatasources(validateStackConfig(stackValues("staging"))).datasources.map((d) => d.uid);
    for (const d of Object.values(dashboards)) {
      for (const p of graphs(d.panels)) {
        assert.ok(uids.includes(p.datasource.uid), `${d.uid}/${p.title}`);
        for (const t of p.targets) assert.equal(t.datasource.uid, p.datasource.uid);
      }
    }
  });
});
