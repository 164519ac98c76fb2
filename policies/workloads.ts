import { type Props, list, record, str } from "./common";
import { k8s } from "./tokens";

/**
 * Where each workload kind keeps its pod spec. Every pod-level rule reads pods through this table, so a new tier is
 * covered by the same rules whatever controller it uses. Patch and List variants of every kind are derived below.
 */
const podSpecPaths: Readonly<Record<string, readonly string[]>> = {
  [k8s.pod]: ["spec"],
  [k8s.podTemplate]: ["template", "spec"],
  ...Object.fromEntries(k8s.templateWorkloads.map((t) => [t, ["spec", "template", "spec"]])),
  ...Object.fromEntries(k8s.cronJobs.map((t) => [t, ["spec", "jobTemplate", "spec", "template", "spec"]])),
};

/** `kubernetes:apps/v1:Deployment` -> `...:DeploymentPatch`: a server-side apply patch of the same object. */
const patchOf = (type: string) => `${type}Patch`;
/** `kubernetes:apps/v1:Deployment` -> `...:DeploymentList`: `items` of the same object. */
const listOf = (type: string) => `${type}List`;

/** Type tokens of resources that are one workload (a full object or a patch of one). */
const singleTypes: readonly string[] = Object.keys(podSpecPaths).flatMap((t) => [t, patchOf(t)]);

/**
 * Type tokens of every resource that carries a pod spec: each kind, its `*Patch` (which can rewrite the pod template
 * of an object it does not own) and its `*List` (whose `items` are full objects). A patch that carries no pod spec
 * does not touch the pod, so it is not checked; one that does must be hardened on its own, since the policy cannot
 * see the live object it merges into.
 */
export const workloadTypes: readonly string[] = [...singleTypes, ...Object.keys(podSpecPaths).map(listOf)];

function baseType(type: string): { base: string; patch: boolean; list: boolean } {
  for (const base of Object.keys(podSpecPaths)) {
    if (type === base) return { base, patch: false, list: false };
    if (type === patchOf(base)) return { base, patch: true, list: false };
    if (type === listOf(base)) return { base, patch: false, list: true };
  }
  return { base: type, patch: false, list: false };
}

/** A pod spec found in a workload, with the key path it was found at (for messages). */
export interface PodSpecAt {
  path: string;
  spec: Props;
  /** The object that owns the pod spec: the resource itself or, for a List, its item (metadata, kind). */
  owner: Props;
}

/** Every pod spec a resource carries: one for a workload, none for a patch that leaves the pod alone, one per List item. */
export function podSpecsOf(type: string, props: Props): PodSpecAt[] {
  const { base, patch, list: isList } = baseType(type);
  const path = podSpecPaths[base];
  if (!path) {
    return [];
  }
  const at = (owner: Props, prefix: string): PodSpecAt[] => {
    const found = path.reduce<unknown>((node, key) => (node === undefined ? undefined : record(node)[key]), owner);
    if (patch && found === undefined) return [];
    return [{ path: `${prefix}${path.join(".")}`, spec: record(found), owner }];
  };
  return isList ? list(props.items).flatMap((item, i) => at(record(item), `items[${i}].`)) : at(props, "");
}

/** The pod spec of a workload, or undefined for a type that has none. */
export function podSpecOf(type: string, props: Props): PodSpecAt | undefined {
  return podSpecsOf(type, props)[0];
}

/** The pod template's labels (for PDB selection); a bare Pod's own labels. */
export function podLabelsOf(type: string, props: Props): Record<string, string> {
  const path = podSpecPaths[baseType(type).base];
  if (!path) {
    return {};
  }
  const owner = path.slice(0, -1).reduce<Props>((node, key) => record(node[key]), props);
  return stringMap(record(owner.metadata).labels);
}

/** A container of a pod spec, named by its key path for violation messages. */
export interface ContainerAt {
  /** e.g. `spec.template.spec.initContainers[0] "fix-perms"` */
  where: string;
  container: Props;
}

/** Every container and init container of a pod spec (ephemeral containers are added at runtime, never declared). */
export function containersOf(pod: PodSpecAt): ContainerAt[] {
  return (["initContainers", "containers"] as const).flatMap((field) =>
    list(pod.spec[field]).map((c, i) => {
      const container = record(c);
      return { where: `${pod.path}.${field}[${i}] "${str(container.name) ?? "?"}"`, container };
    }),
  );
}

/** The security context a container runs with: its own fields over the pod's defaults, as the kubelet resolves them. */
export function effectiveSecurityContext(pod: PodSpecAt, container: Props): Props {
  const podContext = record(pod.spec.securityContext);
  const own = record(container.securityContext);
  return {
    runAsNonRoot: own.runAsNonRoot ?? podContext.runAsNonRoot,
    runAsUser: own.runAsUser ?? podContext.runAsUser,
    seccompProfile: own.seccompProfile ?? podContext.seccompProfile,
    privileged: own.privileged,
    allowPrivilegeEscalation: own.allowPrivilegeEscalation,
    capabilities: own.capabilities,
    readOnlyRootFilesystem: own.readOnlyRootFilesystem,
  };
}

/** Label selector semantics of `metav1.LabelSelector` (matchLabels AND matchExpressions). */
export function selectorMatches(selector: Props, labels: Record<string, string>): boolean {
  const matchLabels = stringMap(selector.matchLabels);
  const expressions = list(selector.matchExpressions).map(record);
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) {
    return true;
  }
  const labelsMatch = Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
  return labelsMatch && expressions.every((e) => expressionMatches(e, labels));
}

function expressionMatches(expression: Props, labels: Record<string, string>): boolean {
  const key = str(expression.key) ?? "";
  const values = list(expression.values).filter((v): v is string => typeof v === "string");
  const has = Object.prototype.hasOwnProperty.call(labels, key);
  switch (expression.operator) {
    case "In":
      return has && values.includes(labels[key]);
    case "NotIn":
      return !has || !values.includes(labels[key]);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    default:
      return false;
  }
}

/** String-valued entries of an untyped map. */
export function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record(value)).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}
