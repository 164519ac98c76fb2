/**
 * Public surface of `rules/`: SLOs as data -> Prometheus rule files, the SLO document, and the Alertmanager
 * routing tree.
 */
import { ConfigError, type ConfigProblem, problem } from "../config/errors";
import { stackHealthGroups } from "./health";
import { serviceJob } from "./jobs";
import { metricContract, serviceKeys, type ServiceKey } from "./metrics";
import { errorRatioExpr, eventRateExpr, presenceSelectors, renderSelector } from "./promql";
import { burnFactor, burnWindows, errorBudget, hardFailureRatio, sliWindows, tidy, validateSlos, windowSeconds, type Slo } from "./slo";
import {
  fillWindows, guardWindows, minimumWindowFill, pageClearsWithin, pageKeepFiringFor, recordNames, serviceDownAlert, sloRuleGroups,
  stillBurningWindow,
} from "./slo-rules";
import { defaultRunbookBaseUrl, linkRunbooks } from "./runbooks";
import { sloSpecs } from "./slos";
import { isAlertingRule, type RecordingRule, type RuleFile, type RuleGroup } from "./types";

export { componentJobs, kubeletJob, serviceJob } from "./jobs";
export { metricContract, serviceKeys, type ServiceKey } from "./metrics";
export { validateSlos, type Slo, type SloSpec } from "./slo";
export { sloSpecs } from "./slos";
export { toGoYaml } from "./yaml";
export type { AlertingRule, RecordingRule, Rule, RuleFile, RuleGroup } from "./types";
export {
  alertmanagerSecretFiles, alertmanagerSecretsMountDir, buildAlertmanagerConfig, receiverNames,
  type AlertingInput, type AlertmanagerConfig,
} from "./alertmanager";
export { alertingSchema, runbookBaseUrlDefault, type AlertingConfig } from "./config";
export { runbookDir, runbookFile, runbookSection, runbookUrl } from "./runbooks";

/** Input of {@link buildRuleFiles}. */
export interface RuleFilesInput {
  environment: string;
  cluster: string;
  replicas: { prometheus: number; alertmanager: number };
  /** Namespaces whose PVCs the volume alerts watch; every namespace when absent. */
  namespaces?: readonly string[];
  /** Whether Prometheus scrapes the kubelets (default true); without that job there are no volume alerts. */
  kubeletScraped?: boolean;
  /** The stack's `alerting.runbookBaseUrl`; absent: the schema's default (callers that build rules without a stack). */
  runbookBaseUrl?: string;
}

/** The slice of the stack config the rule files read. */
export interface RuleFilesConfig {
  readonly environment: string;
  readonly cluster: { readonly name: string };
  readonly namespaces: Readonly<Record<string, string>>;
  readonly monitoring: {
    readonly prometheus: { readonly replicas: number };
    readonly alertmanager: { readonly replicas: number };
    readonly kubelet: { readonly enabled: boolean };
  };
  readonly alerting: { readonly runbookBaseUrl: string };
}

/** The {@link buildRuleFiles} input of a stack: the monitoring tier and the tests build a stack's rules from this. */
export function ruleFilesInputOf(c: RuleFilesConfig): RuleFilesInput {
  return {
    environment: c.environment,
    cluster: c.cluster.name,
    replicas: { prometheus: c.monitoring.prometheus.replicas, alertmanager: c.monitoring.alertmanager.replicas },
    namespaces: Object.values(c.namespaces),
    kubeletScraped: c.monitoring.kubelet.enabled,
    runbookBaseUrl: c.alerting.runbookBaseUrl,
  };
}

/** The validated SLOs of every catalogued service (throws on an invalid spec). */
export function slos(): Slo[] {
  return validateSlos(sloSpecs);
}

/** File name of a service's SLO rules in the rules ConfigMap. */
export function sloRuleFileName(service: ServiceKey): string {
  return `slo-${service}.yml`;
}

/** File name of the stack health rules. */
export const stackHealthFileName = "stack-health.yml";

function serviceGroups(service: ServiceKey, all: readonly Slo[]): RuleGroup[] {
  return [
    ...all.filter((slo) => slo.service === service).flatMap(sloRuleGroups),
    { name: `service-${service}-health`, rules: [serviceDownAlert(service)] },
  ];
}

/** Prefixes every alert summary with environment and cluster, so a page title says where it fired. */
function locate(groups: RuleGroup[], where: string): RuleGroup[] {
  return groups.map((group) => ({
    ...group,
    rules: group.rules.map((rule) =>
      isAlertingRule(rule) ? { ...rule, annotations: { ...rule.annotations, summary: `[${where}] ${rule.annotations.summary}` } } : rule),
  }));
}

