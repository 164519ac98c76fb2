/**
 * The detection report's shape, as committed in `rules/detection-report.json` (measured by `npm run detection`, which
 * runs every SLO's alert-quality scenarios through promtool), and its fingerprint: the render reads the committed
 * report and checks by fingerprint that it was measured on the rules and scenarios it renders. Measuring is test code
 * (`tests/support/scenarios/`).
 */
import { createHash } from "node:crypto";
import { versions } from "../config/versions";
import { buildRuleFiles, sloRuleFileName } from "./index";
import { scenarios, type Requirement, type ScenarioKind, type Timing } from "./scenarios";
import type { Slo } from "./slo";
import { isAlertingRule, type RuleFile } from "./types";
import { toGoYaml } from "./yaml";

/** Detection and reset figures of one scenario, read from the probed timeline. */
export interface ScenarioOutcome {
  /** Seconds from incident start to the first page; null if nothing paged. */
  firstPage: number | null;
  /** Seconds from incident end until no page fired any more; null if nothing paged or a page still fires at the end. */
  pagesClear: number | null;
  /** Whether a page still fired at the last probed time. */
  stillPaging: boolean;
  /** Seconds from incident start to the first ticket; null if none. */
  firstTicket: number | null;
  /** How often a page alert stopped and later fired again within the scenario (Alertmanager would resolve and re-page). */
  flaps: number;
  /** Seconds between the first page and the incident's end during which no page fired. */
  unpagedDuringIncident: number;
  /** Every page and every ticket seen (alertname and window pair). */
  pagedBy: string[];
  ticketedBy: string[];
}

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

/** The rule file holding exactly one SLO's groups and its service's health group: what its scenarios run against. */
export function ruleFileFor(slo: Slo): RuleFile {
  const file = buildRuleFiles({ environment: "test", cluster: "promtool", replicas: { prometheus: 2, alertmanager: 3 } })[sloRuleFileName(slo.service)];
  const keep = (name: string): boolean => name.startsWith(`slo-${slo.service}-${slo.name}-`) || name === `service-${slo.service}-health`;
  return { groups: file.groups.filter((g) => keep(g.name)) };
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

