/**
 * Measures the detection report: every SLO's alert-quality scenarios run through promtool at the deployed Prometheus
 * release, with each scenario's first page, clear time and tickets, and whether it meets what the policy promises.
 * Running promtool is the caller's (the promtool spec and `npm run detection` pass the toolchain's).
 */
import { versions } from "../../../config/versions";
import { detectionFingerprint, type DetectionReport, type ScenarioOutcome } from "../../../rules/detection";
import { formatDuration } from "../../../rules/promql";
import type { Scenario, Timing } from "../../../rules/scenarios";
import type { Slo } from "../../../rules/slo";
import { pageClearsWithin } from "../../../rules/slo-rules";
import { toGoYaml } from "../../../rules/yaml";
import type { ToolResult } from "../prom-tools";
import { readTestFileRuns, sloTestFiles, testRuleFileName, type ScenarioRun } from "./promtool-tests";

/** Runs `promtool test rules` on a test document with the rule files next to it. */
export type PromtoolTestRunner = (testDocument: string, ruleFiles: Record<string, string>) => Promise<ToolResult>;

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
