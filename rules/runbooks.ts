/**
 * Runbook links: every alert the rules emit links to `docs/runbooks/<alert>.md` in this repository, under the stack's
 * `alerting.runbookBaseUrl`. An alert name that covers a family (one SLOFastBurn per SLO, one ComponentDown per job)
 * has one file with a section per member, and the link carries that section as its fragment.
 */
import { runbookBaseUrl } from "./config";
import { sloAlertNames } from "./slo-rules";
import { isAlertingRule, type AlertingRule, type RuleGroup } from "./types";

/** The runbooks' folder, relative to the repository root. */
export const runbookDir = "docs/runbooks";

/** The base URL a stack gets without `alerting.runbookBaseUrl`: the schema's default, read from the schema. */
export const defaultRunbookBaseUrl: string = runbookBaseUrl.parse(undefined);

/** File name of an alert's runbook inside {@link runbookDir}. */
export function runbookFile(alert: string): string {
  return `${alert}.md`;
}

/**
 * The section of a family runbook an alert belongs to, or undefined for an alert with a single meaning. The section is
 * also the heading text (`## <section>`), which GitHub and GitLab both turn into the anchor `#<section>` unchanged
 * because it is lower-case letters, digits and dashes.
 */
export function runbookSection(rule: Pick<AlertingRule, "alert" | "labels">): string | undefined {
  if (rule.labels.slo) return `${rule.labels.service}-${rule.labels.slo}`;
  if (rule.alert === sloAlertNames.componentDown) return rule.labels.component;
  return undefined;
}

/** The resolved `runbook_url` of one alert. */
export function runbookUrl(base: string, rule: Pick<AlertingRule, "alert" | "labels">): string {
  const section = runbookSection(rule);
  return `${base}/${runbookFile(rule.alert)}${section ? `#${section}` : ""}`;
}

/** Sets `runbook_url` on every alert of `groups`; the one place alerts get their link. */
export function linkRunbooks(groups: RuleGroup[], base: string): RuleGroup[] {
  return groups.map((group) => ({
    ...group,
    rules: group.rules.map((rule) =>
      isAlertingRule(rule) ? { ...rule, annotations: { ...rule.annotations, runbook_url: runbookUrl(base, rule) } } : rule),
  }));
}
