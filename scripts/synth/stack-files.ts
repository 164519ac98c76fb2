import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/** The project name declared in `Pulumi.yaml`. */
export function projectName(projectDir: string): string {
  const doc = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name?: string };
  if (!doc?.name) throw new Error(`${path.join(projectDir, "Pulumi.yaml")} has no 'name'`);
  return doc.name;
}

/** Every stack with a `Pulumi.<name>.yaml` next to `Pulumi.yaml`, sorted. */
export function stackNames(projectDir: string): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => Boolean(s))
    .sort();
}

export interface StackFile {
  /** Plain values of the project's namespace, keyed without the project prefix. */
  values: Record<string, unknown>;
  /** Keys whose value is encrypted (`secure:`), which cannot be read without the stack's secrets provider. */
  encrypted: string[];
  /** Values of other namespaces (e.g. `aws:region`), keyed in full. */
  others: Record<string, unknown>;
}

/** Reads `Pulumi.<stack>.yaml`. */
export function readStackFile(projectDir: string, stack: string): StackFile {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`no stack file ${file}; stacks here: ${stackNames(projectDir).join(", ") || "none"}`);
  }
  const doc = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const project = projectName(projectDir);
  const values: Record<string, unknown> = {};
  const encrypted: string[] = [];
  const others: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const [ns, name] = key.includes(":") ? [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)] : [project, key];
    if (ns !== project) others[key] = value;
    else if (isEncrypted(value)) encrypted.push(name);
    else values[name] = value;
  }
  return { values, encrypted, others };
}

/** A `secure:` value, or an object holding one (as `pulumi config set --secret --path` writes). */
function isEncrypted(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (!Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) return true;
  return Object.values(value).some(isEncrypted);
}
