import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { renderDirAnnotation } from "../../components/k8s/documents";
import { StackSummary } from "./summary";
import { RecordedResource } from "./types";

/** `manifests/<kind>-<namespace>-<name>.yaml`; cluster-scoped objects use `_cluster` as their namespace. */
export function manifestFileName(object: Record<string, any>): string {
  const ns = object.metadata?.namespace ?? "_cluster";
  return `${object.kind.toLowerCase()}-${ns}-${object.metadata?.name ?? "unnamed"}.yaml`;
}

/** The Kubernetes objects of a stack, as sent to the API server. */
export function kubernetesObjects(resources: RecordedResource[]): Record<string, any>[] {
  return resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.inputs.kind).map((r) => r.inputs);
}

/** Every generated document, keyed by its path under `configs/`, taken from the ConfigMaps that carry it. */
export function generatedDocuments(resources: RecordedResource[]): Record<string, string> {
  const docs: Record<string, string> = {};
  for (const object of kubernetesObjects(resources)) {
    const dir = object.metadata?.annotations?.[renderDirAnnotation];
    if (object.kind !== "ConfigMap" || dir === undefined) continue;
    for (const [file, text] of Object.entries(object.data ?? {})) {
      const key = path.posix.join(dir, file);
      if (key in docs) throw new Error(`two ConfigMaps render configs/${key}; give one of them another ${renderDirAnnotation}`);
      docs[key] = String(text);
    }
  }
  return docs;
}

/**
 * Writes the render of one stack to `dir` (the `out/<stack>/` layout the README describes) through a temporary
 * sibling directory that is renamed into place, so a failed write never leaves a half-rendered stack behind.
 */
export function writeStackOutput(
  dir: string,
  content: { resources: RecordedResource[]; summary: StackSummary; extra?: Record<string, unknown>; texts?: Record<string, string> },
): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, "manifests"), { recursive: true });
  fs.mkdirSync(path.join(tmp, "configs"), { recursive: true });
  const names = new Set<string>();
  for (const object of kubernetesObjects(content.resources)) {
    const file = manifestFileName(object);
    if (names.has(file)) throw new Error(`two objects render to manifests/${file}`);
    names.add(file);
    fs.writeFileSync(path.join(tmp, "manifests", file), YAML.stringify(object, { lineWidth: 0 }));
  }
  for (const [file, text] of Object.entries(generatedDocuments(content.resources))) {
    const target = path.join(tmp, "configs", file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
  fs.writeFileSync(path.join(tmp, "resources.json"), `${JSON.stringify(content.resources, null, 2)}\n`);
  fs.writeFileSync(path.join(tmp, "summary.json"), `${JSON.stringify(content.summary, null, 2)}\n`);
  for (const [file, value] of Object.entries(content.extra ?? {})) {
    fs.writeFileSync(path.join(tmp, file), `${JSON.stringify(value, null, 2)}\n`);
  }
  for (const [file, text] of Object.entries(content.texts ?? {})) fs.writeFileSync(path.join(tmp, file), text);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(tmp, dir);
}
