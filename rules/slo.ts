/**
 * SLOs as data: the zod schema of an SLO spec (in the spirit of slok/sloth and pyrra-dev/pyrra), the semantic
 * checks against the metric contract, and the burn-rate policy derived from a spec's period.
 */
import { z } from "zod";
import { ConfigError, check, keyPath, problem, type ConfigProblem } from "../config/errors";
import { contractSeriesNames, formatLe, metricContract, resolveSeries, serviceKeys, type ServiceKey } from "./metrics";

/** Windows over which every SLI error ratio is recorded (sloth/pyrra style `ratio_rate<window>`). */
export const sliWindows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] as const;
export type SliWindow = (typeof sliWindows)[number];

/** SLO periods the burn-rate policy is defined for, in hours. */
export const sloPeriods = { "28d": 28 * 24, "30d": 30 * 24 } as const;
export type SloPeriod = keyof typeof sloPeriods;

/** The longest period among `specs`; a spec without one has the schema's default period. */
export function longestSloPeriod(specs: readonly SloSpec[]): SloPeriod {
  const periods = specs.map((spec) => sloSpecSchema.shape.period.parse(spec.period));
  return periods.reduce((longest, p) => (sloPeriods[p] > sloPeriods[longest] ? p : longest), periods[0] ?? sloSpecSchema.shape.period.parse(undefined));
}

const windowHours: Readonly<Record<SliWindow, number>> = {
  "5m": 5 / 60, "30m": 0.5, "1h": 1, "2h": 2, "6h": 6, "1d": 24, "3d": 72,
};

/** Severities Alertmanager routes on. */
export const severities = ["critical", "warning", "info"] as const;
export type Severity = (typeof severities)[number];

/** Labels every SLO alert sets itself; a spec's routing labels may not override them. */
export const reservedAlertLabels = ["alertname", "service", "slo", "team", "long_window", "short_window", "component"] as const;

const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "a Prometheus metric name: a letter, '_' or ':', then letters, digits, '_' or ':'");
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a Prometheus label name: a letter or '_', then letters, digits or '_'");
const slug = (what: string) => z.string().regex(/^[a-z][a-z0-9-]*$/, `${what}: lower-case letters, digits and dashes, starting with a letter`);

const matcherSchema = z.object({
  label: labelName,
  op: z.enum(["=", "!=", "=~", "!~"]),
  value: z.string(),
}).strict();

const selectorSchema = z.object({
  metric: z.string().min(1, { abort: true, error: "a metric name from the metric contract" }).pipe(metricName),
  matchers: z.array(matcherSchema).default([]),
}).strict();

const ratioSliSchema = z.object({
  kind: z.literal("ratio"),
  /** Events that count against the objective. */
  errors: selectorSchema,
  /** All events, errors included. */
  total: selectorSchema,
}).strict();

const latencySliSchema = z.object({
  kind: z.literal("latency"),
  /** Histogram base name (without `_bucket`). */
  histogram: z.string().min(1, { abort: true, error: "a latency histogram name from the metric contract" }).pipe(metricName),
  /** The threshold: an exact bucket boundary, as the `le` label value. Faster than or equal to it is good. */
  le: z.string().min(1, 'a bucket boundary of the histogram, written as its le label value, such as "0.1"'),
  matchers: z.array(matcherSchema).default([]),
}).strict();

const routingLabelsSchema = z.record(labelName, z.string());

const objective = "a number in the open interval (0, 1); write 99.9% as 0.999";

/** An SLO of one service, as its catalog entry states it (the entry's key is the service). */
const serviceSloSchema = z.object({
  /** Unique per service; becomes the `slo` label. */
  name: slug("an SLO name"),
  title: z.string().min(1, "a non-empty title"),
  description: z.string().min(1, "a non-empty description"),
  objective: z.number(objective).gt(0, objective).lt(1, objective),
  period: z.enum(Object.keys(sloPeriods) as [SloPeriod, ...SloPeriod[]]).default("30d"),
  sli: z.discriminatedUnion("kind", [ratioSliSchema, latencySliSchema]),
  /** Owning team; defaults to the service's owner in its catalog entry. */
  team: slug("a team name").optional(),
  /**
   * Events per second the service must see over an alert's long window before a burn-rate alert may page: below
   * it a handful of failed requests is a large ratio but not an incident.
   */
  minimumEventRate: z.number().positive("a number of events per second > 0"),
  /** Extra labels on page and ticket alerts; `severity` is what Alertmanager routes on. */
  routing: z.object({
    page: routingLabelsSchema.default({ severity: "critical" }),
    ticket: routingLabelsSchema.default({ severity: "warning" }),
  }).strict().default({ page: { severity: "critical" }, ticket: { severity: "warning" } }),
}).strict();

/** The schema of one SLO spec: a service's SLO with the service named. */
export const sloSpecSchema = z.object({ service: z.enum(serviceKeys), ...serviceSloSchema.shape }).strict();

