/** Typed Prometheus rule files, as `promtool check rules` reads them. */

/** A recording rule: `record` names the new series. */
export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

/** An alerting rule; `for` and `keep_firing_for` are Prometheus durations. */
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type Rule = RecordingRule | AlertingRule;

/** A rule group: rules run in order, so a recording read by a later rule of the same group is fresh. */
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

/** One rule file. */
export interface RuleFile {
  groups: RuleGroup[];
}

/** Narrows a rule to an alerting rule. */
export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return "alert" in rule;
}
