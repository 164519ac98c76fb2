import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { toGoYaml } from "../../rules/yaml";

/**
 * Where the offline render writes the documents of a ConfigMap, relative to `out/<stack>/configs/` ("" for the top).
 * The render reads it from the object itself, so what it writes is byte for byte what the workload mounts.
 */
export const renderDirAnnotation = "observability.sigma.dev/render-dir";

/** Serialises a typed document by its file extension: `.json` as JSON, `.yml`/`.yaml` as YAML for Go readers. */
export function serializeDocument(file: string, document: unknown): string {
  if (typeof document === "string") return document;
  if (file.endsWith(".json")) return `${JSON.stringify(document, null, 2)}\n`;
  if (file.endsWith(".yml") || file.endsWith(".yaml")) return toGoYaml(document);
  throw new Error(`cannot serialise ${file}: only .json, .yml and .yaml documents are generated`);
}

/** A stable digest of serialised documents, put on pod templates so a config change rolls the pods. */
export function documentsChecksum(data: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const key of Object.keys(data).sort()) hash.update(key).update("\0").update(data[key]).update("\0");
  return hash.digest("hex");
}

export interface DocumentsArgs {
  name: string;
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  renderDir: string;
  /** File name -> typed document (serialised once, here). */
  documents: Record<string, unknown>;
}

/** A ConfigMap holding generated documents, with the checksum of its contents. */
export function documentsConfigMap(
  resourceName: string,
  args: DocumentsArgs,
  opts: pulumi.CustomResourceOptions,
): { configMap: k8s.core.v1.ConfigMap; checksum: string } {
  const data = Object.fromEntries(Object.entries(args.documents).map(([file, doc]) => [file, serializeDocument(file, doc)]));
  const configMap = new k8s.core.v1.ConfigMap(
    resourceName,
    {
      metadata: {
        name: args.name,
        namespace: args.namespace,
        labels: args.labels,
        annotations: { [renderDirAnnotation]: args.renderDir },
      },
      data,
    },
    opts,
  );
  return { configMap, checksum: documentsChecksum(data) };
}
