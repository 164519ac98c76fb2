import type { z } from "zod";

/** Renders a zod issue path as a config key path: `slos[2].sli.errors.metric`. */
export function keyPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${String(part)}`),
    root,
  );
}

/** A value as it appears in an error message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/**
 * One line per zod issue: key path, message, and the offending value when zod reported one and the message does
 * not already quote it (parse with `reportInput: true`).
 */
export function formatIssues(root: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = keyPath(root, issue.path);
    const input = (issue as { input?: unknown }).input;
    const scalar = input === null || ["string", "number", "boolean"].includes(typeof input);
    const quoted = scalar && issue.message.includes(show(input));
    return scalar && !quoted ? `${path}: ${issue.message} (got ${show(input)})` : `${path}: ${issue.message}`;
  });
}
