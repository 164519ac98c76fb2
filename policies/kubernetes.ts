import { posix } from "node:path";
import type { PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { type Props, configWithDefaults, describe, forTypes, k8sId, list, record, str } from "./common";
import { findCredentialsInDocument } from "./credentials";
import { k8s } from "./tokens";
import { type PodSpecAt, containersOf, effectiveSecurityContext, podSpecsOf, stringMap, workloadTypes } from "./workloads";

/**
 * Runs a check on every pod spec of every resource that carries one (workloads, their Patch and List variants, bare
 * Pods and PodTemplates). `props` is the object owning the pod spec: the resource, or the List item.
 */
function forWorkloads(
  check: (pod: PodSpecAt, props: Props, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
) {
  return forTypes(workloadTypes, (props, args, reportViolation) => {
    for (const pod of podSpecsOf(args.type, props)) {
      check(pod, pod.owner, args, reportViolation);
    }
  });
}

/** The kind, namespace and name of the workload a resource is (a patch is the workload it patches). */
function workloadOf(props: Props, args: ResourceValidationArgs): { kind: string; namespace: string; name: string } {
  const metadata = record(props.metadata);
  return {
    kind: str(props.kind) ?? (args.type.split(":").pop() ?? args.type).replace(/(?:Patch|List)$/, ""),
    namespace: str(metadata.namespace) ?? "default",
    name: str(metadata.name) ?? args.name,
  };
}

/** Whether an allow-list entry names this workload. */
function isWorkload(entry: { kind: string; namespace: string; name: string }, w: { kind: string; namespace: string; name: string }): boolean {
  return entry.kind === w.kind && entry.namespace === w.namespace && entry.name === w.name;
}

export interface ChownContainer {
  kind: string;
  namespace: string;
  name: string;
  container: string;
}

/**
 * The one exception to non-root and drop-ALL: an init container that runs as root with CAP_CHOWN alone, to hand a
 * node directory (which the kubelet creates as root) to the pod's non-root user.
 */
const chownContainersSchema: PolicyConfigSchema = {
  properties: {
    chownContainers: {
      type: "array",
      description: "Init containers that may run as UID 0 and add CHOWN (and nothing else) to take ownership of a writable hostPath.",
      items: {
        type: "object",
        properties: { kind: { type: "string" }, namespace: { type: "string" }, name: { type: "string" }, container: { type: "string" } },
        required: ["kind", "namespace", "name", "container"],
      },
      default: [{ kind: "DaemonSet", namespace: "log-agents", name: "log-agent", container: "state-owner" }],
    },
  },
};

/** Whether the container at `where` is an allow-listed chown init container of this workload. */
function isChownContainer(props: Props, args: ResourceValidationArgs, where: string, container: Props): boolean {
  const { chownContainers } = configWithDefaults<{ chownContainers: ChownContainer[] }>(chownContainersSchema, args);
  const w = workloadOf(props, args);
  return where.includes(".initContainers[") && chownContainers.some((a) => isWorkload(a, w) && a.container === str(container.name));
}

export const runAsNonRoot: ResourceValidationPolicy = {
  name: "k8s-run-as-non-root",
  description:
    "Containers and init containers run as a non-root user (runAsNonRoot at pod or container level, UID != 0); only " +
    "allow-listed chown init containers may run as root.",
  enforcementLevel: "mandatory",
  configSchema: chownContainersSchema,
  validateResource: forWorkloads((pod, props, args, reportViolation) => {
    for (const { where, container } of containersOf(pod)) {
      if (isChownContainer(props, args, where, container)) continue;
      const context = effectiveSecurityContext(pod, container);
      if (context.runAsUser === 0) {
        reportViolation(`${where}: securityContext.runAsUser is 0; must be a non-zero UID`);
      }
      if (context.runAsNonRoot !== true) {
        reportViolation(
          `${where}: securityContext.runAsNonRoot is ${describe(context.runAsNonRoot)} at container and pod level; must be true`,
        );
      }
    }
  }),
};

export const noPrivilegedContainers: ResourceValidationPolicy = {
  name: "k8s-no-privileged-containers",
  description: "No container runs privileged.",
  enforcementLevel: "mandatory",
  validateResource: forWorkloads((pod, _props, _args, reportViolation) => {
    for (const { where, container } of containersOf(pod)) {
      if (record(container.securityContext).privileged === true) {
        reportViolation(`${where}: securityContext.privileged is true; must be false or unset`);
      }
    }
  }),
};

export const noPrivilegeEscalation: ResourceValidationPolicy = {
  name: "k8s-no-privilege-escalation",
  description: "Every container sets allowPrivilegeEscalation: false (Linux allows escalation when it is unset).",
  enforcementLevel: "mandatory",
  validateResource: forWorkloads((pod, _props, _args, reportViolation) => {
    for (const { where, container } of containersOf(pod)) {
      const value = record(container.securityContext).allowPrivilegeEscalation;
      if (value !== false) {
        reportViolation(`${where}: securityContext.allowPrivilegeEscalation is ${describe(value)}; must be false`);
      }
    }
  }),
};

/** The one capability Pod Security "restricted" lets a container add back. */
const addableCapabilities = ["NET_BIND_SERVICE"];

export const dropAllCapabilities: ResourceValidationPolicy = {
  name: "k8s-drop-all-capabilities",
  description:
    `Every container drops ALL capabilities and adds back at most ${addableCapabilities.join(", ")}; allow-listed ` +
    "chown init containers add CHOWN only.",
  enforcementLevel: "mandatory",
  configSchema: chownContainersSchema,
  validateResource: forWorkloads((pod, props, args, reportViolation) => {
    for (const { where, container } of containersOf(pod)) {
      const capabilities = record(record(container.securityContext).capabilities);
      if (!list(capabilities.drop).includes("ALL")) {
        reportViolation(`${where}: securityContext.capabilities.drop is ${describe(capabilities.drop)}; must include "ALL"`);
      }
      const addable = isChownContainer(props, args, where, container) ? ["CHOWN"] : addableCapabilities;
      for (const added of list(capabilities.add)) {
        if (!addable.includes(String(added))) {
          reportViolation(
            `${where}: securityContext.capabilities.add contains ${describe(added)}; only ${addable.map((c) => `"${c}"`).join(", ")} may be added`,
          );
        }
      }
    }
  }),
};

export const readOnlyRootFilesystem: ResourceValidationPolicy = {
  name: "k8s-read-only-root-filesystem",
  description: "Every container mounts its root filesystem read-only; writable paths are explicit volumes.",
  enforcementLevel: "mandatory",
  validateResource: forWorkloads((pod, _props, _args, reportViolation) => {
    for (const { where, container } of containersOf(pod)) {
      const value = record(container.securityContext).readOnlyRootFilesystem;
      if (value !== true) {
        reportViolation(`${where}: securityContext.readOnlyRootFilesystem is ${describe(value)}; must be true`);
      }
    }
  }),
};

const allowedSeccompTypes = ["RuntimeDefault", "Localhost"];

export const seccompRuntimeDefault: ResourceValidationPolicy = {
  name: "k8s-seccomp-runtime-default",
  description: "Every container runs under the RuntimeDefault seccomp profile (or a stricter Localhost one).",
  enforcementLevel: "mandatory",
  validateResource: forWorkloads((pod, _props, _args, reportViolation) => {
    for (const { where, container } of containersOf(pod)) {
      const type = record(effectiveSecurityContext(pod, container).seccompProfile).type;
      if (!allowedSeccompTypes.includes(String(type))) {
        reportViolation(
          `${where}: securityContext.seccompProfile.type is ${describe(type)} at container and pod level; must be "RuntimeDefault" or "Localhost"`,
        );
      }
    }
  }),
};

export const noHostNamespaces: ResourceValidationPolicy = {
  name: "k8s-no-host-namespaces",
  description: "No pod shares the node's network, PID or IPC namespace.",
  enforcementLevel: "mandatory",
  validateResource: forWorkloads((pod, _props, _args, reportViolation) => {
    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
      if (pod.spec[field] === true) {
        reportViolation(`${pod.path}.${field} is true; must be false or unset`);
      }
    }
  }),
};

/** An allow-list entry: the one workload (by kind, namespace and name) that may mount the listed host paths. */
export interface HostPathAllowance {
  kind: string;
  namespace: string;
  name: string;
  /** Mounted read-only. */
  paths: string[];
  /** May be mounted writable: the workload's own state on the node. */
  writablePaths?: string[];
}

export interface HostPathConfig {
  allowList: HostPathAllowance[];
}

/** Whether a host path is an allowed path or below it, after resolving `..` so it cannot climb out. */
export function isUnderPath(hostPath: string, allowed: string): boolean {
  const normalise = (p: string) => posix.normalize(p).replace(/\/+$/, "");
  return normalise(hostPath) === normalise(allowed) || normalise(hostPath).startsWith(`${normalise(allowed)}/`);
}

const hostPathSchema: PolicyConfigSchema = {
  properties: {
    allowList: {
      type: "array",
      description: "Workloads that may mount host paths (the log agent reads container logs from the node).",
      items: {
        type: "object",
        properties: {
          kind: { type: "string", description: "Workload kind, e.g. DaemonSet." },
          namespace: { type: "string" },
          name: { type: "string" },
          paths: { type: "array", items: { type: "string" }, description: "Allowed host paths (and below), mounted read-only." },
          writablePaths: { type: "array", items: { type: "string" }, description: "Host paths (and below) it may also mount writable: its own state." },
        },
        required: ["kind", "namespace", "name", "paths"],
      },
      // containerd writes pod logs under /var/log/pods; /var/lib/docker/containers is only needed with dockershim. The
      // agent keeps its read offsets and export queue under /var/lib/sigma-observability.
      default: [{ kind: "DaemonSet", namespace: "log-agents", name: "log-agent", paths: ["/var/log/pods"], writablePaths: ["/var/lib/sigma-observability"] }],
    },
  },
};

export const hostPathAllowList: ResourceValidationPolicy = {
  name: "k8s-host-path-allow-list",
  description:
    "hostPath volumes only in allow-listed node agents, only for their listed paths, mounted read-only except the agent's own state paths.",
  enforcementLevel: "mandatory",
  configSchema: hostPathSchema,
  validateResource: forWorkloads((pod, props, args, reportViolation) => {
    const { allowList } = configWithDefaults<HostPathConfig>(hostPathSchema, args);
    const w = workloadOf(props, args);
    const { kind, namespace, name } = w;
    const allowance = allowList.find((a) => isWorkload(a, w));
    const writable = allowance?.writablePaths ?? [];
    const readOnlyHostVolumes = new Set<string>();
    list(pod.spec.volumes).forEach((v, i) => {
      const volume = record(v);
      const path = str(record(volume.hostPath).path);
      if (path === undefined) {
        return;
      }
      const volumeName = str(volume.name) ?? "?";
      const where = `${pod.path}.volumes[${i}] "${volumeName}"`;
      if (!allowance) {
        reportViolation(`${where}: hostPath ${describe(path)} is not allowed; ${kind} ${namespace}/${name} is not on the allow-list`);
      } else if (!writable.some((allowed) => isUnderPath(path, allowed)) && !allowance.paths.some((allowed) => isUnderPath(path, allowed))) {
        reportViolation(`${where}: hostPath ${describe(path)} is not allowed; allowed paths: ${[...allowance.paths.map((p) => `${p} (read-only)`), ...writable.map((p) => `${p} (writable)`)].join(", ")}`);
      }
      if (!writable.some((allowed) => isUnderPath(path, allowed))) readOnlyHostVolumes.add(volumeName);
    });
    for (const { where, container } of containersOf(pod)) {
      for (const m of list(container.volumeMounts)) {
        const mount = record(m);
        if (readOnlyHostVolumes.has(String(mount.name)) && mount.readOnly !== true) {
          reportViolation(`${where}: volumeMounts "${String(mount.name)}" (hostPath) has readOnly ${describe(mount.readOnly)}; must be true`);
        }
      }
    }
  }),
};

export interface ResourcesConfig {
  requireCpuLimit: boolean;
}

const resourcesSchema: PolicyConfigSchema = {
  properties: {
    requireCpuLimit: {
      type: "boolean",
      // CPU limits throttle latency-sensitive pods even when the node is idle; memory is the incompressible resource.
      description: "Also require resources.limits.cpu.",
      default: false,
    },
  },
};

export const resourceRequestsAndLimits: ResourceValidationPolicy = {
  name: "k8s-resource-requests-and-limits",
  description: "Every container requests CPU and memory and has a memory limit (a CPU limit when configured).",
  enforcementLevel: "mandatory",
  configSchema: resourcesSchema,
  validateResource: forWorkloads((pod, _props, args, reportViolation) => {
    const { requireCpuLimit } = configWithDefaults<ResourcesConfig>(resourcesSchema, args);
    const required = [
      ["requests", "cpu"],
      ["requests", "memory"],
      ["limits", "memory"],
      ...(requireCpuLimit ? [["limits", "cpu"]] : []),
    ];
    for (const { where, container } of containersOf(pod)) {
      const resources = record(container.resources);
      for (const [section, resource] of required) {
        const value = record(resources[section])[resource];
        if (value === undefined || value === null || value === "" || value === 0 || value === "0") {
          reportViolation(`${where}: resources.${section}.${resource} is ${describe(value)}; must be set`);
        }
      }
    }
  }),
};

/** Splits an image reference into its tag and digest (`registry:5000/repo/name:tag@sha256:...`). */
export function parseImage(image: string): { tag?: string; digest?: string } {
  const [nameAndTag, digest] = image.split("@", 2);
  const lastSegment = nameAndTag.slice(nameAndTag.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  return { tag: colon >= 0 ? lastSegment.slice(colon + 1) : undefined, digest };
}

export interface ImagesConfig {
  forbiddenTags: string[];
}

const imagesSchema: PolicyConfigSchema = {
  properties: {
    forbiddenTags: {
      type: "array",
      items: { type: "string" },
      description: "Mutable tags that do not pin a version.",
      default: ["latest"],
    },
  },
};

export const imagesPinned: ResourceValidationPolicy = {
  name: "k8s-images-pinned",
  description: "Every image is pinned to a version tag or a digest; no missing tag and no mutable tag such as latest.",
  enforcementLevel: "mandatory",
  configSchema: imagesSchema,
  validateResource: forWorkloads((pod, _props, args, reportViolation) => {
    const { forbiddenTags } = configWithDefaults<ImagesConfig>(imagesSchema, args);
    for (const { where, container } of containersOf(pod)) {
      const image = str(container.image);
      if (!image) {
        reportViolation(`${where}: image is ${describe(container.image)}; must be a pinned image reference`);
        continue;
      }
      const { tag, digest } = parseImage(image);
      if (digest) {
        continue;
      }
      if (tag === undefined) {
        reportViolation(`${where}: image ${describe(image)} has no tag; must pin a version tag or a digest`);
      } else if (forbiddenTags.includes(tag)) {
        reportViolation(`${where}: image ${describe(image)} uses the mutable tag ${describe(tag)}; must pin a version tag or a digest`);
      }
    }
  }),
};

/** Whether a TLS host entry (possibly a `*.` wildcard, which covers exactly one label) covers a rule host. */
export function tlsHostCovers(tlsHost: string, host: string): boolean {
  const [pattern, name] = [tlsHost.toLowerCase(), host.toLowerCase()];
  if (pattern.startsWith("*.")) {
    const suffix = pattern.slice(1);
    const label = name.slice(0, -suffix.length);
    return name.endsWith(suffix) && label.length > 0 && !label.includes(".");
  }
  return pattern === name;
}

export const ingressTls: ResourceValidationPolicy = {
  name: "k8s-ingress-tls",
  description: "Every Ingress terminates TLS for every host it routes (spec.tls covers all spec.rules hosts).",
  enforcementLevel: "mandatory",
  validateResource: forTypes([k8s.ingress], (props, _args, reportViolation) => {
    const spec = record(props.spec);
    const tlsHosts = list(spec.tls).flatMap((t) => list(record(t).hosts).map(String));
    if (spec.defaultBackend !== undefined) {
      reportViolation("spec.defaultBackend is set; must be unset because it serves any host and spec.tls cannot cover it");
    }
    list(spec.rules).forEach((r, i) => {
      const host = str(record(r).host);
      if (!host) {
        reportViolation(`spec.rules[${i}].host is unset; must be set so spec.tls can cover it`);
      } else if (!tlsHosts.some((tlsHost) => tlsHostCovers(tlsHost, host))) {
        reportViolation(`spec.rules[${i}].host ${describe(host)} is not covered by spec.tls[].hosts ${describe(tlsHosts)}`);
      }
    });
  }),
};

export interface ServicesConfig {
  allowedServices: string[];
}

const servicesSchema: PolicyConfigSchema = {
  properties: {
    allowedServices: {
      type: "array",
      items: { type: "string" },
      description: "Services (namespace/name) allowed to be LoadBalancer or NodePort.",
      default: [],
    },
  },
};

export const noExternalServices: ResourceValidationPolicy = {
  name: "k8s-no-external-services",
  description: "No Service of type LoadBalancer or NodePort unless allow-listed; traffic enters through a TLS Ingress.",
  enforcementLevel: "mandatory",
  configSchema: servicesSchema,
  validateResource: forTypes([k8s.service], (props, args, reportViolation) => {
    const { allowedServices } = configWithDefaults<ServicesConfig>(servicesSchema, args);
    const type = record(props.spec).type;
    if ((type === "LoadBalancer" || type === "NodePort") && !allowedServices.includes(k8sId(props, args.name))) {
      reportViolation(`spec.type is ${describe(type)}; must be ClusterIP unless ${k8sId(props, args.name)} is in allowedServices`);
    }
  }),
};

const podSecurityLevels = ["privileged", "baseline", "restricted"];
const podSecurityLabel = (mode: string) => `pod-security.kubernetes.io/${mode}`;

export interface PodSecurityConfig {
  exemptNamespaces: string[];
}

const podSecuritySchema: PolicyConfigSchema = {
  properties: {
    exemptNamespaces: {
      type: "array",
      items: { type: "string" },
      description: "Namespaces that may enforce a lower level (the log agent needs hostPath, which only privileged allows).",
      default: ["log-agents"],
    },
  },
};

export const namespacePodSecurity: ResourceValidationPolicy = {
  name: "k8s-namespace-pod-security",
  description:
    'Every Namespace carries Pod Security Admission labels: enforce "restricted" (exempted node-agent namespaces may ' +
    'enforce a lower level) and audit and warn at "restricted", so anything non-compliant is still reported.',
  enforcementLevel: "mandatory",
  configSchema: podSecuritySchema,
  validateResource: forTypes([k8s.namespace], (props, args, reportViolation) => {
    const { exemptNamespaces } = configWithDefaults<PodSecurityConfig>(podSecuritySchema, args);
    const name = str(record(props.metadata).name) ?? args.name;
    const labels = stringMap(record(props.metadata).labels);
    const exempt = exemptNamespaces.includes(name);
    for (const mode of ["enforce", "audit", "warn"]) {
      const level = labels[podSecurityLabel(mode)];
      const where = `metadata.labels["${podSecurityLabel(mode)}"]`;
      if (mode === "enforce" && exempt) {
        if (!podSecurityLevels.includes(level)) {
          reportViolation(`${where} is ${describe(level)}; must be one of ${podSecurityLevels.map((l) => `"${l}"`).join(", ")}`);
        }
      } else if (level !== "restricted") {
        const exception = mode === "enforce" ? " (only exemptNamespaces may enforce a lower level)" : "";
        reportViolation(`${where} is ${describe(level)}; must be "restricted"${exception}`);
      }
    }
  }),
};

export const noWildcardRbac: ResourceValidationPolicy = {
  name: "k8s-no-wildcard-rbac",
  description: 'No Role or ClusterRole grants "*" verbs or resources, and no binding grants cluster-admin.',
  enforcementLevel: "mandatory",
  validateResource: forTypes(
    [...k8s.roles, ...k8s.bindings],
    (props, args, reportViolation) => {
      if (k8s.bindings.includes(args.type)) {
        const role = record(props.roleRef).name;
        if (role === "cluster-admin") {
          reportViolation(`roleRef.name is ${describe(role)}; must be a role that lists only what its subjects need`);
        }
        return;
      }
      list(props.rules).forEach((r, i) => {
        for (const field of ["verbs", "resources"]) {
          if (list(record(r)[field]).includes("*")) {
            reportViolation(`rules[${i}].${field} contains "*"; must list only what the role needs`);
          }
        }
      });
    },
  ),
};

/** A ConfigMap's `binaryData` entry as text when it decodes to UTF-8 text (a gzip or image is skipped). */
function decodedText(base64: unknown): string | undefined {
  if (typeof base64 !== "string") return undefined;
  const text = Buffer.from(base64, "base64").toString("utf8");
  return text.includes("\uFFFD") || /[\u0000-\u0008\u000E-\u001F]/.test(text) ? undefined : text;
}

export const configMapNoCredentials: ResourceValidationPolicy = {
  name: "k8s-configmap-no-credentials",
  description:
    "ConfigMaps hold no credential-looking values, in any line or (for JSON and YAML, block scalars and documents " +
    "embedded in strings) any value; credentials live in Secrets and are mounted as files.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([k8s.configMap], (props, args, reportViolation) => {
    const id = `ConfigMap ${k8sId(props, args.name)}`;
    const entries: Array<[string, string]> = [
      ...Object.entries(record(props.data)).map(([key, value]): [string, string] => [`data["${key}"]`, typeof value === "string" ? value : JSON.stringify(value)]),
      ...Object.entries(record(props.binaryData)).flatMap(([key, value]): Array<[string, string]> => {
        const text = decodedText(value);
        return text === undefined ? [] : [[`binaryData["${key}"] (decoded)`, text]];
      }),
    ];
    for (const [field, text] of entries) {
      const key = /\["(.*)"\]/.exec(field)![1];
      for (const finding of findCredentialsInDocument(text, "", key)) {
        const at = finding.path ? ` at ${finding.path}` : "";
        reportViolation(
          `${id} ${field}${at} contains ${finding.what}; must come from a Secret (mount it as a file and reference it, e.g. *_file: /path, \${VAR} or $__file{/path})`,
        );
      }
    }
  }),
};

