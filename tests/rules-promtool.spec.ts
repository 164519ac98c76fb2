import { strict as assert } from "node:assert";
import { availableParallelism } from "node:os";
import { buildRuleFiles, toGoYaml, validateSlos, sloSpecs, type Slo } from "../rules";
import { parsePromtoolFailures, readScenarioRun, sloTestFiles, testRuleFileName, type ScenarioRun } from "../rules/promtool-tests";
import { formatDuration, type ScenarioName } from "../rules/scenarios";
import { isAlertingRule } from "../rules/types";
import { promtoolCheckRules, promtoolTestRules } from "./support/prom-tools";

const slos = validateSlos(sloSpecs);

describe("rules: promtool check rules", () => {
  for (const [label, replicas] of [["prod", { prometheus: 2, alertmanager: 3 }], ["local", { prometheus: 1, alertmanager: 1 }]] as const) {
    it(`accepts every rendered rule file (${label} replica counts) with lint errors fatal`, async () => {
      const files = buildRuleFiles({ environment: label, cluster: `${label}-cluster`, replicas });
      const rendered = Object.fromEntries(Object.entries(files).map(([name, file]) => [name, toGoYaml(file)]));
      const result = await promtoolCheckRules(rendered, { args: ["--lint=all", "--lint-fatal"] });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      for (const name of Object.keys(files)) {
        const rules = files[name].groups.reduce((n, g) => n + g.rules.length, 0);
        assert.match(result.stdout, new RegExp(`Checking ${name.replace(".", "\\.")}\\n  SUCCESS: ${rules} rules found`));
      }
    });
  }

  it("fires VolumeMetricsMissing after 15 minutes without a healthy kubelet target, and not while one is up", async () => {
    const stack = buildRuleFiles({ environment: "prod", cluster: "sigma-prod", replicas: { prometheus: 2, alertmanager: 2 } })["stack-health.yml"];
    const volumes = { groups: stack.groups.filter((g) => g.name === "stack-volumes") };
    const rule = volumes.groups[0].rules.find((r) => isAlertingRule(r) && r.alert === "VolumeMetricsMissing");
    assert.ok(rule && isAlertingRule(rule));
    const test = {
      rule_files: ["volumes.yml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [{ series: 'up{job="kubelet", instance="node-a"}', values: "0x30" }],
          alert_rule_test: [
            { eval_time: "14m", alertname: "VolumeMetricsMissing", exp_alerts: [] },
            { eval_time: "16m", alertname: "VolumeMetricsMissing", exp_alerts: [{ exp_labels: rule.labels, exp_annotations: rule.annotations }] },
          ],
        },
        {
          interval: "1m",
          input_series: [{ series: 'up{job="kubelet", instance="node-a"}', values: "1x30" }],
          alert_rule_test: [{ eval_time: "20m", alertname: "VolumeMetricsMissing", exp_alerts: [] }],
        },
      ],
    };
    const result = await promtoolTestRules(toGoYaml(test), { "volumes.yml": toGoYaml(volumes) });
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it("reports a broken rule with its file and rule (the harness can fail)", async () => {
    const broken = { groups: [{ name: "g", rules: [{ record: "x:y", expr: "sum(rate(x[5m])" }] }] };
    const result = await promtoolCheckRules({ "broken.yml": toGoYaml(broken) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /broken\.yml: .*group "g", rule 1, "x:y": could not parse expression/);
  });
});

/** Runs every SLO's scenario files through promtool, at most one process per core. */
function runAllScenarios(): Map<string, Promise<ScenarioRun[]>> {
  const queue: (() => Promise<void>)[] = [];
  const results = new Map<string, Promise<ScenarioRun[]>>();
  for (const slo of slos) {
    const { ruleFile, files } = sloTestFiles(slo);
    const perFile = files.map((file) => new Promise<ScenarioRun[]>((resolve, reject) => {
      queue.push(async () => {
        try {
          const result = await promtoolTestRules(toGoYaml(file.document), { [testRuleFileName]: toGoYaml(ruleFile) });
          if (result.code !== 0 && !/FAILED:/.test(result.stdout + result.stderr)) {
            throw new Error(`promtool test rules did not run the tests:\n${result.stdout}${result.stderr}`);
          }
          const failures = parsePromtoolFailures(result.stdout + result.stderr);
          resolve(file.groups.map((g) => readScenarioRun(g, failures)));
        } catch (error) {
          reject(error);
        }
      });
    }));
    results.set(`${slo.service}/${slo.name}`, Promise.all(perFile).then((runs) => runs.flat()));
  }
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  };
  for (let i = 0; i < Math.min(2, availableParallelism()); i++) void worker();
  return results;
}

const show = (seconds: number | null): string => (seconds === null ? "-" : formatDuration(seconds));

function table(slo: Slo, runs: ScenarioRun[]): string {
  const header = ["scenario", "first page", "fast page reset", "all pages reset", "first ticket", "pages", "asserted"];
  const rows = runs.map((r) => [
    r.scenario.name, show(r.outcome.firstPage), show(r.outcome.fastPageReset), show(r.outcome.allPagesReset),
    show(r.outcome.firstTicket), r.outcome.pagedAlerts.join(", ") || "none",
    `${r.asserted - r.violations.length}/${r.asserted}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => `    | ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [`    ${slo.title} (${slo.service}/${slo.name}, objective ${slo.objective})`, line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

describe("rules: alert quality on promtool test rules, every SLO", function () {
  this.timeout(180_000);
  let runs: Map<string, Promise<ScenarioRun[]>>;
  before(() => {
    runs = runAllScenarios();
  });

  for (const slo of slos) {
    it(`${slo.service}/${slo.name}: outage pages within 2 min and clears, blip and low traffic page nothing, slow burn tickets`, async () => {
      const results = await runs.get(`${slo.service}/${slo.name}`);
      assert.ok(results);
      console.log(table(slo, results));
      const by = (name: ScenarioName): ScenarioRun => results.find((r) => r.scenario.name === name) as ScenarioRun;
      for (const run of results) {
        assert.ok(run.asserted > 0, `${run.scenario.name} asserts nothing`);
        assert.deepEqual(run.violations, [], `${run.scenario.name}: promtool disagrees with the burn-rate arithmetic`);
      }
      const outage = by("outage").outcome;
      assert.ok(outage.firstPage !== null && outage.firstPage <= 120, `outage paged after ${show(outage.firstPage)}`);
      assert.ok(outage.fastPageReset !== null && outage.fastPageReset <= 600, `fast page cleared ${show(outage.fastPageReset)} after recovery`);
      assert.ok(outage.allPagesReset !== null && outage.allPagesReset <= 35 * 60, `pages cleared ${show(outage.allPagesReset)} after recovery`);
      assert.equal(by("blip").outcome.firstPage, null, `blip paged: ${by("blip").outcome.pagedAlerts.join(", ")}`);
      assert.equal(by("low-traffic").outcome.firstPage, null, `low traffic paged: ${by("low-traffic").outcome.pagedAlerts.join(", ")}`);
      const slow = by("slow-burn").outcome;
      assert.equal(slow.firstPage, null, `slow burn paged: ${slow.pagedAlerts.join(", ")}`);
      assert.ok(slow.firstTicket !== null, "slow burn at 2x opened no ticket");
    });
  }
});
