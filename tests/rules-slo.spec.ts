import { strict as assert } from "node:assert";
import {
  buildRuleFiles, componentJobs, metricContract, ruleNameProblems, runbookBaseUrlDefault, serviceKeys, sloDocument, sloSpecs, validateSlos,
  type AlertingRule, type RecordingRule, type RuleFile, type SloSpec,
} from "../rules";
import { serviceCatalog } from "../catalog";
import { sloRuleFileName, stackHealthFileName } from "../rules/index";
import { formatLe, resolveSeries } from "../rules/metrics";
import { leMatcher, presenceSelectors, renderSelector } from "../rules/promql";
import { burnFactor, burnWindows, hardFailureRatio, matcherAccepts } from "../rules/slo";
import { isAlertingRule } from "../rules/types";
import { ConfigError, formatProblem } from "../config/errors";

const input = { environment: "prod", cluster: "eks-prod", replicas: { prometheus: 2, alertmanager: 3 } };
const validSpec: SloSpec = {
  service: "ryot",
  name: "availability",
  title: "Ryot availability",
  description: "Requests without a 5xx.",
  objective: 0.999,
  sli: {
    kind: "ratio",
    errors: { metric: "ryot_requests_total", matchers: [{ label: "code", op: "=~", value: "5.." }] },
    total: { metric: "ryot_requests_total" },
  },
  minimumEventRate: 1,
};
const withSpec = (patch: Record<string, unknown>): unknown => ({ ...validSpec, ...patch });

/** The ConfigError validateSlos throws, as its message and its problem lines. */
function rejection(specs: unknown[]): { message: string; lines: string[] } {
  try {
    validateSlos(specs);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return { message: error.message, lines: error.problems.map(formatProblem) };
  }
  assert.fail("validateSlos accepted invalid specs");
}
const lines = (specs: unknown[]): string[] => rejection(specs).lines;

function allRules(files: Record<string, RuleFile>): (AlertingRule | RecordingRule)[] {
  return Object.values(files).flatMap((f) => f.groups.flatMap((g) => g.rules));
}

