/**
 * `promtool test rules` files for the alert-quality scenarios of one SLO, and the reading of promtool's report. Every
 * probed time gets one `alert_rule_test` per alert name: the alerts the burn-rate arithmetic is sure of, or "expect
 * nothing" where it is not, so promtool's failure report tells which alerts fired when (detection and reset times)
 * and where it disagrees with the arithmetic.
 */
import { ruleFileFor, type ScenarioOutcome } from "../../../rules/detection";
import { formatDuration, parseDuration } from "../../../rules/promql";
import { scenarios, type Scenario, type Timing } from "../../../rules/scenarios";
import { burnWindows, type BurnWindow, type Slo } from "../../../rules/slo";
import { sloAlertNames } from "../../../rules/slo-rules";
import { isAlertingRule, type AlertingRule, type RuleFile } from "../../../rules/types";
import { inputSeries, type InputSeries } from "./series";
import { burnVerdict, hardFailureVerdict, type Verdict } from "./verdicts";

type Labels = Record<string, string>;

function alertRules(file: RuleFile): AlertingRule[] {
  return file.groups.flatMap((g) => g.rules.filter(isAlertingRule));
}

/** One expected alert of an `alert_rule_test` (alertname is implied by the test). */
export interface ExpectedAlert {
  exp_labels: Labels;
  exp_annotations: Labels;
}

/** `alert_rule_test`: the alerts of one name that must be firing at one evaluation time, exactly. */
export interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpectedAlert[];
}

/** One test group: its own input series, evaluated from time zero. */
export interface TestGroup {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: AlertRuleTest[];
}

/** A `promtool test rules` file. */
export interface PromtoolTestFile {
  rule_files: string[];
  evaluation_interval: string;
  /** promtool otherwise evaluates groups in map order, so an alert may read its recording one step stale. */
  group_eval_order: string[];
  tests: TestGroup[];
}

const expected = (rule: AlertingRule): ExpectedAlert => ({ exp_labels: { ...rule.labels }, exp_annotations: { ...rule.annotations } });

/** Whether a rule's condition holds at t, by the arithmetic. */
function conditionVerdict(slo: Slo, scenario: Scenario, rule: AlertingRule, t: number): Verdict {
  if (rule.alert === sloAlertNames.hardFailure) return hardFailureVerdict(slo, scenario, t);
  const w = burnWindows.find((b) => b.long === rule.labels.long_window && b.short === rule.labels.short_window) as BurnWindow;
  return burnVerdict(slo, scenario, t, w);
}

/** Whether a rule fires at t: its condition held at some evaluation in [t - keep_firing_for, t]. */
function firingVerdict(slo: Slo, scenario: Scenario, rule: AlertingRule, t: number): Verdict {
  const keep = rule.keep_firing_for ? parseDuration(rule.keep_firing_for) : 0;
  const verdicts: Verdict[] = [];
  for (let s = t; s >= Math.max(0, t - keep); s -= scenario.evalInterval) verdicts.push(conditionVerdict(slo, scenario, rule, s));
  if (verdicts.includes(true)) return true;
  return verdicts.includes("ambiguous") ? "ambiguous" : false;
}

/**
 * The alerts of `alertname` the arithmetic expects at time t, or undefined when any of them is too close to its
 * threshold to assert.
 */
function expectedAt(slo: Slo, rules: AlertingRule[], scenario: Scenario, alertname: string, t: number): ExpectedAlert[] | undefined {
  const mine = rules.filter((r) => r.alert === alertname);
  if (mine.length === 0) throw new Error(`${scenario.name} probes ${alertname}, which the rule file does not hold`);
  const verdicts = mine.map((rule): [AlertingRule, Verdict] => [rule, firingVerdict(slo, scenario, rule, t)]);
  if (verdicts.some(([, v]) => v === "ambiguous")) return undefined;
  return verdicts.filter(([, v]) => v === true).map(([rule]) => expected(rule));
}

/** Every probed time of a scenario, in order; each is an evaluation time. */
export function probeTimes(scenario: Scenario): number[] {
  const times = new Set<number>();
  for (const span of scenario.probes) {
    for (let t = span.from; t <= span.to; t += span.step) {
      if (t % scenario.evalInterval !== 0) throw new Error(`${scenario.name}: probe at ${t}s is not an evaluation time (every ${scenario.evalInterval}s)`);
      times.add(t);
    }
  }
  return [...times].sort((a, b) => a - b);
}

