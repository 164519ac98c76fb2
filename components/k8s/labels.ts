/**
 * Names and labels for every Kubernetes object the stack creates. One helper, so selectors, PDBs and NetworkPolicies
 * always agree with the pods they mean.
 */

export const partOf = "sigma-observability";

/** Recommended labels (app.kubernetes.io/*) of one application component. */
export interface AppIdentity {
  /** The application, e.g. `prometheus`, `loki`, `otel-collector`. */
  app: string;
  /** Its role in the stack, e.g. `server`, `gateway`, `agent`, `chunks-cache`. */
  component: string;
  /** The deployed instance name; also the object name (see {@link objectName}). */
  instance: string;
  version?: string;
}

/** Labels that select the pods of one instance; stable across upgrades, so they never include the version. */
export function selectorLabels(id: AppIdentity): Record<string, string> {
  return {
    "app.kubernetes.io/name": id.app,
    "app.kubernetes.io/instance": id.instance,
    "app.kubernetes.io/component": id.component,
  };
}

/** Every label an object of this instance carries. Keys the stack must control are written last. */
export function labelsFor(id: AppIdentity, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    ...(id.version ? { "app.kubernetes.io/version": id.version } : {}),
    ...selectorLabels(id),
    "app.kubernetes.io/part-of": partOf,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/** The version part of a pinned image reference (`repo:v1.2.3@sha256:...` -> `v1.2.3`), a valid label value. */
export function imageVersion(image: string): string {
  const tag = image.split("@")[0].split("/").pop()!.split(":")[1] ?? "";
  return tag.replace(/[^A-Za-z0-9._-]/g, "").slice(0, 63);
}

/** The identity of a workload at the image it runs, so the version label follows the configured image. */
export function identityAt(id: AppIdentity, image: string): AppIdentity {
  return { ...id, version: imageVersion(image) };
}

/**
 * The `metadata.name` of an object: lowercase DNS-1123, at most 63 characters. Explicit names keep renders stable and
 * stop the provider from appending a random suffix.
 */
export function objectName(...parts: string[]): string {
  const name = parts
    .filter(Boolean)
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (name.length === 0 || name.length > 63) {
    throw new Error(`object name "${name}" (from ${JSON.stringify(parts)}) must be 1-63 characters`);
  }
  return name;
}

/**
 * `metadata.name` of a workload's peer Service, `<instance>-headless`: the headless Service publishing every pod, ready
 * or not, beside the Service clients use (the naming rule is in service.ts). Pod DNS names and gossip peers use it.
 */
export function peerServiceName(id: AppIdentity): string {
  return objectName(peerServicesNamedBeforeTheRule[id.instance] ?? `${id.instance}-headless`);
}

/**
 * Peer Services that govern a StatefulSet and were named before the rule. A StatefulSet's `serviceName` cannot change
 * in place: renaming its peer Service would delete and recreate the StatefulSet, taking every replica down at once, so
 * these keep their names.
 */
export const peerServicesNamedBeforeTheRule: Readonly<Record<string, string>> = { loki: "loki-memberlist" };

/** `metadata` for a namespaced object of an instance. */
export function metadataFor(id: AppIdentity, namespace: string, name = id.instance, annotations?: Record<string, string>) {
  return { name: objectName(name), namespace, labels: labelsFor(id), ...(annotations ? { annotations } : {}) };
}

/**
 * The Pulumi logical name of a Kubernetes object a component registers: `<component>-<metadata.name>`. The URN
 * carries the type, so a Service, a StatefulSet and a NetworkPolicy of one workload may share it; the Kubernetes name
 * is unique per kind in a namespace, and a tier's namespaces hold no two objects of one kind and name, so the logical
 * name is unique too. Prefixing the component's name keeps two instances of a component apart.
 */
export function childName(component: string, metadataName: string): string {
  return `${component}-${metadataName}`;
}
