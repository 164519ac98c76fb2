import { strict as assert } from "node:assert";
import { availableParallelism } from "node:os";
import { buildRuleFiles, componentJobs, toGoYaml, validateSlos, sloSpecs, type Slo } from "../rules";
import { parsePromtoolFailures, readTestFileRuns, sloTestFiles, testRuleFileName, type ScenarioRun } from "../rules/promtool-tests";
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

  it("fires CollectorDroppingData on export failures that exhausted retries, per job, and not on successful sends", async () => {
    const stack = buildRuleFiles({ environment: "prod", cluster: "sigma-prod", replicas: { prometheus: 2, alertmanager: 2 } })["stack-health.yml"];
    const pipelines = { groups: stack.groups.filter((g) => g.name === "stack-pipelines") };
    const rule = pipelines.groups[0].rules.find((r) => isAlertingRule(r) && r.alert === "CollectorDroppingData");
    assert.ok(rule && isAlertingRule(rule));
    const expected = (job: string) => ({
      exp_labels: { ...rule.labels, job, component: job },
      exp_annotations: Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, v.replaceAll("{{ $labels.job }}", job)])),
    });
    const sent = (job: string, signal: string) => ({ series: `otelcol_exporter_sent_${signal}_total{job="${job}", exporter="otlp"}`, values: "0+600x40" });
    const test = {
      rule_files: ["pipelines.yml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            // The gateway loses spans for good (Jaeger refuses them); the log agent keeps failing log exports.
            { series: `otelcol_exporter_send_failed_spans_total{job="${componentJobs.otelGateway}", exporter="otlp_grpc/jaeger"}`, values: "0+50x40" },
            { series: `otelcol_exporter_send_failed_log_records{job="${componentJobs.logAgent}", exporter="otlp_http/loki"}`, values: "0+5x40" },
            sent(componentJobs.otelAgent, "spans"),
          ],
          alert_rule_test: [
            { eval_time: "9m", alertname: "CollectorDroppingData", exp_alerts: [] },
            { eval_time: "20m", alertname: "CollectorDroppingData", exp_alerts: [expected(componentJobs.logAgent), expected(componentJobs.otelGateway)] },
          ],
        },
        {
          interval: "1m",
          input_series: [
            sent(componentJobs.otelGateway, "spans"),
            { series: `otelcol_exporter_send_failed_spans_total{job="${componentJobs.otelGateway}", exporter="otlp_grpc/jaeger"}`, values: "7x40" },
          ],
          alert_rule_test: [{ eval_time: "30m", alertname: "CollectorDroppingData", exp_alerts: [] }],
        },
      ],
    };
    const result = await promtoolTestRules(toGoYaml(test), { "pipelines.yml": toGoYaml(pipelines) });
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it("TailSamplingDroppingTraces fires for a gateway that evicts undecided traces, not for one that keeps up", async () => {
    const stack = buildRuleFiles({ environment: "prod", cluster: "sigma-prod", replicas: { prometheus: 2, alertmanager: 2 } })["stack-health.yml"];
    const pipelines = { groups: stack.groups.filter((g) => g.name === "stack-pipelines") };
    const rule = pipelines.groups[0].rules.find((r) => isAlertingRule(r) && r.alert === "TailSamplingDroppingTraces");
    assert.ok(rule && isAlertingRule(rule));
    const gateway = componentJobs.otelGateway;
    const dropped = (instance: string, values: string) =>
      ({ series: `otelcol_processor_tail_sampling_sampling_trace_dropped_too_early{job="${gateway}", instance="${instance}"}`, values });
    const test = {
      rule_files: ["pipelines.yml"],
      evaluation_interval: "1m",
      tests: [{
        interval: "1m",
        // gateway-0 drops 30 traces a minute from minute 10 on; gateway-1 dropped a few once and then kept up.
        input_series: [dropped("gateway-0", "0x10 0+30x30"), dropped("gateway-1", "0x5 4x35")],
        alert_rule_test: [
          { eval_time: "13m", alertname: "TailSamplingDroppingTraces", exp_alerts: [] },
          {
            eval_time: "25m",
            alertname: "TailSamplingDroppingTraces",
            exp_alerts: [{
              exp_labels: { ...rule.labels, job: gateway, instance: "gateway-0", component: gateway },
              exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, v.replaceAll("{{ $labels.instance }}", "gateway-0")])),
            }],
          },
        ],
      }],
    };
    const result = await promtoolTestRules(toGoYaml(test), { "pipelines.yml": toGoYaml(pipelines) });
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
          resolve(readTestFileRuns(file.groups, result.code, result.stdout + result.stderr));
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