export type ServiceSloSpec = z.input<typeof serviceSloSchema>;
export type SloSpec = z.input<typeof sloSpecSchema>;
type ParsedSlo = z.output<typeof sloSpecSchema>;
export type Selector = z.output<typeof selectorSchema>;
export type Matcher = Selector["matchers"][number];

/** A validated SLO with every default applied. */
export type Slo = Omit<ParsedSlo, "team"> & { readonly team: string };

function regexMatches(op: "=~" | "!~", pattern: string, value: string): boolean {
  const matched = new RegExp(`^(?:${pattern})$`).test(value);
  return op === "=~" ? matched : !matched;
}

/** Whether a label value satisfies a matcher (Prometheus regexes are fully anchored). */
export function matcherAccepts(matcher: Matcher, value: string): boolean {
  switch (matcher.op) {
    case "=": return value === matcher.value;
    case "!=": return value !== matcher.value;
    default: return regexMatches(matcher.op, matcher.value, value);
  }
}

type Path = readonly (string | number)[];

/** A PromQL label matcher as written in a selector: `code=~"5.."`. */
const matcherText = (m: Matcher): string => `${m.label}${m.op}${JSON.stringify(m.value)}`;

function checkMatchers(service: ServiceKey, series: string, matchers: readonly Matcher[], path: Path): ConfigProblem[] {
  const resolved = resolveSeries(service, series);
  if (!resolved) return [];
  const { metric } = resolved;
  const labels = Object.keys(metric.labels).join(", ");
  const bounds = metric.kind === "histogram" ? metric.buckets.map(formatLe) : [];
  return matchers.flatMap((m, i): ConfigProblem[] => {
    const at = [...path, i];
    if (m.label === "job") {
      return [problem([...at, "label"], m.label, `a label other than job, which the rules set from the service ("${service}"); remove this matcher`)];
    }
    if (m.label === "le") {
      if (resolved.suffix !== "_bucket") return [problem([...at, "label"], m.label, `a label of ${series}: ${labels} (le exists only on ${metric.name}_bucket)`)];
      if (m.op !== "=") return [problem([...at, "op"], m.op, '"=": le selects one exact bucket boundary')];
      if (!bounds.includes(m.value)) return [problem([...at, "value"], m.value, `an exact bucket boundary of ${metric.name}: ${bounds.join(", ")}`)];
      return [];
    }
    const values = metric.labels[m.label];
    if (!values) return [problem([...at, "label"], m.label, `a label of ${series}: ${labels}`)];
    if (!values.some((v) => matcherAccepts(m, v))) {
      return [problem([...at, "value"], m.value, `a value with which ${m.label}${m.op} selects at least one of ${values.join(", ")}`)];
    }
    return [];
  });
}

function checkSeries(service: ServiceKey, series: string, path: Path): ConfigProblem[] {
  return resolveSeries(service, series) ? [] : [problem(path, series, `a series of the ${service} metric contract: ${contractSeriesNames(service).join(", ")}`)];
}

/** Semantic checks of one parsed spec against the metric contract. */
function checkAgainstContract(slo: ParsedSlo, at: Path): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { sli, service } = slo;
  if (sli.kind === "ratio") {
    for (const key of ["errors", "total"] as const) {
      problems.push(...checkSeries(service, sli[key].metric, [...at, "sli", key, "metric"]));
      problems.push(...checkMatchers(service, sli[key].metric, sli[key].matchers, [...at, "sli", key, "matchers"]));
    }
    if (sli.errors.metric === sli.total.metric) {
      const path = [...at, "sli", "errors", "matchers"];
      const missing = sli.total.matchers.filter((t) => !sli.errors.matchers.some((e) => matcherText(e) === matcherText(t)));
      if (missing.length > 0) {
        problems.push(problem(path, sli.errors.matchers, `every matcher of sli.total too, since errors count a subset of total; add ${missing.map(matcherText).join(", ")}`));
      } else if (sli.errors.matchers.length === sli.total.matchers.length) {
        problems.push(problem(path, sli.errors.matchers, "matchers narrower than those of sli.total: the same series would make the error ratio always 1"));
      }
    }
  } else {
    const resolved = resolveSeries(service, `${sli.histogram}_bucket`);
    if (!resolved || resolved.metric.kind !== "histogram" || resolved.metric.unit !== "seconds") {
      const latencyHistograms = Object.values(metricContract[service].metrics)
        .filter((m) => m.kind === "histogram" && m.unit === "seconds").map((m) => m.name);
      problems.push(problem([...at, "sli", "histogram"], sli.histogram, `a latency histogram of ${service}: ${latencyHistograms.join(", ")}`));
    } else {
      const bounds = resolved.metric.buckets.map(formatLe);
      if (!bounds.includes(sli.le)) {
        problems.push(problem([...at, "sli", "le"], sli.le, `a bucket boundary of ${sli.histogram}: ${bounds.join(", ")}`));
      }
      problems.push(...checkMatchers(service, `${sli.histogram}_bucket`, sli.matchers, [...at, "sli", "matchers"]));
    }
  }
  for (const kind of ["page", "ticket"] as const) {
    const labels = slo.routing[kind];
    for (const reserved of reservedAlertLabels) {
      if (reserved in labels) problems.push(problem([...at, "routing", kind, reserved], labels[reserved], `no ${reserved} label: the rule generator sets it`));
    }
    if (!severities.includes(labels.severity as Severity)) {
      problems.push(problem([...at, "routing", kind, "severity"], labels.severity, `one of ${severities.map((v) => JSON.stringify(v)).join(", ")}`));
    }
  }
  return problems;
}