describe("rules: SLO specs", () => {
  it("validates every SLO of every catalog entry, in catalog order, and applies defaults", () => {
    const slos = validateSlos(sloSpecs);
    assert.deepEqual(slos.map((s) => `${s.service}/${s.name}`), serviceCatalog.flatMap((entry) => entry.slos.map((slo) => `${entry.key}/${slo.name}`)));
    assert.ok(serviceCatalog.every((entry) => entry.slos.length > 0), "every service has at least one SLO");
    for (const slo of slos) {
      assert.equal(slo.period, "30d");
      assert.equal(slo.team, metricContract[slo.service].owner);
      assert.deepEqual(slo.routing, { page: { severity: "critical" }, ticket: { severity: "warning" } });
    }
  });

  it("uses latency thresholds that are bucket boundaries of the contract's histograms", () => {
    const latency = validateSlos(sloSpecs).flatMap((s) => (s.sli.kind === "latency" ? [{ id: `${s.service}/${s.name}`, service: s.service, sli: s.sli }] : []));
    assert.ok(latency.length > 0, "no latency SLO to check");
    for (const { id, service, sli } of latency) {
      const metric = resolveSeries(service, `${sli.histogram}_bucket`)?.metric;
      assert.ok(metric?.kind === "histogram" && metric.unit === "seconds", `${id}: ${sli.histogram} is not a latency histogram of the contract`);
      assert.ok(metric.buckets.map(formatLe).includes(sli.le), `${id}: le ${sli.le} is not a boundary of ${metric.buckets.map(formatLe).join(", ")}`);
    }
  });

  it("rejects an objective outside (0, 1) with the key path and value", () => {
    assert.equal(rejection([withSpec({ objective: 1 })]).message,
      "SLO list is invalid (1 problem):\n  - slos[0].objective: got 1; allowed: a number in the open interval (0, 1); write 99.9% as 0.999");
    for (const objective of [0, 99.9, "0.999"]) {
      assert.deepEqual(lines([withSpec({ objective })]), [
        `slos[0].objective: got ${JSON.stringify(objective)}; allowed: a number in the open interval (0, 1); write 99.9% as 0.999`,
      ]);
    }
  });

  it("rejects an unknown period window, service or SLI kind", () => {
    assert.deepEqual(lines([withSpec({ period: "31d" })]), ['slos[0].period: got "31d"; allowed: one of "28d", "30d"']);
    assert.deepEqual(lines([withSpec({ service: "ryott" })]), [`slos[0].service: got "ryott"; allowed: one of ${serviceKeys.map((k) => `"${k}"`).join(", ")}`]);
    assert.deepEqual(lines([withSpec({ sli: { kind: "availability" } })]), ['slos[0].sli.kind: got "availability"; allowed: one of "ratio", "latency"']);
  });

  it("rejects an empty selector", () => {
    const spec = withSpec({ sli: { kind: "ratio", errors: { metric: "" }, total: { metric: "ryot_requests_total" } } });
    assert.deepEqual(lines([spec]), ['slos[0].sli.errors.metric: got ""; allowed: a metric name from the metric contract']);
  });

  it("rejects duplicate SLO names of one service, and lists every problem at once", () => {
    const { message } = rejection([validSpec, withSpec({ objective: 2 }), validSpec, withSpec({ service: "sigmalang" })]);
    const series = "sigmalang_requests_total, sigmalang_compression_ratio_bucket, sigmalang_compression_ratio_count, sigmalang_compression_ratio_sum";
    assert.equal(message, [
      "SLO list is invalid (4 problems):",
      "  - slos[1].objective: got 2; allowed: a number in the open interval (0, 1); write 99.9% as 0.999",
      "  - slos[2].name: got \"availability\"; allowed: a name no other SLO of service ryot uses (slos[0] has it)",
      `  - slos[3].sli.errors.metric: got "ryot_requests_total"; allowed: a series of the sigmalang metric contract: ${series}`,
      `  - slos[3].sli.total.metric: got "ryot_requests_total"; allowed: a series of the sigmalang metric contract: ${series}`,
    ].join("\n"));
  });

  it("rejects a latency threshold that is not a bucket boundary, and a histogram that is not a latency", () => {
    const spec = withSpec({ name: "ttft", sli: { kind: "latency", histogram: "ryot_time_to_first_token_seconds", le: "0.2" } });
    assert.deepEqual(lines([spec]), [
      'slos[0].sli.le: got "0.2"; allowed: a bucket boundary of ryot_time_to_first_token_seconds: 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5',
    ]);
    const ratio = withSpec({ service: "sigmalang", name: "ratio", sli: { kind: "latency", histogram: "sigmalang_compression_ratio", le: "3" } });
    assert.deepEqual(lines([ratio]), [
      `slos[0].sli.histogram: got "sigmalang_compression_ratio"; allowed: a latency histogram of sigmalang: ${
        Object.values(metricContract.sigmalang.metrics).filter((m) => m.kind === "histogram" && m.unit === "seconds").map((m) => m.name).join(", ")}`,
    ]);
  });

  it("rejects selectors that cannot match the contract or would make a meaningless ratio", () => {
    const ratio = (errors: unknown[], total: unknown[] = []) =>
      withSpec({ sli: { kind: "ratio", errors: { metric: "ryot_requests_total", matchers: errors }, total: { metric: "ryot_requests_total", matchers: total } } });
    const codes = "200, 201, 400, 404, 429, 500, 502, 503, 504";
    assert.deepEqual(lines([ratio([{ label: "code", op: "=~", value: "6.." }])]), [
      `slos[0].sli.errors.matchers[0].value: got "6.."; allowed: a value with which code=~ selects at least one of ${codes}`,
    ]);
    assert.deepEqual(lines([ratio([{ label: "code", op: "=~", value: "5.." }], [{ label: "route", op: "=", value: "/v1/embeddings" }])]), [
      'slos[0].sli.errors.matchers: got [{"label":"code","op":"=~","value":"5.."}]; allowed: every matcher of sli.total too, since errors count a subset of total; add route="/v1/embeddings"',
    ]);
    assert.deepEqual(lines([ratio([{ label: "code", op: "=~", value: "5.." }], [{ label: "code", op: "=~", value: "5.." }])]), [
      'slos[0].sli.errors.matchers: got [{"label":"code","op":"=~","value":"5.."}]; allowed: matchers narrower than those of sli.total: the same series would make the error ratio always 1',
    ]);
    assert.deepEqual(lines([ratio([{ label: "job", op: "=", value: "x" }])]), [
      'slos[0].sli.errors.matchers[0].label: got "job"; allowed: a label other than job, which the rules set from the service ("ryot"); remove this matcher',
    ]);
    assert.deepEqual(lines([ratio([{ label: "status", op: "=", value: "500" }, { label: "le", op: "=", value: "0.1" }])]), [
      'slos[0].sli.errors.matchers[0].label: got "status"; allowed: a label of ryot_requests_total: route, code',
      'slos[0].sli.errors.matchers[1].label: got "le"; allowed: a label of ryot_requests_total: route, code (le exists only on ryot_requests_total_bucket)',
    ]);
    assert.deepEqual(lines([ratio([{ label: "code", op: "~", value: "5.." }, { label: "1code", op: "=", value: "5.." }])]), [
      'slos[0].sli.errors.matchers[0].op: got "~"; allowed: one of "=", "!=", "=~", "!~"',
      "slos[0].sli.errors.matchers[1].label: got \"1code\"; allowed: a Prometheus label name: a letter or '_', then letters, digits or '_'",
    ]);
  });

  it("rejects an le matcher on a latency SLI that is not one exact bucket boundary", () => {
    const latency = (matchers: unknown[]) =>
      withSpec({ name: "ttft", sli: { kind: "latency", histogram: "ryot_time_to_first_token_seconds", le: "0.1", matchers } });
    assert.deepEqual(lines([latency([{ label: "le", op: "=~", value: "0.1" }])]), [
      'slos[0].sli.matchers[0].op: got "=~"; allowed: "=": le selects one exact bucket boundary',
    ]);
    assert.deepEqual(lines([latency([{ label: "le", op: "=", value: "0.2" }])]), [
      'slos[0].sli.matchers[0].value: got "0.2"; allowed: an exact bucket boundary of ryot_time_to_first_token_seconds: 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5',
    ]);
  });

  it("rejects routing labels that override generated ones and objectives too low for the alert policy", () => {
    assert.deepEqual(lines([withSpec({ routing: { page: { severity: "critical", slo: "x" } } })]), [
      'slos[0].routing.page.slo: got "x"; allowed: no slo label: the rule generator sets it',
    ]);
    assert.deepEqual(lines([withSpec({ routing: { ticket: { severity: "low" } } })]), [
      'slos[0].routing.ticket.severity: got "low"; allowed: one of "critical", "warning", "info"',
    ]);
    assert.deepEqual(lines([withSpec({ routing: { page: { "on-call": "yes" } } })]), [
      "slos[0].routing.page.on-call: got \"on-call\"; allowed: a Prometheus label name: a letter or '_', then letters, digits or '_'",
    ]);
    assert.deepEqual(lines([withSpec({ objective: 0.95 })]), [
      "slos[0].objective: got 0.95; allowed: at least 0.989583333333 for a 30d period: this one puts the 1h/5m page at an error ratio of 0.72, above the hard-failure ratio 0.15",
    ]);
  });

  it("derives the workbook burn factors from the period", () => {
    assert.deepEqual(burnWindows.map((w) => burnFactor(w, "30d")), [14.4, 6, 3, 1]);
    assert.deepEqual(burnWindows.map((w) => burnFactor(w, "28d")), [13.44, 5.6, 2.8, 0.933333333333]);
  });
});

