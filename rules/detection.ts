/**
 * The detection report: every SLO's alert-quality scenarios run through promtool at the deployed Prometheus release,
 * with each scenario's first page, clear time and tickets, and whether it meets what the policy promises. Running
 * promtool is the caller's (tests and `npm run detection` pass the toolchain's); the render reads the committed
 * report (`rules/detection-report.json`) and checks by fingerprint that it was measured on the rules it renders.
 */
import { createHash } from "node:crypto";
import { versions } from "../config/versions";
import { formatDuration } from "./promql";
import {
  readTestFileRuns, ruleFileFor, sloTestFiles, testRuleFileName, type ScenarioOutcome, type ScenarioRun,
} from "./promtool-tests";
import { scenarios, type Requirement, type Scenario, type ScenarioKind, type Timing } from "./scenarios";
import type { Slo } from "./slo";
import { pageClearsWithin } from "./slo-rules";
import { isAlertingRule, type RuleFile } from "./types";
import { toGoYaml } from "./yaml";

/** One scenario's line of the report. */
export interface ScenarioReport {
  name: string;
  kind: ScenarioKind;
  description: string;
  /** Seconds between evaluations and between probes: the resolution of the measured times. */
  evalInterval: number;
  probeStep: number;
  requires: Requirement;
  note?: string;
  outcome: ScenarioOutcome;
  /** Requirements the measured outcome does not meet (empty when it meets them all). */
  unmet: string[];
}

/** One SLO's scenarios. */
export interface SloReport {
  id: string;
  title: string;
  objective: number;
  scenarios: ScenarioReport[];
}

/** The whole report, as committed in `rules/detection-report.json`. */
export interface DetectionReport {
  /** The Prometheus release whose promtool measured it. */
  prometheus: string;
  timing: Timing;
  /** Fingerprint of the rules and scenarios measured (see {@link detectionFingerprint}). */
  fingerprint: string;
  slos: SloReport[];
}

/** Exit code and output of one `promtool test rules` run. */
export interface PromtoolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `promtool test rules` on a test document with the rule files next to it. */
export type PromtoolTestRunner = (testDocument: string, ruleFiles: Record<string, string>) => Promise<PromtoolResult>;

const show = formatDuration;

/** What a measured outcome misses of what its scenario requires, in words. */
export function unmetRequirements(scenario: Scenario, o: ScenarioOutcome): string[] {
  const problems: string[] = [];
  const { requires } = scenario;
  if (requires.page === "none" && o.firstPage !== null) problems.push(`paged ${show(o.firstPage)} after it began (${o.pagedBy.join(", ")})`);
  if (requires.page === "prompt") {
    // The first failed scrape comes one scrape interval after the incident begins; the page may take one evaluation.
    const latest = scenario.sampleInterval + scenario.evalInterval;
    if (o.firstPage === null) problems.push("never paged");
    else if (o.firstPage > latest) problems.push(`first paged ${show(o.firstPage)} after it began, more than one evaluation after the first failed scrape (${show(latest)})`);
    if (o.stillPaging) problems.push("still paging at the end");
    else if (o.pagesClear !== null && o.pagesClear > pageClearsWithin) problems.push(`pages cleared ${show(o.pagesClear)} after recovery, later than ${show(pageClearsWithin)}`);
  }
  if (requires.steady && o.flaps > 0) problems.push(`a page stopped and fired again ${o.flaps} time(s)`);
  if (requires.steady && o.unpagedDuringIncident > 0) problems.push(`no page fired for ${show(o.unpagedDuringIncident)} of the incident after the first`);
  if (requires.ticket === "open" && o.firstTicket === null) problems.push("opened no ticket");
  if (requires.ticket === "none" && o.firstTicket !== null) problems.push(`opened a ticket ${show(o.firstTicket)} after it began (${o.ticketedBy.join(", ")})`);
  return problems;
}

/**
 * Fingerprint of what a report measures: every SLO's rule file and scenarios at `timing`, and the Prometheus release.
 * A report whose fingerprint differs was measured on other rules, scenarios or intervals. Annotations are left out:
 * they are text for people (summary, runbook link) and move no alert's timing.
 */
export function detectionFingerprint(slos: readonly Slo[], timing: Timing): string {
  const hash = createHash("sha256");
  hash.update(`${versions.prometheus.tag}\n${JSON.stringify(timing)}\n`);
  for (const slo of slos) hash.update(`${toGoYaml(withoutAnnotations(ruleFileFor(slo)))}\n${JSON.stringify(scenarios(slo, timing))}\n`);
  return hash.digest("hex").slice(0, 16);
}

function withoutAnnotations(file: RuleFile): RuleFile {
  return { groups: file.groups.map((g) => ({ ...g, rules: g.rules.map((r) => (isAlertingRule(r) ? { ...r, annotations: {} } : r)) })) };
}

/** The measured runs of one SLO, with their promtool expectations (violations: where promtool and arithmetic differ). */
export interface SloRuns {
  slo: Slo;
  runs: ScenarioRun[];
}

/**
 * Runs every scenario of every SLO through `run`, `workers` promtool processes at a time, and builds the report.
 * Rejects when promtool fails for a reason other than a failed expectation.
 */
export async function measureDetection(
  slos: readonly Slo[], timing: Timing, run: PromtoolTestRunner, workers = 2,
): Promise<{ report: DetectionReport; runs: SloRuns[] }> {
  const queue: (() => Promise<void>)[] = [];
  const perSlo = slos.map((slo) => {
    const { ruleFile, files } = sloTestFiles(slo, timing);
    const rules = { [testRuleFileName]: toGoYaml(ruleFile) };
    const runs = files.map((file) => new Promise<ScenarioRun>((resolve, reject) => {
      queue.push(async () => {
        try {
          const result = await run(toGoYaml(file.document), rules);
          resolve(readTestFileRuns(file.groups, result.code, result.stdout + result.stderr)[0]);
        } catch (error) {
          reject(error);
        }
      });
    }));
    return Promise.all(runs).then((r): SloRuns => ({ slo, runs: r }));
  });
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
  const runs = await Promise.all(perSlo);
  return {
    runs,
    report: {
      prometheus: versions.prometheus.tag,
      timing,
      fingerprint: detectionFingerprint(slos, timing),
      slos: runs.map(({ slo, runs: r }) => ({
        id: `${slo.service}/${slo.name}`,
        title: slo.title,
        objective: slo.objective,
        scenarios: r.map(({ scenario, outcome }) => ({
          name: scenario.name,
          kind: scenario.kind,
          description: scenario.description,
          evalInterval: scenario.evalInterval,
          probeStep: Math.min(...scenario.probes.map((p) => p.step)),
          requires: scenario.requires,
          ...(scenario.note ? { note: scenario.note } : {}),
          outcome,
          unmet: unmetRequirements(scenario, outcome),
        })),
      })),
    },
  };
}
