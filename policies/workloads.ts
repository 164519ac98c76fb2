import { type Props, list, record, str } from "./common";
import { k8s } from "./tokens";

/**
 * Where each workload kind keeps its pod spec. Every pod-level rule reads pods through this table, so a new tier is
 * covered by the same rules whatever controller it uses.
 */
const podSpecPaths: Readonly<Record<string, readonly string[]>> = {
  [k8s.pod]: ["spec"],
  [k8s.deployment]: ["spec", "template", "spec"],
  [k8s.statefulSet]: ["spec", "template", "spec"],
  [k8s.daemonSet]: ["spec", "template", "spec"],
  [k8s.replicaSet]: ["spec", "template", "spec"],
  [k8s.replicationController]: ["spec", "template", "spec"],
  [k8s.job]: ["spec", "template", "spec"],
  [k8s.cronJob]: ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** Type tokens of every resource that carries a pod spec. */
export const workloadTypes: readonly string[] = Object.keys(podSpecPaths);

/** A pod spec found in a workload, with the key path it was found at (for messages). */
export interface PodSpecAt {
  path: string;
  spec: Props;
}

/** The pod spec of a workload, or undefined for a type that has none. */
export function podSpecOf(type: string, props: Props): PodSpecAt | undefined {
  const path = podSpecPaths[type];
  if (!path) {
    return undefined;
  }
  const spec = path.reduce<Props>((node, key) => record(node[key]), props);
  return { path: path.join("."), spec };
}

/** The pod template's labels (for PDB selection); a bare Pod's own labels. */
export function podLabelsOf(type: string, props: Props): Record<string, string> {
  const path = podSpecPaths[type];
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