/**
 * Every Prometheus rule file, keyed by file name (`slo-<service>.yml` per service, `stack-health.yml`). The caller
 * serialises each with `toGoYaml` and mounts them at /etc/prometheus/rules/<file>.
 */
export function buildRuleFiles(input: RuleFilesInput): Record<string, RuleFile> {
  const problems: ConfigProblem[] = [];
  for (const key of ["environment", "cluster"] as const) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(input[key])) problems.push(problem([key], input[key], "a name of lower-case letters, digits and dashes"));
  }
  for (const key of ["prometheus", "alertmanager"] as const) {
    const n = input.replicas[key];
    if (!Number.isInteger(n) || n < 1) problems.push(problem(["replicas", key], n, "an integer >= 1"));
  }
  if (problems.length > 0) throw new ConfigError(problems, "rule files input");
  const where = `${input.environment}/${input.cluster}`;
  const runbooks = input.runbookBaseUrl ?? defaultRunbookBaseUrl;
  const finish = (groups: RuleGroup[]): RuleFile => ({ groups: linkRunbooks(locate(groups, where), runbooks) });
  const all = slos();
  const files: Record<string, RuleFile> = {};
  for (const service of serviceKeys) files[sloRuleFileName(service)] = finish(serviceGroups(service, all));
  files[stackHealthFileName] = finish(stackHealthGroups(input));
  const badNames = ruleNameProblems(files);
  if (badNames.length > 0) throw new Error(`rule files: ${badNames.join("; ")}`);
  return files;
}

/** The legacy metric-name charset: a name in it works unquoted in PromQL, dashboards, federation and remote write. */
const legacyMetricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Recording rules whose name is outside the legacy metric-name charset. Prometheus 3 accepts any UTF-8 name, but such
 * a series must then be quoted everywhere it is read, and older readers refuse it; we never record one.
 */
export function ruleNameProblems(files: Record<string, RuleFile>): string[] {
  return Object.entries(files).flatMap(([file, { groups }]) =>
    groups.flatMap((group) =>
      group.rules
        .filter((rule): rule is RecordingRule => !isAlertingRule(rule) && !legacyMetricName.test(rule.record))
        .map((rule) => `${file}, group ${group.name}: record: got ${JSON.stringify(rule.record)}; allowed: a metric name matching ${legacyMetricName.source}`),
    ),
  );
}

/**
 * The SLO document rendered as `configs/slos.json`: the alert policy (windows, guards, reset), every spec with its
 * derived numbers (error budget, burn factors, error-ratio thresholds, time for a total outage to trip each condition
 * once its window counts), the recorded series and the metric contract they are computed from.
 */
export function sloDocument(): unknown {
  return {
    alertPolicy: {
      windows: burnWindows.map((w) => ({ kind: w.kind, long: w.long, short: w.short, budgetConsumed: w.budgetConsumed })),
      hardFailureRatio,
      recordedWindows: sliWindows,
      minimumWindowFill,
      stillBurningWindow,
      pageKeepFiringFor,
      pageClearsWithinSeconds: pageClearsWithin,
    },
    slos: slos().map((slo) => {
      const budget = errorBudget(slo);
      return {
        id: `${slo.service}/${slo.name}`,
        service: slo.service,
        name: slo.name,
        title: slo.title,
        description: slo.description,
        team: slo.team,
        objective: slo.objective,
        period: slo.period,
        errorBudget: budget,
        minimumEventRate: slo.minimumEventRate,
        sli: {
          ...slo.sli,
          job: serviceJob(slo.service),
          errorRatio5m: errorRatioExpr(slo, "5m"),
          eventRate1h: eventRateExpr(slo, "1h"),
          mustExist: presenceSelectors(slo).map((s) => renderSelector(s.metric, s.matchers)),
        },
        alerts: burnWindows.map((w) => {
          const factor = burnFactor(w, slo.period);
          return {
            kind: w.kind,
            longWindow: w.long,
            shortWindow: w.short,
            burnFactor: factor,
            errorRatioThreshold: tidy(factor * budget),
            totalOutageSecondsToFire: Math.round(factor * budget * windowSeconds(w.long)),
            minimumEventRate: w.kind === "page" ? slo.minimumEventRate : null,
          };
        }),
        recordings: [
          ...sliWindows.map((w) => recordNames.errorRatio(w)), recordNames.errorRatio(slo.period),
          ...guardWindows.map((w) => recordNames.eventRate(w)), ...fillWindows.map((w) => recordNames.windowFill(w)),
          recordNames.objective, recordNames.errorBudget, recordNames.budgetRemaining, recordNames.currentBurnRate,
        ],
      };
    }),
    metricContract,
  };
}
