import { parseAllDocuments } from "yaml";

/** One credential-looking finding in a text: where it is and what it looks like (never the value itself). */
export interface CredentialFinding {
  /** 1-based line number within the scanned text. */
  line: number;
  what: string;
}

/**
 * Token formats that are credentials wherever they appear. An AWS access key ID is only an identifier: as the value
 * of a user-name key (an SES SMTP user name is one) it is allowed; anywhere else it travels with its secret.
 */
const tokenPatterns: ReadonlyArray<{ what: string; pattern: RegExp; unlessKey?: RegExp }> = [
  { what: "a PEM private key", pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  { what: "an AWS access key ID", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, unlessKey: /(?:^|[_.-])user(?:_?name)?$/i },
  { what: "a Slack webhook URL", pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9]+\/[A-Za-z0-9]+/ },
  { what: "a Slack token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { what: "a GitHub token", pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { what: "a URL with an embedded password", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"]+:(?!\$\{)[^\s@/'"]+@/i },
];

/**
 * Keys whose literal value is a credential. The keyword must end the key, so `auth_password_file`, `secretName` or
 * `max_tokens` (references and settings) do not match while `admin_password` or `AWS_SECRET_ACCESS_KEY` do.
 */
const credentialKey = /(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)$/i;

/** `key: value` (YAML), `key = value` (INI), `KEY=value` (env) or `"key": "value",` (JSON). */
const assignment = /^\s*-?\s*["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*(.*?)\s*,?\s*$/;

/** Values that point at a credential instead of containing one: env/file indirections, templates, paths, blocks. */
function isReference(rawValue: string): boolean {
  const value = rawValue.replace(/^["']|["']$/g, "").trim();
  return (
    value === "" ||
    /^(?:null|~|true|false)$/i.test(value) ||
    /^(?:\$\{|\$__(?:file|env)\{|\{\{|\$\(|%\()/.test(value) ||
    /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value) ||
    /^\/[\w./-]+$/.test(value) ||
    /^[|>[{]/.test(value) ||
    value.startsWith("#")
  );
}

/**
 * Finds credential-looking content in a text such as a config file in a ConfigMap: well-known token formats anywhere,
 * and literal values assigned to credential-named keys. The render replaces Pulumi secrets with `[secret]`, so that
 * marker in a ConfigMap is a finding too: a secret was written into a non-secret object.
 */
export function findCredentials(text: string): CredentialFinding[] {
  const findings: CredentialFinding[] = [];
  text.split(/\r?\n/).forEach((lineText, index) => {
    const line = index + 1;
    if (lineText.includes("[secret]")) {
      findings.push({ line, what: "a Pulumi secret value" });
      return;
    }
    const match = assignment.exec(lineText);
    const token = tokenPatterns.find((p) => p.pattern.test(lineText) && !(match && p.unlessKey?.test(match[1])));
    if (token) {
      findings.push({ line, what: token.what });
      return;
    }
    if (match && credentialKey.test(match[1]) && !isReference(match[2])) {
      findings.push({ line, what: `a literal value for "${match[1]}"` });
    }
  });
  return findings;
}

/** One credential-looking value inside a document, by its key path; never the value itself. */
export interface DocumentFinding {
  /** e.g. `datasources[0].secureJsonData.password`, `grafana.ini line 3`, or `(comment) line 7`. */
  path: string;
  what: string;
}

/** Stands in for the render's `[secret]` while parsing, which YAML would otherwise read as a one-item list. */
const secretMarker = "__pulumi_secret_redacted__";

/** The document a text holds, when it is one: JSON, or YAML with at least one mapping or sequence. */
function parseStructured(text: string): unknown[] | undefined {
  const trimmed = text.split("[secret]").join(secretMarker).trim();
  if (/^[[{]/.test(trimmed)) {
    try {
      return [JSON.parse(trimmed)];
    } catch {
      // Not JSON: YAML flow style also starts with { or [.
    }
  }
  if (!/[:\n-]/.test(trimmed)) return undefined;
  try {
    const documents = parseAllDocuments(trimmed);
    if (documents.some((d) => d.errors.length > 0)) return undefined;
    const values = documents.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
    return values.some((v) => v !== null && typeof v === "object") ? values : undefined;
  } catch {
    return undefined;
  }
}

const join = (path: string, key: string | number) =>
  typeof key === "number" ? `${path}[${key}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}["${key}"]`;

/** Findings in one scalar under `key`: Pulumi secrets, token formats, and literals of credential-named keys. */
function scanScalar(key: string, value: string | number): string | undefined {
  const text = String(value);
  if (text.includes("[secret]") || text.includes(secretMarker)) return "a Pulumi secret value";
  const token = tokenPatterns.find((p) => p.pattern.test(text) && !p.unlessKey?.test(key));
  if (token) return token.what;
  if (credentialKey.test(key) && (typeof value === "number" || !isReference(text))) return `a literal value for "${key}"`;
  return undefined;
}

function walk(node: unknown, path: string, key: string, findings: DocumentFinding[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, join(path, i), key, findings));
  } else if (node !== null && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) walk(v, join(path, k), k, findings);
  } else if (typeof node === "string" || typeof node === "number") {
    const what = scanScalar(key, node);
    if (what) {
      findings.push({ path, what });
    } else if (typeof node === "string" && (node.includes("\n") || /^\s*[[{]/.test(node))) {
      // A block scalar or an embedded JSON/YAML document (a Grafana provisioning file, a JSON string in JSON).
      findings.push(...findCredentialsInDocument(node, path));
    }
  }
}

/**
 * Finds credentials in a config file: a JSON or YAML document is parsed and every string and number is scanned by
 * its key, descending into block scalars and documents embedded as strings; YAML comments and texts that parse as
 * neither (INI, env files, templates) are scanned line by line.
 */
export function findCredentialsInDocument(text: string, path = "", key?: string): DocumentFinding[] {
  const at = (line: number) => `${path ? `${path} ` : ""}line ${line}`;
  const documents = parseStructured(text);
  if (!documents && key !== undefined && !text.includes("\n")) {
    const what = scanScalar(key, text);
    return what ? [{ path, what }] : [];
  }
  if (!documents) return findCredentials(text).map((f) => ({ path: at(f.line), what: f.what }));
  const findings: DocumentFinding[] = [];
  documents.forEach((d, i) => walk(d, documents.length > 1 ? join(path, `(document ${i + 1})`) : path, "", findings));
  const comments = text.split(/\r?\n/).map((line) => (/^\s*#/.test(line) ? line.replace(/^\s*#\s?/, "") : ""));
  for (const f of findCredentials(comments.join("\n"))) findings.push({ path: `${at(f.line)} (comment)`, what: f.what });
  return findings;
}
