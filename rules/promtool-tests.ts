/**
 * `promtool test rules` files for the alert-quality scenarios of one SLO, and the reading of promtool's report:
 * `alert_rule_test` expectations from the burn-rate arithmetic at check times, and "expect nothing" probes at every
 * other step, whose failures tell which alerts fired when (detection and reset times).
 */
import { buildRuleFiles, sloRuleFileName } from "./index";
import {
  burnVerdict, formatDuration, hardFailureVerdict, inputSeries, parseDuration, scenarios,
  type InputSeries, type Scenario, type ScenarioName, type Verdict,
} from "./scenarios";
import { burnWindows, type BurnWindow, type Slo } from "./slo";
import { sloAlertNames } from "./slo-rules";
import { isAlertingRule, type AlertingRule, type RuleFile } from "./types";

type Labels = Record<string, string>;

/** The rule file holding exactly one SLO's groups and its service's health group. */
export function ruleFileFor(slo: Slo): RuleFile {
  const file = buildRuleFiles({ environment: "test", cluster: "promtool", replicas: { prometheus: 2, alertmanager: 3 } })[sloRuleFileName(slo.service)];
  const keep = (name: string): boolean => name.startsWith(`slo-${slo.service}-${slo.name}-`) || name === `service-${slo.service}-health`;
  return { groups: file.groups.filter((g) => keep(g.name)) };
}

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

/**
 * The alerts of `alertname` the arithmetic expects at time t, or undefined when any of them is too close to its
 * threshold to assert.
 */
function expectedAt(slo: Slo, rules: AlertingRule[], scenario: Scenario, alertname: string, t: number): ExpectedAlert[] | undefined {
  if (alertname === sloAlertNames.absent || alertname === sloAlertNames.componentDown) return [];
  const verdicts = rules.filter((r) => r.alert === alertname).map((rule): [AlertingRule, Verdict] => {
    if (alertname === sloAlertNames.hardFailure) return [rule, hardFailureVerdict(slo, scenario.phases, t)];
    const w = burnWindows.find((b) => b.long === rule.labels.long_window && b.short === rule.labels.short_window) as BurnWindow;
    return [rule, burnVerdict(slo, scenario.phases, t, w)];
  });
  if (verdicts.some(([, v]) => v === "ambiguous")) return undefined;
  return verdicts.filter(([, v]) => v === true).map(([rule]) => expected(rule));
}

function probeTimes(scenario: Scenario): number[] {
  const times: number[] = [];
  for (let t = scenario.probe.from; t <= scenario.probe.to; t += scenario.probe.step) times.push(t);
  return times;
}

/**
 * One scenario as a promtool test group. At each check time, every alert the arithmetic is sure about is an
 * expectation (`asserted`); at every other probed time each alert name gets an "expect nothing" probe, so
 * promtool's failure report lists what fired there. One evaluation run answers both.
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
  const times = [...new Set([...probeTimes(scenario), ...scenario.checks])].sort((a, b) => a - b);
  for (const t of times) {
    for (const alertname of scenario.alertnames) {
      const exp = scenario.checks.includes(t) ? expectedAt(slo, rules, scenario, alertname, t) : undefined;
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

/** At each probed or checked time, the firing alerts (label sets including alertname). */
export type Timeline = Map<number, Labels[]>;

/** Detection and reset figures of one scenario. */
export interface ScenarioOutcome {
  scenario: ScenarioName;
  /** Seconds from incident start to the first page; null if nothing paged. */
  firstPage: number | null;
  /**
   * Seconds from incident end until the fast conditions (hard failure and the 1h/5m pair) stopped paging; null if
   * they never paged or still fire at the end.
   */
  fastPageReset: number | null;
  /** Seconds from incident end until no page fired at all; null if none paged or still firing at the end. */
  allPagesReset: number | null;
  /** Seconds from incident start to the first slow-burn ticket; null if none. */
  firstTicket: number | null;
  /** Every page alert seen (alertname and window pair). */
  pagedAlerts: string[];
}

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
const alertKey = (l: Labels): string => [l.alertname, l.long_window, l.short_window].filter(Boolean).join(" ");

/** Reads detection time, reset times and which alerts paged from a timeline. */
export function outcome(scenario: Scenario, line: Timeline): ScenarioOutcome {
  const times = [...line.keys()].sort((a, b) => a - b);
  const at = (t: number): Labels[] => line.get(t) ?? [];
  const firstWith = (pred: (l: Labels) => boolean): number | undefined =>
    times.find((t) => t >= scenario.incident.start && at(t).some(pred));
  const pageAt = firstWith(isPage);
  const ticketAt = firstWith(isTicket);
  const clearedAfter = (pred: (l: Labels) => boolean): number | null => {
    const last = [...times].reverse().find((t) => at(t).some(pred));
    if (last === undefined || last === times[times.length - 1]) return null;
    const next = times[times.indexOf(last) + 1];
    return Math.max(0, next - scenario.incident.end);
  };
  const fastest = burnWindows[0];
  const isFastPage = (l: Labels): boolean => isPage(l) &&
    (l.alertname === sloAlertNames.hardFailure || (l.long_window === fastest.long && l.short_window === fastest.short));
  return {
    scenario: scenario.name,
    firstPage: pageAt === undefined ? null : pageAt - scenario.incident.start,
    fastPageReset: times.some((t) => at(t).some(isFastPage)) ? clearedAfter(isFastPage) : null,
    allPagesReset: pageAt === undefined ? null : clearedAfter(isPage),
    firstTicket: ticketAt === undefined ? null : ticketAt - scenario.incident.start,
    pagedAlerts: [...new Set(times.flatMap((t) => at(t).filter(isPage).map(alertKey)))].sort(),
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

/** A promtool test file of one SLO's scenarios that share an evaluation interval. */
export interface SloTestFile {
  document: PromtoolTestFile;
  groups: ScenarioGroup[];
}

/** Name under which the test files refer to the SLO's rule file. */
export const testRuleFileName = "rules.yml";

/** The rule file of one SLO and its scenarios as promtool test files, one per evaluation interval. */
export function sloTestFiles(slo: Slo): { ruleFile: RuleFile; files: SloTestFile[] } {
  const ruleFile = ruleFileFor(slo);
  const byInterval = new Map<number, ScenarioGroup[]>();
  for (const scenario of scenarios(slo)) {
    const list = byInterval.get(scenario.evalInterval) ?? [];
    list.push(scenarioGroup(slo, scenario, ruleFile));
    byInterval.set(scenario.evalInterval, list);
  }
  return {
    ruleFile,
    files: [...byInterval].map(([interval, groups]) => ({
      groups,
      document: {
        rule_files: [testRuleFileName],
        evaluation_interval: formatDuration(interval),
        group_eval_order: ruleFile.groups.map((g) => g.name),
        tests: groups.map((g) => g.group),
      },
    })),
  };
}