/**
 * One scenario as a promtool test group. At every probed time each alert name gets one `alert_rule_test`: the alerts
 * the arithmetic is sure of (`asserted`), or none where it is not, so the failure report lists what fired there.
 * One evaluation run answers both.
 */
export interface ScenarioGroup {
  scenario: Scenario;
  group: TestGroup;
  asserted: AlertRuleTest[];
}

/** Builds the test group of one scenario. */
export function scenarioGroup(slo: Slo, scenario: Scenario, file: RuleFile = ruleFileFor(slo)): ScenarioGroup {
  const rules = alertRules(file);
  const tests: AlertRuleTest[] = [];
  const asserted: AlertRuleTest[] = [];
  for (const t of probeTimes(scenario)) {
    for (const alertname of scenario.alertnames) {
      const exp = expectedAt(slo, rules, scenario, alertname, t);
      const test = { eval_time: formatDuration(t), alertname, exp_alerts: exp ?? [] };
      tests.push(test);
      if (exp) asserted.push(test);
    }
  }
  return {
    scenario,
    asserted,
    group: {
      name: `${slo.service}/${slo.name} ${scenario.name}`,
      interval: formatDuration(scenario.sampleInterval),
      input_series: inputSeries(slo, scenario.phases, scenario.sampleInterval),
      alert_rule_test: tests,
    },
  };
}

/** One failed `alert_rule_test` as promtool prints it. */
export interface PromtoolFailure {
  group: string;
  alertname: string;
  time: number;
  got: Labels[];
}

/**
 * Reads promtool's failure report: group name, alert name, eval time and the label sets it got. Throws on a failure
 * block it cannot read, so a changed report format fails loudly instead of reading as "nothing fired".
 */
export function parsePromtoolFailures(output: string): PromtoolFailure[] {
  const failures: PromtoolFailure[] = [];
  for (const block of output.split(/^\s*name: /m).slice(1)) {
    const end = block.indexOf(",\n");
    const parts = block.split(/^\s*alertname: /m).slice(1);
    if (end < 0 || parts.length === 0) throw new Error(`unreadable promtool failure block (no group name or alertname):\n${block}`);
    const group = block.slice(0, end).trim();
    for (const part of parts) {
      const head = /^(\S+), time: (\S+),/.exec(part);
      if (!head) throw new Error(`unreadable promtool failure of group "${group}" (expected "<alertname>, time: <duration>,"):\n${part}`);
      const got = [...part.slice(part.indexOf("got:")).matchAll(/Labels:\{(.*)\}/g)].map(([, body]) =>
        Object.fromEntries([...body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v])));
      failures.push({ group, alertname: head[1], time: parseDuration(head[2]), got });
    }
  }
  return failures;
}

/** At each probed time, the firing alerts (label sets including alertname). */
export type Timeline = Map<number, Labels[]>;

/** The result of running one scenario through promtool. */
export interface ScenarioRun {
  scenario: Scenario;
  /** Expectations promtool disagreed with. */
  violations: PromtoolFailure[];
  asserted: number;
  timeline: Timeline;
  outcome: ScenarioOutcome;
}

const isPage = (labels: Labels): boolean => labels.severity === "critical";
const isTicket = (labels: Labels): boolean => labels.alertname === sloAlertNames.slowBurn;
const alertKey = (l: Labels): string => [l.alertname, l.long_window && `${l.long_window}/${l.short_window}`].filter(Boolean).join(" ");

/** Reads detection time, reset time, flapping and which alerts fired from a timeline. */
export function outcome(scenario: Scenario, line: Timeline): ScenarioOutcome {
  const times = [...line.keys()].sort((a, b) => a - b);
  const at = (t: number): Labels[] => line.get(t) ?? [];
  const firstWith = (pred: (l: Labels) => boolean): number | undefined =>
    times.find((t) => t >= scenario.incident.start && at(t).some(pred));
  const pageAt = firstWith(isPage);
  const ticketAt = firstWith(isTicket);
  const lastPage = [...times].reverse().find((t) => at(t).some(isPage));
  const stillPaging = lastPage !== undefined && lastPage === times[times.length - 1];
  const keys = (pred: (l: Labels) => boolean): string[] => [...new Set(times.flatMap((t) => at(t).filter(pred).map(alertKey)))].sort();
  let flaps = 0;
  for (const key of keys(isPage)) {
    const firing = times.map((t) => at(t).some((l) => isPage(l) && alertKey(l) === key));
    flaps += firing.filter((on, i) => on && i > 0 && !firing[i - 1] && firing.slice(0, i).includes(true)).length;
  }
  let unpaged = 0;
  times.forEach((t, i) => {
    if (pageAt !== undefined && t > pageAt && t <= scenario.incident.end && !at(t).some(isPage)) unpaged += t - times[i - 1];
  });
  return {
    firstPage: pageAt === undefined ? null : pageAt - scenario.incident.start,
    pagesClear: lastPage === undefined || stillPaging ? null : Math.max(0, times[times.indexOf(lastPage) + 1] - scenario.incident.end),
    stillPaging,
    firstTicket: ticketAt === undefined ? null : ticketAt - scenario.incident.start,
    flaps,
    unpagedDuringIncident: unpaged,
    pagedBy: keys(isPage),
    ticketedBy: keys(isTicket),
  };
}