describe("rules: generated Prometheus rules", () => {
  const files = buildRuleFiles(input);
  const slos = validateSlos(sloSpecs);

  it("records only names in the legacy metric-name charset (Prometheus 3 would accept any UTF-8 name)", () => {
    assert.deepEqual(ruleNameProblems(files), []);
    const broken: Record<string, RuleFile> = { "x.yml": { groups: [{ name: "g", rules: [{ record: "slo error ratio", expr: "up" }, { record: "slo:ok", expr: "up" }] }] } };
    assert.deepEqual(ruleNameProblems(broken), [
      'x.yml, group g: record: got "slo error ratio"; allowed: a metric name matching ^[a-zA-Z_:][a-zA-Z0-9_:]*$',
    ]);
  });

  it("writes one file per service and the stack health file", () => {
    assert.deepEqual(Object.keys(files), [...serviceKeys.map(sloRuleFileName), stackHealthFileName]);
    assert.deepEqual(Object.keys(files).slice(0, serviceKeys.length), serviceKeys.map((s) => `slo-${s}.yml`));
  });

  it("records each SLI error ratio once per SLO and window, the 30d ratio from the 5m series", () => {
    const records = allRules(files).filter((r): r is RecordingRule => "record" in r);
    for (const slo of slos) {
      const mine = records.filter((r) => r.labels?.service === slo.service && r.labels?.slo === slo.name);
      for (const window of ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]) {
        const named = mine.filter((r) => r.record === `slo:sli_error:ratio_rate${window}`);
        assert.equal(named.length, 1, `${slo.service}/${slo.name} ${window}`);
        assert.match(named[0].expr, new RegExp(`\\[${window}\\]`));
      }
      const period = mine.find((r) => r.record === "slo:sli_error:ratio_rate30d");
      assert.equal(period?.expr, `avg_over_time(slo:sli_error:ratio_rate5m{service="${slo.service}",slo="${slo.name}"}[30d])`);
      assert.equal(mine.find((r) => r.record === "slo:error_budget_remaining:ratio")?.expr,
        `1 - (slo:sli_error:ratio_rate30d{service="${slo.service}",slo="${slo.name}"} / ${Number((1 - slo.objective).toPrecision(12))})`);
    }
  });

  it("computes latency SLIs from the threshold bucket and ratio SLIs from the error selector", () => {
    const ratio5m = (service: string, slo: string): string | undefined => allRules(files)
      .find((r): r is RecordingRule => "record" in r && r.record === "slo:sli_error:ratio_rate5m" && r.labels?.service === service && r.labels?.slo === slo)?.expr;
    assert.equal(ratio5m("ryot", "time-to-first-token"),
      '1 - (sum(rate(ryot_time_to_first_token_seconds_bucket{job="ryot",le="0.1"}[5m])) / (sum(rate(ryot_time_to_first_token_seconds_count{job="ryot"}[5m])) > 0))');
    assert.equal(ratio5m("sigmalang", "compression-ratio"),
      '(sum(rate(sigmalang_compression_ratio_bucket{job="sigmalang",le=~"3(\\\\.0)?"}[5m])) or vector(0)) / (sum(rate(sigmalang_compression_ratio_count{job="sigmalang"}[5m])) > 0)');
    assert.equal(ratio5m("sigmavault", "write-latency"),
      '1 - (sum(rate(sigmavault_operation_duration_seconds_bucket{job="sigmavault",operation="write",le="0.01"}[5m])) / (sum(rate(sigmavault_operation_duration_seconds_count{job="sigmavault",operation="write"}[5m])) > 0))');
  });

  it("pages on 1h/5m at 14.4x and 6h/30m at 6x (still burning over 5m) behind the traffic guard, tickets on 1d/2h at 3x and 3d/6h at 1x without it, all behind the window-fill guard", () => {
    const alerts = allRules(files).filter(isAlertingRule);
    const burn = alerts.filter((a) => a.labels.service === "ryot" && a.labels.slo === "availability" && a.labels.long_window);
    assert.deepEqual(burn.map((a) => [a.alert, a.labels.severity, a.labels.long_window, a.labels.short_window, a.keep_firing_for]), [
      ["SLOFastBurn", "critical", "1h", "5m", "4m"], ["SLOFastBurn", "critical", "6h", "30m", "4m"],
      ["SLOSlowBurn", "warning", "1d", "2h", undefined], ["SLOSlowBurn", "warning", "3d", "6h", undefined],
    ]);
    const sel = '{service="ryot",slo="availability"}';
    assert.equal(burn[0].expr, [
      `slo:sli_error:ratio_rate1h${sel} > (14.4 * 0.001)`,
      `slo:sli_error:ratio_rate5m${sel} > (14.4 * 0.001)`,
      `slo:sli_events:rate1h${sel} > 1`,
      `slo:sli_window_fill:ratio1h${sel} >= 0.75`,
    ].join("\nand\n"));
    assert.equal(burn[1].expr, [
      `slo:sli_error:ratio_rate6h${sel} > (6 * 0.001)`,
      `slo:sli_error:ratio_rate30m${sel} > (6 * 0.001)`,
      `slo:sli_error:ratio_rate5m${sel} > (6 * 0.001)`,
      `slo:sli_events:rate6h${sel} > 1`,
      `slo:sli_window_fill:ratio6h${sel} >= 0.75`,
    ].join("\nand\n"));
    assert.equal(burn[2].expr, [
      `slo:sli_error:ratio_rate1d${sel} > (3 * 0.001)`, `slo:sli_error:ratio_rate2h${sel} > (3 * 0.001)`, `slo:sli_window_fill:ratio1d${sel} >= 0.75`,
    ].join("\nand\n"));
    assert.match(burn[3].expr, /ratio_rate3d\{[^}]*\} > \(1 \* 0\.001\)\nand\n[^\n]*ratio_rate6h\{[^}]*\} > \(1 \* 0\.001\)\nand\n[^\n]*window_fill:ratio3d\{[^}]*\} >= 0\.75$/);
    const hard = alerts.find((a) => a.alert === "SLOHardFailure" && a.labels.service === "sigmavault" && a.labels.slo === "read-latency");
    assert.equal(hard?.expr, [
      `slo:sli_error:ratio_rate5m{service="sigmavault",slo="read-latency"} > ${hardFailureRatio}`,
      'slo:sli_events:rate1h{service="sigmavault",slo="read-latency"} > 5',
      'slo:sli_window_fill:ratio5m{service="sigmavault",slo="read-latency"} >= 0.75',
    ].join("\nand\n"));
    assert.equal(hard?.keep_firing_for, "4m");
  });

  it("records how much of each alert window the SLI's data fills, from the 5m error ratio in sixtieths of the window", () => {
    const fills = allRules(files).filter((r): r is RecordingRule => "record" in r && r.record.startsWith("slo:sli_window_fill:") && r.labels?.slo === "availability" && r.labels.service === "ryot");
    assert.deepEqual(Object.fromEntries(fills.map((r) => [r.record, r.expr])), Object.fromEntries(
      [["5m", "5s"], ["1h", "1m"], ["6h", "6m"], ["1d", "24m"], ["3d", "1h12m"]].map(([window, step]) => [
        `slo:sli_window_fill:ratio${window}`, `count_over_time(slo:sli_error:ratio_rate5m{service="ryot",slo="availability"}[${window}:${step}]) / 60`,
      ]),
    ));
  });

  it("alerts on every SLI series that must exist, including a pinned bucket", () => {
    const absent = allRules(files).filter(isAlertingRule).filter((a) => a.alert === "SLIMetricAbsent");
    for (const slo of slos) {
      const exprs = absent.filter((a) => a.labels.service === slo.service && a.labels.slo === slo.name).map((a) => a.expr);
      assert.deepEqual(exprs, presenceSelectors(slo).map((s) => `absent(${renderSelector(s.metric, s.matchers)})`));
      for (const selector of presenceSelectors(slo)) assert.ok(resolveSeries(slo.service, selector.metric), selector.metric);
    }
    const compression = absent.filter((a) => a.labels.slo === "compression-ratio").map((a) => a.expr);
    assert.deepEqual(compression, [
      'absent(sigmalang_compression_ratio_count{job="sigmalang"})',
      'absent(sigmalang_compression_ratio_bucket{job="sigmalang",le=~"3(\\\\.0)?"})',
    ]);
  });

  it("matches whole-number bucket boundaries in both the scraped and Prometheus 3's stored form", () => {
    const whole = leMatcher("3");
    assert.deepEqual(["3", "3.0", "30", "3.5", "13"].map((v) => matcherAccepts(whole, v)), [true, true, false, false, false]);
    assert.deepEqual(leMatcher("0.1"), { label: "le", op: "=", value: "0.1" });
  });

  it("gives every alert a severity, service, summary, description and runbook URL; SLO alerts also slo and team", () => {
    const alerts = allRules(files).filter(isAlertingRule);
    assert.ok(alerts.length > 80);
    for (const a of alerts) {
      assert.match(a.labels.severity, /^(critical|warning|info|none)$/, a.alert);
      assert.ok(a.labels.service, a.alert);
      assert.match(a.annotations.summary, /^\[prod\/eks-prod\] \S/, a.alert);
      assert.ok(a.annotations.description.length > 20, a.alert);
      const section = a.labels.slo ? `#${a.labels.service}-${a.labels.slo}` : a.alert === "ComponentDown" ? `#${a.labels.component}` : "";
      assert.equal(a.annotations.runbook_url, `${runbookBaseUrlDefault}/${a.alert}.md${section}`, a.alert);
      if (a.alert.startsWith("SLO") || a.alert.startsWith("SLI")) {
        assert.ok(a.labels.slo && a.labels.team, a.alert);
      }
      assert.doesNotMatch(a.expr, /replica/, `${a.alert} must not depend on the HA replica label`);
    }
  });

  it("links every alert to its runbook under the stack's runbook base URL", () => {
    const base = "https://git.example/org/repo/blob/main/docs/runbooks";
    const alerts = allRules(buildRuleFiles({ ...input, runbookBaseUrl: base })).filter(isAlertingRule);
    const ryotFast = alerts.find((a) => a.alert === "SLOFastBurn" && a.labels.service === "ryot" && a.labels.slo === "availability");
    assert.equal(ryotFast?.annotations.runbook_url, `${base}/SLOFastBurn.md#ryot-availability`);
    const lokiDown = alerts.find((a) => a.alert === "ComponentDown" && a.labels.component === "loki");
    assert.equal(lokiDown?.annotations.runbook_url, `${base}/ComponentDown.md#loki`);
    assert.equal(alerts.find((a) => a.alert === "Watchdog")?.annotations.runbook_url, `${base}/Watchdog.md`);
    assert.ok(alerts.every((a) => a.annotations.runbook_url.startsWith(`${base}/${a.alert}.md`)));
  });

  it("has a component-down alert per stack component and per service, and sizes the Alertmanager cluster check", () => {
    const alerts = allRules(files).filter(isAlertingRule);
    const down = alerts.filter((a) => a.alert === "ComponentDown").map((a) => a.labels.component).sort();
    assert.deepEqual(down, [...Object.values(componentJobs), ...serviceKeys].sort());
    assert.equal(alerts.find((a) => a.alert === "AlertmanagerClusterSizeBelowReplicas")?.expr, 'alertmanager_cluster_members{job="alertmanager"} < 3');
    const single = allRules(buildRuleFiles({ ...input, replicas: { prometheus: 1, alertmanager: 1 } })).filter(isAlertingRule);
    assert.equal(single.find((a) => a.alert === "AlertmanagerClusterSizeBelowReplicas"), undefined);
    const scoped = allRules(buildRuleFiles({ ...input, namespaces: ["monitoring", "logging"] })).filter(isAlertingRule);
    assert.match(scoped.find((a) => a.alert === "PersistentVolumeFillingUp")?.expr ?? "", /namespace=~"monitoring\|logging"/);
  });

  it("warns when no kubelet is scraped, and leaves the volume alerts out when the kubelet job is disabled", () => {
    const alerts = allRules(files).filter(isAlertingRule);
    const blind = alerts.find((a) => a.alert === "VolumeMetricsMissing");
    assert.equal(blind?.expr, 'absent(up{job="kubelet"} == 1)');
    assert.equal(blind?.labels.severity, "warning");
    const without = allRules(buildRuleFiles({ ...input, kubeletScraped: false })).filter(isAlertingRule).map((a) => a.alert);
    assert.ok(!without.includes("PersistentVolumeFillingUp") && !without.includes("VolumeMetricsMissing"), without.join(", "));
    assert.ok(without.includes("ComponentDown"));
  });

  it("rejects an invalid environment or replica count", () => {
    assert.throws(() => buildRuleFiles({ ...input, environment: "Prod" }), {
      message: 'rule files input is invalid (1 problem):\n  - environment: got "Prod"; allowed: a name of lower-case letters, digits and dashes',
    });
    assert.throws(() => buildRuleFiles({ ...input, replicas: { prometheus: 2, alertmanager: 0 } }), {
      message: "rule files input is invalid (1 problem):\n  - replicas.alertmanager: got 0; allowed: an integer >= 1",
    });
  });

  it("documents every SLO with its derived thresholds", () => {
    const doc = sloDocument() as { slos: { id: string; errorBudget: number; alerts: { burnFactor: number; errorRatioThreshold: number; totalOutageSecondsToFire: number }[] }[] };
    const ryot = doc.slos.find((s) => s.id === "ryot/availability");
    assert.equal(ryot?.errorBudget, 0.001);
    assert.deepEqual(ryot?.alerts.map((a) => [a.burnFactor, a.errorRatioThreshold, a.totalOutageSecondsToFire]), [
      [14.4, 0.0144, 52], [6, 0.006, 130], [3, 0.003, 259], [1, 0.001, 259],
    ]);
    const vault = doc.slos.find((s) => s.id === "sigmavault/read-latency");
    assert.equal(vault?.alerts[0].totalOutageSecondsToFire, 518);
  });
});