export const explicitServiceAccountToken: ResourceValidationPolicy = {
  name: "k8s-explicit-service-account-token",
  description: "Every pod states whether it mounts a service account token, so API access is a decision, not a default.",
  enforcementLevel: "advisory",
  validateResource: forWorkloads((pod, _props, _args, reportViolation) => {
    if (typeof pod.spec.automountServiceAccountToken !== "boolean") {
      reportViolation(
        `${pod.path}.automountServiceAccountToken is ${describe(pod.spec.automountServiceAccountToken)}; must be true or false`,
      );
    }
  }),
};

/** Why a NetworkPolicy peer admits everyone, or undefined when it is narrower. */
function openPeer(peer: Props): string | undefined {
  const ipBlock = record(peer.ipBlock);
  if (str(ipBlock.cidr) === "0.0.0.0/0" || str(ipBlock.cidr) === "::/0") return `ipBlock ${str(ipBlock.cidr)} (every address)`;
  const namespaces = peer.namespaceSelector === undefined ? undefined : record(peer.namespaceSelector);
  const pods = peer.podSelector === undefined ? undefined : record(peer.podSelector);
  const empty = (sel: Props | undefined) => sel !== undefined && Object.keys(record(sel.matchLabels)).length === 0 && list(sel.matchExpressions).length === 0;
  if (empty(namespaces) && (pods === undefined || empty(pods))) return "namespaceSelector {} (every pod of every namespace)";
  return undefined;
}