describe("rules: reading promtool's report (the alert-quality check can fail)", () => {
  const slo = slos[0];
  const { ruleFile, files } = sloTestFiles(slo);
  const groups = files[0].groups;
  const outage = groups.find((g) => g.scenario.name === "outage") ?? groups[0];
  const check = outage.asserted.find((a) => a.exp_alerts.length === 0) ?? outage.asserted[0];
  const report = (group: string, alertname: string, time: string): string => [
    "  FAILED:",
    `    name: ${group},`,
    `    alertname: ${alertname}, time: ${time}, `,
    "        exp:[], ",
    "        got:[",
    "            0:",
    `              Labels:{alertname="${alertname}", service="${slo.service}", severity="critical"}`,
    "              Annotations:{}",
    "            ]",
  ].join("\n");

  it("turns a failure at an asserted time into a violation with the labels promtool got", () => {
    const runs = readTestFileRuns(groups, 1, report(outage.group.name, check.alertname, check.eval_time));
    const run = runs.find((r) => r.scenario.name === outage.scenario.name);
    assert.equal(run?.violations.length, 1);
    assert.deepEqual(run?.violations[0].got, [{ alertname: check.alertname, service: slo.service, severity: "critical" }]);
    assert.ok(runs.filter((r) => r !== run).every((r) => r.violations.length === 0));
  });

  it("refuses a non-zero exit whose report names no failed alert_rule_test", () => {
    assert.throws(
      () => readTestFileRuns(groups, 1, "Unit Testing:  tests.yml\n  FAILED:\n    1:24: parse error: unexpected character in series values\n"),
      /promtool exited with code 1 but reported no failed alert_rule_test/,
    );
    assert.throws(() => readTestFileRuns(groups, 0, report(outage.group.name, check.alertname, check.eval_time)), /exited with code 0 but reported 1 failed/);
  });

  it("refuses a failure block it cannot read and a failure of a group the file does not hold", () => {
    assert.throws(
      () => parsePromtoolFailures(`  FAILED:\n    name: ${outage.group.name},\n    alert ${check.alertname} at ${check.eval_time}: unexpected alerts\n`),
      /unreadable promtool failure block/,
    );
    assert.throws(
      () => parsePromtoolFailures(`  FAILED:\n    name: ${outage.group.name},\n    alertname: ${check.alertname} at ${check.eval_time}\n`),
      /unreadable promtool failure of group/,
    );
    assert.throws(() => readTestFileRuns(groups, 1, report("ryot/availability renamed", check.alertname, check.eval_time)), /groups "ryot\/availability renamed"; the file holds/);
  });

  it("refuses the report of a real promtool run that failed before evaluating any alert", async () => {
    const broken = { ...files[0].document, tests: files[0].document.tests.map((t, i) => (i === 0 ? { ...t, input_series: [{ series: t.input_series[0].series, values: "1+1x not-a-number" }] } : t)) };
    const result = await promtoolTestRules(toGoYaml(broken), { [testRuleFileName]: toGoYaml(ruleFile) });
    assert.notEqual(result.code, 0);
    assert.throws(() => readTestFileRuns(files[0].groups, result.code, result.stdout + result.stderr), /reported no failed alert_rule_test/);
  });
});
