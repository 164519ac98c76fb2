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