export const networkPolicyNotOpen: ResourceValidationPolicy = {
  name: "k8s-network-policy-not-open",
  description:
    "No NetworkPolicy admits everyone: every ingress rule names its sources, no peer is every namespace or every " +
    "address, and an egress rule to everywhere is limited to ports.",
  enforcementLevel: "mandatory",
  validateResource: forTypes([k8s.networkPolicy], (props, _args, reportViolation) => {
    const spec = record(props.spec);
    list(spec.ingress).forEach((r, i) => {
      const rule = record(r);
      const peers = list(rule.from);
      if (peers.length === 0) reportViolation(`spec.ingress[${i}]: from is ${describe(rule.from)}; must name the sources it admits (unset admits every source)`);
      peers.forEach((p, j) => {
        const open = openPeer(record(p));
        if (open) reportViolation(`spec.ingress[${i}].from[${j}]: ${open}; must name the sources it admits`);
      });
    });
    list(spec.egress).forEach((r, i) => {
      const rule = record(r);
      const peers = list(rule.to);
      const everywhere = peers.length === 0 ? "to is unset (every destination)" : peers.map((p) => openPeer(record(p))).find((x) => x !== undefined);
      if (everywhere && list(rule.ports).length === 0) {
        reportViolation(`spec.egress[${i}]: ${everywhere} on every port; must name its destinations or its ports`);
      }
    });
  }),
};