/**
 * The hard-failure page must not be more sensitive than the workbook's fast-burn page, or it would page on burns
 * the policy deliberately leaves to tickets; that bounds how low an objective can go.
 */
function checkAlertPolicy(slo: ParsedSlo, at: Path): ConfigProblem[] {
  const fastest = burnWindows[0];
  const threshold = tidy(burnFactor(fastest, slo.period) * errorBudget(slo));
  if (threshold <= hardFailureRatio) return [];
  const lowest = tidy(1 - hardFailureRatio / burnFactor(fastest, slo.period));
  return [problem([...at, "objective"], slo.objective,
    `at least ${lowest} for a ${slo.period} period: this one puts the ${fastest.long}/${fastest.short} page at an error ratio of ${threshold}, above the hard-failure ratio ${hardFailureRatio}`)];
}

/**
 * Validates SLO specs and applies defaults. Throws a {@link ConfigError} listing every problem (key path, bad value,
 * what is allowed): schema errors, selectors outside the metric contract, thresholds that are not bucket boundaries
 * and duplicate names per service.
 */
export function validateSlos(specs: readonly unknown[], source = "SLO list"): Slo[] {
  const problems: ConfigProblem[] = [];
  const valid: Slo[] = [];
  const seen = new Map<string, number>();
  specs.forEach((spec, index) => {
    const at = ["slos", index];
    const parsed = check(sloSpecSchema, spec, at);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      return;
    }
    const slo = parsed.data;
    const id = `${slo.service}/${slo.name}`;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push(problem([...at, "name"], slo.name, `a name no other SLO of service ${slo.service} uses (${keyPath(["slos", first])} has it)`));
    } else {
      seen.set(id, index);
    }
    problems.push(...checkAgainstContract(slo, at));
    problems.push(...checkAlertPolicy(slo, at));
    valid.push({ ...slo, team: slo.team ?? metricContract[slo.service].owner });
  });
  if (problems.length > 0) throw new ConfigError(problems, source);
  return valid;
}

/** One multiwindow burn-rate alert condition (SRE workbook, chapter 5). */
export interface BurnWindow {
  readonly kind: "page" | "ticket";
  readonly long: SliWindow;
  readonly short: SliWindow;
  /** Share of the period's error budget consumed when the long window fires at this burn rate. */
  readonly budgetConsumed: number;
}

/**
 * The workbook's multiwindow conditions, expressed as budget consumed so the burn factors follow from the period: with a
 * 30-day period they are exactly 14.4x (2% in 1h), 6x (5% in 6h), 3x (10% in 1d) and 1x (10% in 3d). Each short
 * window is 1/12 of its long window, which sets how fast a ticket resets after recovery; a page also needs the 5m
 * window burning, so it resets within minutes whatever its short window (`stillBurningWindow` in slo-rules.ts).
 */
export const burnWindows: readonly BurnWindow[] = [
  { kind: "page", long: "1h", short: "5m", budgetConsumed: 0.02 },
  { kind: "page", long: "6h", short: "30m", budgetConsumed: 0.05 },
  { kind: "ticket", long: "1d", short: "2h", budgetConsumed: 0.1 },
  { kind: "ticket", long: "3d", short: "6h", budgetConsumed: 0.1 },
];

/** Rounds away binary noise (1 - 0.999 = 0.0010000000000000009) so rendered thresholds read as written. */
export function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

/** The error budget: the share of events allowed to fail. */
export function errorBudget(slo: Pick<Slo, "objective">): number {
  return tidy(1 - slo.objective);
}

/** Burn-rate factor of a window for a period: budget consumed x period / long window. */
export function burnFactor(window: BurnWindow, period: SloPeriod): number {
  return tidy((window.budgetConsumed * sloPeriods[period]) / windowHours[window.long]);
}

/** Length of a window in seconds. */
export function windowSeconds(window: SliWindow): number {
  return windowHours[window] * 3600;
}

/**
 * Error ratio over a 5-minute window above which an SLO pages regardless of its objective. The workbook's fast
 * pair only pages after 2% of the budget is gone, which for a 99% objective is 8.6 minutes of total failure; a
 * hard failure must page within two. 15% is the 1h/5m threshold of a 99% objective (14.4 x 1%) without waiting
 * for the hour; a 30-second total blip fills a tenth of the window and stays below it.
 */
export const hardFailureRatio = 0.15;
/** The window the hard-failure page reads. */
export const hardFailureWindow: SliWindow = "5m";