/** Reads one scenario's result from promtool's combined output for its test file. */
export function readScenarioRun(built: ScenarioGroup, failures: readonly PromtoolFailure[]): ScenarioRun {
  const mine = failures.filter((f) => f.group === built.group.name);
  const failed = new Map(mine.map((f) => [`${f.alertname}@${f.time}`, f]));
  const line: Timeline = new Map();
  for (const test of built.group.alert_rule_test) {
    const t = parseDuration(test.eval_time);
    const failure = failed.get(`${test.alertname}@${t}`);
    const firing = failure ? failure.got : test.exp_alerts.map((e) => ({ alertname: test.alertname, ...e.exp_labels }));
    line.set(t, [...(line.get(t) ?? []), ...firing]);
  }
  const asserted = new Set(built.asserted.map((a) => `${a.alertname}@${parseDuration(a.eval_time)}`));
  return {
    scenario: built.scenario,
    violations: mine.filter((f) => asserted.has(`${f.alertname}@${f.time}`)),
    asserted: built.asserted.length,
    timeline: line,
    outcome: outcome(built.scenario, line),
  };
}

/**
 * Reads the scenario runs of one promtool test file from its exit code and combined output. Throws when the report
 * cannot back them: a non-zero exit whose report names no failed alert_rule_test (promtool failed for another
 * reason, such as an unparseable input series, and every expectation would otherwise read as met), a zero exit with
 * failures, or a failure of a group the file does not hold.
 */
export function readTestFileRuns(groups: readonly ScenarioGroup[], code: number, output: string): ScenarioRun[] {
  const failures = parsePromtoolFailures(output);
  if (code !== 0 && failures.length === 0) {
    throw new Error(`promtool exited with code ${code} but reported no failed alert_rule_test:\n${output}`);
  }
  if (code === 0 && failures.length > 0) {
    throw new Error(`promtool exited with code 0 but reported ${failures.length} failed alert_rule_test(s):\n${output}`);
  }
  const known = new Set(groups.map((g) => g.group.name));
  const stray = [...new Set(failures.map((f) => f.group))].filter((g) => !known.has(g));
  if (stray.length > 0) {
    throw new Error(`promtool reported failures of groups ${stray.map((g) => JSON.stringify(g)).join(", ")}; the file holds ${[...known].map((g) => JSON.stringify(g)).join(", ")}`);
  }
  return groups.map((g) => readScenarioRun(g, failures));
}

/** Name under which the test files refer to the SLO's rule file. */
export const testRuleFileName = "rules.yml";

/** The promtool test file of one scenario group. */
export function testFile(ruleFile: RuleFile, groups: readonly ScenarioGroup[]): PromtoolTestFile {
  const intervals = new Set(groups.map((g) => g.scenario.evalInterval));
  if (intervals.size !== 1) throw new Error(`one test file evaluates at one interval; these scenarios need ${[...intervals].join(", ")}s`);
  return {
    rule_files: [testRuleFileName],
    evaluation_interval: formatDuration([...intervals][0]),
    group_eval_order: ruleFile.groups.map((g) => g.name),
    tests: groups.map((g) => g.group),
  };
}

/** A promtool test file of one scenario of an SLO, with the group it holds. */
export interface ScenarioTestFile {
  document: PromtoolTestFile;
  groups: ScenarioGroup[];
}

/**
 * The rule file of one SLO and one promtool test file per scenario, so scenarios run in parallel and a failure names
 * its scenario.
 */
export function sloTestFiles(slo: Slo, timing: Timing): { ruleFile: RuleFile; files: ScenarioTestFile[] } {
  const ruleFile = ruleFileFor(slo);
  const files = scenarios(slo, timing).map((scenario) => {
    const groups = [scenarioGroup(slo, scenario, ruleFile)];
    return { groups, document: testFile(ruleFile, groups) };
  });
  return { ruleFile, files };
}
