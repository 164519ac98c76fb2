import * as k8s from "@pulumi/kubernetes";
import type { Resources } from "../../config/common";
import { parseQuantity } from "./quantity";

type Input = k8s.types.input.core.v1.Container;

/** The non-root identity pods run as unless an image needs its own (documented where it is overridden). */
export const defaultUser = { uid: 65534, gid: 65534 } as const;

export interface Port {
  name: string;
  containerPort: number;
  protocol?: "TCP" | "UDP";
}

export interface Probes {
  readiness: k8s.types.input.core.v1.Probe;
  liveness: k8s.types.input.core.v1.Probe;
  startup?: k8s.types.input.core.v1.Probe;
}

/** What a tier says about one container; everything security-related is decided by {@link hardenedContainer}. */
export interface ContainerArgs {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: k8s.types.input.core.v1.EnvVar[];
  ports?: Port[];
  resources: Resources;
  volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
  /** Omitted only for run-to-completion or sidecar containers whose health is the main container's. */
  probes?: Probes;
  /** `Always` on an init container makes it a native sidecar: started before and stopped after the main containers. */
  restartPolicy?: "Always";
  /**
   * A named relaxation for one job: run as root with CAP_CHOWN as the only capability, to hand a node directory (a
   * hostPath the kubelet creates as root) to the pod's non-root user. Only the log agent's init container uses it.
   */
  chownsAsRoot?: true;
}

/**
 * Local ephemeral storage every container gets besides the scratch volumes it owns: room for its log files on the
 * node, which the kubelet rotates at containerLogMaxSize (default 10Mi) keeping containerLogMaxFiles (default 5), so
 * at most 50Mi. The root filesystem is read-only, so the writable layer stays empty.
 */
export const containerLogStorage = "64Mi";

/**
 * A container that runs as non-root with a read-only root filesystem, no privilege escalation, every capability
 * dropped and the runtime's default seccomp profile. Requests and a memory limit are always set, and ephemeral
 * storage is requested and limited at `storage` (see {@link ephemeralStorage}): without a request, any disk
 * use exceeds it and the pod is among the first evicted when the node runs short of disk.
 */
export function hardenedContainer(c: ContainerArgs, storage: string = containerLogStorage): Input {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: "IfNotPresent",
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(c.env ? { env: c.env } : {}),
    ...(c.ports ? { ports: c.ports.map((p) => ({ protocol: "TCP", ...p })) } : {}),
    resources: {
      requests: { cpu: c.resources.requests.cpu, memory: c.resources.requests.memory, "ephemeral-storage": storage },
      limits: {
        ...(c.resources.limits.cpu ? { cpu: c.resources.limits.cpu } : {}),
        memory: c.resources.limits.memory,
        "ephemeral-storage": storage,
      },
    },
    ...(c.volumeMounts ? { volumeMounts: c.volumeMounts } : {}),
    ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
    ...(c.probes
      ? { readinessProbe: c.probes.readiness, livenessProbe: c.probes.liveness, ...(c.probes.startup ? { startupProbe: c.probes.startup } : {}) }
      : {}),
    securityContext: {
      ...(c.chownsAsRoot ? { runAsUser: 0, runAsNonRoot: false } : { runAsNonRoot: true }),
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"], ...(c.chownsAsRoot ? { add: ["CHOWN"] } : {}) },
      seccompProfile: { type: "RuntimeDefault" },
    },
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
}

export interface PodArgs {
  containers: ContainerArgs[];
  initContainers?: ContainerArgs[];
  volumes?: k8s.types.input.core.v1.Volume[];
  serviceAccountName?: string;
  /**
   * Mount the ServiceAccount token. Off unless the workload talks to the Kubernetes API (service discovery,
   * k8sattributes). IRSA does not need it: the EKS pod identity webhook projects its own audience-bound token.
   */
  needsApiToken?: boolean;
  user?: { uid: number; gid: number };
  /**
   * Extra groups for reading files owned by another group. A named relaxation: only the log agent uses it (group 0,
   * to read the root-group, mode 0640 files under its read-only `/var/log/pods` mount).
   */
  supplementalGroups?: number[];
  affinity?: k8s.types.input.core.v1.Affinity;
  topologySpreadConstraints?: k8s.types.input.core.v1.TopologySpreadConstraint[];
  terminationGracePeriodSeconds?: number;
  priorityClassName?: string;
  tolerations?: k8s.types.input.core.v1.Toleration[];
}

/**
 * The ephemeral storage of each container (by name), requested and limited alike: {@link containerLogStorage} plus
 * the `sizeLimit` of every disk-backed emptyDir it is the first to mount (main containers before init containers).
 * The kubelet counts emptyDirs against the pod's limit, the sum of its containers' limits, so each scratch volume
 * belongs to exactly one container's share and the volume's own sizeLimit is reached before the pod's limit.
 * Memory-backed emptyDirs count against memory instead; a disk-backed one without a sizeLimit is refused.
 */
