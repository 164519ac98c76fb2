/**
 * The detection report as Markdown: a summary over every SLO (what the README shows for prod) and one table per SLO,
 * written by the render as `out/<stack>/detection.md`.
 */
import type { DetectionReport, ScenarioReport, SloReport } from "./detection";
import { formatDuration } from "./promql";
import type { Timing } from "./scenarios";
import { pageClearsWithin, sloAlertNames } from "./slo-rules";

const time = (seconds: number | null): string => (seconds === null ? "none" : formatDuration(seconds));

function clears(s: ScenarioReport): string {
  if (s.outcome.stillPaging) return "still paging";
  return s.outcome.firstPage === null && s.outcome.pagesClear === null ? "-" : time(s.outcome.pagesClear);
}

const columns: readonly [string, (s: ScenarioReport) => string][] = [
  ["first page", (s) => time(s.outcome.firstPage)],
  ["pages clear", clears],
  ["first ticket", (s) => time(s.outcome.firstTicket)],
  ["paged by", (s) => s.outcome.pagedBy.join(", ") || "-"],
  ["tickets", (s) => s.outcome.ticketedBy.join(", ") || "-"],
];

/** What the policy requires of a scenario, in words. */
export function requirementText(s: ScenarioReport, timing: Timing): string {
  const parts: string[] = [];
  if (s.requires.page === "prompt") {
    parts.push(`page by ${formatDuration(timing.scrapeInterval + timing.evaluationInterval)}`, `clear by ${formatDuration(pageClearsWithin)}`);
  }
  if (s.requires.page === "none") parts.push("no page");
  if (s.requires.steady && s.requires.page === "prompt") parts.push("no flapping");
  if (s.requires.ticket === "open") parts.push("a ticket");
  if (s.requires.ticket === "none") parts.push("no ticket");
  return parts.join(", ") || "-";
}

const verdict = (s: ScenarioReport): string => (s.unmet.length === 0 ? "yes" : `**no**: ${s.unmet.join("; ")}`);

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** One cell over every SLO: the value when all agree, else each value with the SLOs (or how many) that show it. */
function across(values: readonly { id: string; value: string }[]): string {
  const groups = new Map<string, string[]>();
  for (const { id, value } of values) groups.set(value, [...(groups.get(value) ?? []), id]);
  if (groups.size === 1) return values[0].value;
  return [...groups].map(([value, ids]) => `${value} (${ids.length <= 3 ? ids.join(", ") : `${ids.length} SLOs`})`).join("; ");
}

/** The summary table: one row per scenario, each cell over every SLO. */
export function detectionSummary(report: DetectionReport): string {
  const first = report.slos[0];
  const rows = first.scenarios.map((scenario) => {
    const all = report.slos.map((slo) => ({ id: slo.id, s: slo.scenarios.find((s) => s.name === scenario.name) as ScenarioReport }));
    const met = all.filter(({ s }) => s.unmet.length === 0).length;
    return [
      scenario.name, scenario.description, ...columns.map(([, cell]) => across(all.map(({ id, s }) => ({ id, value: cell(s) })))),
      requirementText(scenario, report.timing), met === all.length ? `yes, all ${all.length}` : `**no**: ${all.length - met} of ${all.length}`,
    ];
  });
  const notes = first.scenarios.filter((s) => s.note).map((s) => `${s.name}: ${s.note}.`);
  return [table(["scenario", "what happens", ...columns.map(([h]) => h), "required", "met"], rows), ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

function sloSection(slo: SloReport, timing: Timing): string {
  const rows = slo.scenarios.map((s) => [s.name, ...columns.map(([, cell]) => cell(s)), requirementText(s, timing), verdict(s)]);
  return [`### ${slo.title} (${slo.id}, objective ${slo.objective})`, "", table(["scenario", ...columns.map(([h]) => h), "required", "met"], rows)].join("\n");
}

/** Where the rendered stack stands against the committed report. */
export interface DetectionContext {
  stack: string;
  /** The stack's scrape and evaluation intervals. */
  timing: Timing;
  /** Fingerprint of the rules and scenarios the stack renders, at its intervals. */
  fingerprint: string;
}

/** `out/<stack>/detection.md`. */
export function detectionMarkdown(report: DetectionReport, context: DetectionContext): string {
  const { timing } = report;
  const stale = context.fingerprint !== report.fingerprint;
  const slow = report.slos[0]?.scenarios.filter((s) => s.kind === "slow-burn") ?? [];
  return [
    `# Alert detection: ${context.stack}`,
    "",
    ...(stale
      ? [
        `> **Out of date.** This report was measured on other rules, scenarios or intervals than stack ${context.stack} renders` +
          ` (it scrapes every ${formatDuration(context.timing.scrapeInterval)} and evaluates every ${formatDuration(context.timing.evaluationInterval)}).` +
          " Run `npm run detection` to measure again.",
        "",
      ]
      : []),
    `Measured with promtool ${report.prometheus} (the deployed Prometheus) on the generated alert-quality scenarios of every SLO,` +
      ` with ${formatDuration(timing.scrapeInterval)} scrapes and ${formatDuration(timing.evaluationInterval)} rule evaluations, probing every alert at every evaluation` +
      (slow.length > 0 ? ` (the slow burns, which run for days, evaluate and are probed every ${formatDuration(slow[0].probeStep)})` : "") +
      `. First page and first ticket count from the start of the incident, pages clear from full recovery. A page is` +
      ` ${sloAlertNames.fastBurn} or ${sloAlertNames.hardFailure} (critical), a ticket ${sloAlertNames.slowBurn}.` +
      " Fingerprint `" + report.fingerprint + "`.",
    "",
    "## Every SLO",
    "",
    detectionSummary(report),
    "",
    "## Per SLO",
    "",
    ...report.slos.flatMap((slo) => [sloSection(slo, timing), ""]),
  ].join("\n");
}
