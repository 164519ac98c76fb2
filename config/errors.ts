import { z } from "zod";

/**
 * The one way the project reports invalid input: every problem as `path: got <value>; allowed: <what is allowed>`,
 * where `path` is written the way `pulumi config set --path` reads it, so the user can paste it to fix the value.
 *
 * Schemas state what is allowed in their own messages ("an integer >= 1"); {@link allowedMessage} words zod's
 * built-in issues the same way for schemas that set no message of their own.
 */

/** One validation problem: where, what was given, what is allowed. */
export interface ConfigProblem {
  path: string;
  value: unknown;
  allowed: string;
}

/** Thrown when input is invalid; lists every problem, not just the first. */
export class ConfigError extends Error {
  constructor(
    readonly problems: ConfigProblem[],
    source: string,
  ) {
    super(
      `${source} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** One problem as a line of a {@link ConfigError}: `path: got <value>; allowed: <allowed>`. */
export function formatProblem(p: ConfigProblem): string {
  return `${p.path}: got ${describeValue(p.value)}; allowed: ${p.allowed}`;
}

/** A value as a problem line shows it: JSON, cut at 120 characters; a missing key says so. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the key is missing)";
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** A key that `pulumi config set --path` reads after a dot; any other key goes in quoted brackets. */
const plainKey = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * A key path in `pulumi config set --path` syntax: `network.apiServerCidrs[0]`, `slos[2].objective`,
 * `network.serviceNamespaceLabels["observability.sigma.dev/monitored"]`. An empty path is the value itself: `(root)`.
 */
export function keyPath(segments: readonly PropertyKey[]): string {
  if (segments.length === 0) return "(root)";
  return segments.reduce<string>((acc, segment, i) => {
    if (typeof segment === "number") return `${acc}[${segment}]`;
    const key = String(segment);
    if (!plainKey.test(key)) return `${acc}["${key.replace(/"/g, '\\"')}"]`;
    return i === 0 ? key : `${acc}.${key}`;
  }, "");
}

/** A problem at a key path given as segments. */
export function problem(path: readonly PropertyKey[], value: unknown, allowed: string): ConfigProblem {
  return { path: keyPath(path), value, allowed };
}

const literal = (v: unknown): string => (typeof v === "bigint" ? `${v}` : JSON.stringify(v));
const oneOf = (values: readonly unknown[]): string => `one of ${values.map(literal).join(", ")}`;
const plural = (n: number | bigint, word: string): string => `${n} ${word}${Number(n) === 1 ? "" : "s"}`;

function bound(issue: { origin: string; inclusive?: boolean }, limit: number | bigint | Date, below: boolean): string | undefined {
  const shown = limit instanceof Date ? limit.toISOString() : limit;
  switch (issue.origin) {
    case "string":
      if (below && Number(shown) === 1) return "a non-empty string";
      return `a string of ${below ? "at least" : "at most"} ${plural(Number(shown), "character")}`;
    case "array":
    case "set":
      if (below && Number(shown) === 1) return "a non-empty list";
      return `${below ? "at least" : "at most"} ${plural(Number(shown), "item")}`;
    case "number":
    case "int":
    case "bigint":
    case "date":
      return `a ${issue.origin === "date" ? "date" : "number"} ${below ? ">" : "<"}${issue.inclusive ? "=" : ""} ${shown}`;
    default:
      return undefined;
  }
}

/** The values of a union whose every branch is a literal, e.g. `z.union([z.literal(2), z.literal(3)])`. */
function literalBranches(errors: readonly (readonly z.core.$ZodIssue[])[]): unknown[] | undefined {
  const values = errors.map((branch) => (branch.length === 1 && branch[0].code === "invalid_value" && branch[0].path.length === 0 ? branch[0].values : undefined));
  return values.every((v) => v !== undefined) ? values.flat() : undefined;
}

/**
 * Per-parse zod error map: what is allowed, for zod's built-in issues. A schema's own message wins over it (zod's
 * precedence), so it only words issues of schemas that set none.
 */
export const allowedMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected === "int" ? "an integer" : `a value of type ${issue.expected}`;
    case "invalid_value":
      return oneOf(issue.values);
    case "invalid_union": {
      if ("options" in issue && Array.isArray(issue.options)) return oneOf(issue.options);
      const values = literalBranches(issue.errors);
      return values ? oneOf(values) : "one of the documented variants";
    }
    case "unrecognized_keys":
      return issue.inst instanceof z.ZodObject ? `one of the keys ${Object.keys(issue.inst.shape).join(", ")}` : "no such key";
    case "invalid_key":
    case "invalid_element":
      return issue.issues.map((i) => i.message).join("; ");
    case "invalid_format":
      if (issue.format === "email") return "an email address";
      if (issue.format === "url") return "a URL";
      if (issue.format === "regex" && issue.pattern) return `a string matching ${issue.pattern}`;
      return `a string in ${issue.format} format`;
    case "too_small":
      return bound(issue, issue.minimum, true);
    case "too_big":
      return bound(issue, issue.maximum, false);
    case "not_multiple_of":
      return `a multiple of ${issue.divisor}`;
    default:
      return undefined;
  }
};

/** What the user wrote at the issue's path. */
function valueOf(issue: z.core.$ZodIssue): unknown {
  const input = (issue as { input?: unknown }).input;
  // A discriminated union reports the whole object; the user needs the discriminator they wrote.
  const discriminator = (issue as { discriminator?: string }).discriminator;
  return discriminator && input && typeof input === "object" ? (input as Record<string, unknown>)[discriminator] : input;
}

/**
 * The problems of zod issues (parsed with {@link allowedMessage} and `reportInput: true`), their paths under `at`.
 * An unknown key is reported at its own path with the value written there, one problem per key.
 */
export function problemsOf(issues: readonly z.core.$ZodIssue[], at: readonly PropertyKey[] = []): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const path = [...at, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      const input = (issue as { input?: Record<string, unknown> }).input;
      return issue.keys.map((key) => problem([...path, key], input?.[key], issue.message));
    }
    return [problem(path, valueOf(issue), issue.message)];
  });
}

/** The outcome of {@link check}: the parsed value, or every problem. */
export type Checked<T> = { ok: true; data: T } | { ok: false; problems: ConfigProblem[] };

/** Parses `value` with `schema`; problem paths are under `at` (e.g. `["slos", 2]`). */
export function check<S extends z.ZodType>(schema: S, value: unknown, at: readonly PropertyKey[] = []): Checked<z.output<S>> {
  const result = schema.safeParse(value, { reportInput: true, error: allowedMessage });
  return result.success ? { ok: true, data: result.data } : { ok: false, problems: problemsOf(result.error.issues, at) };
}

/** Parses `value` with `schema`, or throws a {@link ConfigError} naming `source` and listing every problem. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, source: string, at: readonly PropertyKey[] = []): z.output<S> {
  const result = check(schema, value, at);
  if (!result.ok) throw new ConfigError(result.problems, source);
  return result.data;
}