export function ephemeralStorage(p: Pick<PodArgs, "containers" | "initContainers" | "volumes">): Map<string, string> {
  const containers = [...p.containers, ...(p.initContainers ?? [])];
  const bytes = new Map(containers.map((c) => [c.name, parseQuantity(containerLogStorage)]));
  for (const volume of p.volumes ?? []) {
    const dir = volume.emptyDir as k8s.types.input.core.v1.EmptyDirVolumeSource | undefined;
    if (!dir || dir.medium === "Memory") continue;
    if (typeof dir.sizeLimit !== "string") throw new Error(`emptyDir "${volume.name}" has no sizeLimit: give every scratch volume one (scratchVolume)`);
    const owner = containers.find((c) => (c.volumeMounts ?? []).some((m) => m.name === volume.name));
    if (owner) bytes.set(owner.name, bytes.get(owner.name)! + parseQuantity(dir.sizeLimit));
  }
  return new Map([...bytes].map(([name, b]) => [name, `${Math.ceil(b / 2 ** 20)}Mi`]));
}

/** A pod spec whose every container is hardened, running as a non-root UID/GID with RuntimeDefault seccomp. */
export function hardenedPod(p: PodArgs): k8s.types.input.core.v1.PodSpec {
  const user = p.user ?? defaultUser;
  if (user.uid === 0 || user.gid === 0) throw new Error(`pods never run as root: got uid ${user.uid}, gid ${user.gid}`);
  const storage = ephemeralStorage(p);
  const harden = (c: ContainerArgs) => hardenedContainer(c, storage.get(c.name));
  return {
    ...(p.serviceAccountName ? { serviceAccountName: p.serviceAccountName } : {}),
    automountServiceAccountToken: p.needsApiToken ?? false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: user.uid,
      runAsGroup: user.gid,
      fsGroup: user.gid,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
      ...(p.supplementalGroups ? { supplementalGroups: p.supplementalGroups } : {}),
    },
    ...(p.initContainers ? { initContainers: p.initContainers.map(harden) } : {}),
    containers: p.containers.map(harden),
    ...(p.volumes ? { volumes: p.volumes } : {}),
    ...(p.affinity ? { affinity: p.affinity } : {}),
    ...(p.topologySpreadConstraints ? { topologySpreadConstraints: p.topologySpreadConstraints } : {}),
    ...(p.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: p.terminationGracePeriodSeconds } : {}),
    ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
    ...(p.tolerations ? { tolerations: p.tolerations } : {}),
    enableServiceLinks: false,
  };
}

/**
 * GOMEMLIMIT for a Go server: 80% of the container's memory limit. Without it the Go runtime lets the heap double
 * before collecting and the kernel kills the container first; with it the runtime collects harder as it nears the
 * limit, leaving the rest for stacks, buffers and the collectors' memory_limiter (which refuses data at 80%).
 */
export function goMemLimitEnv(resources: Resources): k8s.types.input.core.v1.EnvVar {
  const limitMiB = Math.floor(parseQuantity(resources.limits.memory) / 2 ** 20);
  return { name: "GOMEMLIMIT", value: `${Math.floor(limitMiB * 0.8)}MiB` };
}

/** An environment variable with a field of the pod itself, from the downward API. */
export function fieldEnv(name: string, fieldPath: "metadata.name" | "spec.nodeName" | "status.podIP"): k8s.types.input.core.v1.EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

/** HTTP readiness and liveness probes on one port; liveness is slower to fail so a busy pod is not killed. */
export function httpProbes(port: string | number, readyPath: string, livePath = readyPath, startupSeconds = 0): Probes {
  const get = (path: string) => ({ httpGet: { path, port } });
  return {
    readiness: { ...get(readyPath), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    liveness: { ...get(livePath), periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    ...(startupSeconds > 0
      ? { startup: { ...get(readyPath), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: Math.ceil(startupSeconds / 10) } }
      : {}),
  };
}

/** TCP probes for servers without an HTTP health endpoint (memcached). */
export function tcpProbes(port: string | number): Probes {
  return {
    readiness: { tcpSocket: { port }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    liveness: { tcpSocket: { port }, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 6 },
  };
}

/** A memory-backed or disk-backed scratch volume for the paths a read-only root filesystem still needs (e.g. /tmp). */
export function scratchVolume(name: string, sizeLimit = "64Mi"): k8s.types.input.core.v1.Volume {
  return { name, emptyDir: { sizeLimit } };
}