/** A workload that talks to the Kubernetes API and so may mount a service account token. */
export interface ApiClient {
  kind: string;
  namespace: string;
  name: string;
}

const apiClientsSchema: PolicyConfigSchema = {
  properties: {
    apiClients: {
      type: "array",
      description: "Workloads that call the Kubernetes API (discovery, k8s_attributes) and so may mount a token.",
      items: {
        type: "object",
        properties: { kind: { type: "string" }, namespace: { type: "string" }, name: { type: "string" } },
        required: ["kind", "namespace", "name"],
      },
      default: [
        { kind: "StatefulSet", namespace: "monitoring", name: "prometheus" },
        { kind: "DaemonSet", namespace: "tracing", name: "otel-agent" },
        { kind: "DaemonSet", namespace: "log-agents", name: "log-agent" },
      ],
    },
  },
};

export const apiTokenOnlyForApiClients: ResourceValidationPolicy = {
  name: "k8s-api-token-only-for-api-clients",
  description:
    "Only workloads that call the Kubernetes API mount a service account token; every other pod sets " +
    "automountServiceAccountToken: false (unset mounts one).",
  enforcementLevel: "mandatory",
  configSchema: apiClientsSchema,
  validateResource: forWorkloads((pod, props, args, reportViolation) => {
    const { apiClients } = configWithDefaults<{ apiClients: ApiClient[] }>(apiClientsSchema, args);
    const w = workloadOf(props, args);
    if (apiClients.some((a) => isWorkload(a, w))) return;
    const value = pod.spec.automountServiceAccountToken;
    if (value !== false) {
      reportViolation(
        `${pod.path}.automountServiceAccountToken is ${describe(value)}; must be false: ${w.kind} ${w.namespace}/${w.name} ` +
          `is not a Kubernetes API client (allowed: ${apiClients.map((a) => `${a.kind} ${a.namespace}/${a.name}`).join(", ")})`,
      );
    }
  }),
};

/** Every Kubernetes resource policy, in report order. */
export const kubernetesPolicies: ResourceValidationPolicy[] = [
  runAsNonRoot,
  noPrivilegedContainers,
  noPrivilegeEscalation,
  dropAllCapabilities,
  readOnlyRootFilesystem,
  seccompRuntimeDefault,
  noHostNamespaces,
  hostPathAllowList,
  resourceRequestsAndLimits,
  imagesPinned,
  ingressTls,
  noExternalServices,
  namespacePodSecurity,
  noWildcardRbac,
  configMapNoCredentials,
  explicitServiceAccountToken,
  apiTokenOnlyForApiClients,
  networkPolicyNotOpen,
];
