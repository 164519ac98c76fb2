import { strict as assert } from "node:assert";
import { buildRuleFiles, componentJobs, toGoYaml, validateSlos, sloSpecs } from "../rules";
import { pipelinesGroup } from "../catalog/components";
import type { DetectionReport, ScenarioOutcome } from "../rules/detection";
import { detectionSummary } from "../rules/detection-table";
import { formatDuration } from "../rules/promql";
import { scenarios, type Scenario } from "../rules/scenarios";
import { pageClearsWithin } from "../rules/slo-rules";
import { isAlertingRule } from "../rules/types";
import { detectionStack, measure, serialiseReport, stackTiming } from "../scripts/detection";
import { committedDetectionReport } from "../scripts/synth/detection";
import { promtoolCheckRules, promtoolTestRules } from "./support/prom-tools";
import { unmetRequirements, type SloRuns } from "./support/scenarios/measure";
import { parsePromtoolFailures, readTestFileRuns, sloTestFiles, testRuleFileName } from "./support/scenarios/promtool-tests";

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
    const pipelines = { groups: stack.groups.filter((g) => g.name === pipelinesGroup) };
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
    const pipelines = { groups: stack.groups.filter((g) => g.name === pipelinesGroup) };
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

const show = (seconds: number | null): string => (seconds === null ? "none" : formatDuration(seconds));

describe("rules: alert quality on promtool test rules, every SLO", function () {
  // Every scenario of every SLO through the real promtool, two processes at a time: about a minute and a half.
  this.timeout(600_000);
  const timing = stackTiming();
  let measured: Promise<{ report: DetectionReport; runs: SloRuns[] }>;
  before(() => {
    measured = measure(timing);
    measured.catch(() => undefined);
  });

  it(`runs at the ${detectionStack} stack's scrape and evaluation intervals`, () => {
    assert.ok(timing.scrapeInterval > 0 && timing.evaluationInterval > 0, JSON.stringify(timing));
  });

  for (const slo of slos) {
    const id = `${slo.service}/${slo.name}`;
    it(`${id}: a total outage pages within one evaluation of the first failed scrape and clears within ${formatDuration(pageClearsWithin)}, intermittent failure pages steadily, blips and low traffic page nothing, slow burns ticket`, async () => {
      const { runs } = await measured;
      const results = runs.find((r) => `${r.slo.service}/${r.slo.name}` === id)?.runs ?? [];
      assert.ok(results.length > 0, `no scenario ran for ${id}`);
      for (const run of results) {
        const { scenario, outcome: o } = run;
        const what = `${id} ${scenario.name} (${scenario.description})`;
        assert.ok(run.asserted > 0, `${what} asserts nothing`);
        assert.deepEqual(run.violations, [], `${what}: promtool disagrees with the burn-rate arithmetic`);
        if (scenario.requires.page === "none") assert.equal(o.firstPage, null, `${what} paged: ${o.pagedBy.join(", ")}`);
        if (scenario.requires.page === "prompt") {
          const latest = scenario.sampleInterval + scenario.evalInterval;
          assert.ok(o.firstPage !== null && o.firstPage <= latest, `${what} first paged after ${show(o.firstPage)}, not within ${show(latest)}`);
          assert.ok(!o.stillPaging && o.pagesClear !== null && o.pagesClear <= pageClearsWithin, `${what}: pages cleared ${o.stillPaging ? "never" : show(o.pagesClear)} after recovery`);
        }
        if (scenario.requires.steady) {
          assert.equal(o.flaps, 0, `${what}: a page stopped and fired again`);
          assert.equal(o.unpagedDuringIncident, 0, `${what}: no page for ${show(o.unpagedDuringIncident)} after the first`);
        }
        if (scenario.requires.ticket === "open") assert.notEqual(o.firstTicket, null, `${what} opened no ticket`);
        if (scenario.requires.ticket === "none") assert.equal(o.firstTicket, null, `${what} opened a ticket: ${o.ticketedBy.join(", ")}`);
        assert.deepEqual(unmetRequirements(scenario, o), [], what);
      }
      const kinds = new Set(results.map((r) => r.scenario.kind));
      assert.deepEqual([...kinds].sort(), ["blip", "intermittent", "low-traffic", "outage", "recovery", "slow-burn"]);
    });
  }

  it(`the committed report (rules/detection-report.json) is what promtool measures now; refresh it with npm run detection`, async () => {
    const { report } = await measured;
    console.log(detectionSummary(report).replace(/^/gm, "    "));
    const committed = committedDetectionReport();
    assert.equal(committed.fingerprint, report.fingerprint, "rules/detection-report.json was measured on other rules or scenarios: run npm run detection");
    assert.deepEqual(committed, JSON.parse(serialiseReport(report)), "rules/detection-report.json differs from what promtool measures now: run npm run detection");
  });
});

describe("rules: the detection report names what a scenario misses", () => {
  const slo = slos[0];
  const all = scenarios(slo, stackTiming());
  const named = (name: string): Scenario => all.find((s) => s.name === name) as Scenario;
  const quiet: ScenarioOutcome = {
    firstPage: null, pagesClear: null, stillPaging: false, firstTicket: null, flaps: 0, unpagedDuringIncident: 0, pagedBy: [], ticketedBy: [],
  };

  it("a blip that pages or tickets, and a slow burn that tickets nothing", () => {
    assert.deepEqual(unmetRequirements(named("blip-10m"), { ...quiet, firstPage: 30, pagesClear: 270, pagedBy: ["SLOFastBurn 1h/5m"], firstTicket: 30, ticketedBy: ["SLOSlowBurn 1d/2h"] }), [
      "paged 30s after it began (SLOFastBurn 1h/5m)", "opened a ticket 30s after it began (SLOSlowBurn 1d/2h)",
    ]);
    assert.deepEqual(unmetRequirements(named("blip-10m"), quiet), []);
    assert.deepEqual(unmetRequirements(named("slow-burn-2x"), quiet), ["opened no ticket"]);
  });

  it("an outage paged late, cleared late, still paging or flapping", () => {
    const outage = named("outage-2h");
    const paged = { ...quiet, firstPage: 60, pagesClear: 510, pagedBy: ["SLOHardFailure"] };
    assert.deepEqual(unmetRequirements(outage, paged), []);
    assert.deepEqual(unmetRequirements(outage, { ...paged, firstPage: 90, pagesClear: 1770, flaps: 1, unpagedDuringIncident: 30 }), [
      "first paged 1m30s after it began, more than one evaluation after the first failed scrape (1m)",
      "pages cleared 29m30s after recovery, later than 10m",
      "a page stopped and fired again 1 time(s)",
      "no page fired for 30s of the incident after the first",
    ]);
    assert.deepEqual(unmetRequirements(outage, { ...paged, pagesClear: null, stillPaging: true }), ["still paging at the end"]);
    assert.deepEqual(unmetRequirements(outage, quiet), ["never paged"]);
  });
});

describe("rules: reading promtool's report (the alert-quality check can fail)", () => {
  const slo = slos[0];
  const { ruleFile, files } = sloTestFiles(slo, stackTiming());
  const groups = files[0].groups;
  const outage = groups[0];
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
