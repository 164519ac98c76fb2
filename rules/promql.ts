/**
 * PromQL for SLIs, built from the validated spec so every expression names its series exactly once, here.
 */
import { serviceJob } from "./jobs";
import type { Matcher, Selector, SliWindow, Slo } from "./slo";

/** A PromQL string literal (Go escaping; JSON's escapes are a subset PromQL accepts). */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** Renders `metric{a="b",c=~"d"}`. */
export function renderSelector(metric: string, matchers: readonly Matcher[]): string {
  const inner = matchers.map((m) => `${m.label}${m.op}${quote(m.value)}`).join(",");
  return `${metric}{${inner}}`;
}

/** The recorded-series selector of one SLO: `{service="ryot",slo="availability"}`. */
export function sloLabels(slo: Pick<Slo, "service" | "name">): Record<string, string> {
  return { service: slo.service, slo: slo.name };
}

/** `name{service="…",slo="…"}` for a series recorded for one SLO. */
export function recorded(name: string, slo: Pick<Slo, "service" | "name">): string {
  const labels = sloLabels(slo);
  return renderSelector(name, Object.entries(labels).map(([label, value]) => ({ label, op: "=" as const, value })));
}

/**
 * A matcher for one bucket boundary. Prometheus 3 stores a whole-number `le` in float form ("3" is scraped as
 * "3.0"), so an equality matcher on "3" would silently match nothing after an upgrade; whole numbers get a regex
 * that matches both forms.
 */
export function leMatcher(bound: string): Matcher {
  return /^[0-9]+$/.test(bound) ? { label: "le", op: "=~", value: `${bound}(\\.0)?` } : { label: "le", op: "=", value: bound };
}

function withJob(slo: Slo, selector: Selector): Selector {
  const matchers = selector.matchers.map((m) => (m.label === "le" && m.op === "=" ? leMatcher(m.value) : m));
  return { metric: selector.metric, matchers: [{ label: "job", op: "=", value: serviceJob(slo.service) }, ...matchers] };
}

/**
 * The SLI's selectors with the service's job matcher added: bad events (`errors`, for ratio SLIs) or good events
 * (`good`, the `le` bucket, for latency SLIs), and all events (`total`).
 */
export function sliSelectors(slo: Slo): { errors?: Selector; good?: Selector; total: Selector } {
  const { sli } = slo;
  if (sli.kind === "ratio") return { errors: withJob(slo, sli.errors), total: withJob(slo, sli.total) };
  return {
    good: withJob(slo, { metric: `${sli.histogram}_bucket`, matchers: [...sli.matchers, leMatcher(sli.le)] }),
    total: withJob(slo, { metric: `${sli.histogram}_count`, matchers: sli.matchers }),
  };
}

const rateSum = (selector: Selector, window: string): string =>
  `sum(rate(${renderSelector(selector.metric, selector.matchers)}[${window}]))`;

/**
 * Error ratio of an SLI over a window. A window without events records nothing (`> 0` guard), so a quiet period
 * neither divides by zero nor drags the 30-day average; a ratio SLI whose error series does not exist yet (no
 * failure since start) counts zero errors.
 */
export function errorRatioExpr(slo: Slo, window: SliWindow): string {
  const selectors = sliSelectors(slo);
  const total = `(${rateSum(selectors.total, window)} > 0)`;
  if (selectors.errors) return `(${rateSum(selectors.errors, window)} or vector(0)) / ${total}`;
  return `1 - (${rateSum(selectors.good as Selector, window)} / ${total})`;
}

/** Events per second over a window (the minimum-traffic guard reads it). */
export function eventRateExpr(slo: Slo, window: SliWindow): string {
  return rateSum(sliSelectors(slo).total, window);
}

/**
 * Selectors whose series must exist for the SLI to mean anything: the total, and any bucket selector (a bucket
 * exists from the first observation, so its absence means the boundary moved and the SLI silently reads zero).
 * A ratio's error counter is left out: it may legitimately not exist until the first failure.
 */
export function presenceSelectors(slo: Slo): Selector[] {
  const selectors = sliSelectors(slo);
  const pinsBucket = (s: Selector | undefined): s is Selector => !!s && s.matchers.some((m) => m.label === "le");
  return [selectors.total, ...[selectors.errors, selectors.good].filter(pinsBucket)];
}

/** Labels `absent(selector)` returns: those of its equality matchers. */
export function absentLabels(selector: Selector): Record<string, string> {
  return Object.fromEntries(selector.matchers.filter((m) => m.op === "=").map((m) => [m.label, m.value]));
}

/** Duration text Prometheus accepts and promtool prints: 1d6h2m30s (whole seconds; days are the largest unit). */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join("");
}

/** Parses a Prometheus duration as printed by promtool (1d2h, 6h2m30s, 500ms) into seconds. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { y: 365 * 86_400, w: 7 * 86_400, d: 86_400, h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(n) * units[unit];
  return total;
}
