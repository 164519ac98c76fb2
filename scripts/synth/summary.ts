import { parseQuantity } from "../../components/k8s/quantity";
import type { CostEstimate } from "../../components/s3-archive/cost-model";
import { RecordedResource } from "./types";

export interface Totals {
  cpuRequests: number;
  cpuLimits: number;
  memoryRequestsBytes: number;
  memoryLimitsBytes: number;
}

export interface StackSummary {
  stack: string;
  environment: string;
  resourceCount: number;
  /** Resources per type, over the whole stack. */
  byType: Record<string, number>;
  /** Resources per top-level component, then per type. */
  byComponent: Record<string, Record<string, number>>;
  /** Requests and limits of every replica of every Deployment and StatefulSet. */
  workloads: Totals;
  /** Requests and limits of one pod of every DaemonSet: multiply by the node count. */
  perNode: Totals;
  /** Persistent volume storage requested, by StorageClass, in bytes (claim templates x replicas, plus claims). */
  storageBytes: Record<string, number>;
  /** Storage provisioned outside Kubernetes (RDS, OpenSearch), in GiB. */
  awsStorageGiB: Record<string, number>;
  /** The S3 log storage cost model for this stack's archive settings, when it has an archive. */
  logStorageCost?: CostEstimate;
}

const zero = (): Totals => ({ cpuRequests: 0, cpuLimits: 0, memoryRequestsBytes: 0, memoryLimitsBytes: 0 });

/** Counts, compute and storage of a rendered stack, from its recorded resources alone. */
export function summarize(stack: string, environment: string, resources: RecordedResource[], logStorageCost?: CostEstimate): StackSummary {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const componentOf = (r: RecordedResource): string => {
    let cur = r;
    while (cur.parent && byUrn.has(cur.parent)) cur = byUrn.get(cur.parent)!;
    return cur === r && !r.custom ? r.name : cur.custom ? "(stack)" : cur.name;
  };
  const summary: StackSummary = {
    stack,
    environment,
    resourceCount: 0,
    byType: {},
    byComponent: {},
    workloads: zero(),
    perNode: zero(),
    storageBytes: {},
    awsStorageGiB: {},
    ...(logStorageCost ? { logStorageCost } : {}),
  };
  for (const r of resources) {
    if (!r.custom || r.type.startsWith("pulumi:providers:")) continue;
    summary.resourceCount++;
    summary.byType[r.type] = (summary.byType[r.type] ?? 0) + 1;
    const component = componentOf(r);
    summary.byComponent[component] ??= {};
    summary.byComponent[component][r.type] = (summary.byComponent[component][r.type] ?? 0) + 1;
    addCompute(summary, r);
    addStorage(summary, r);
  }
  return summary;
}

function addCompute(summary: StackSummary, r: RecordedResource) {
  const kind = r.inputs.kind;
  if (!["Deployment", "StatefulSet", "DaemonSet"].includes(kind)) return;
  const target = kind === "DaemonSet" ? summary.perNode : summary.workloads;
  const replicas = kind === "DaemonSet" ? 1 : (r.inputs.spec?.replicas ?? 1);
  const pod = r.inputs.spec?.template?.spec ?? {};
  // Init containers run before the pod's containers, not beside them, so only containers add to the footprint.
  for (const c of pod.containers ?? []) {
    const q = (v: string | undefined) => (v ? parseQuantity(v) * replicas : 0);
    target.cpuRequests += q(c.resources?.requests?.cpu);
    target.cpuLimits += q(c.resources?.limits?.cpu);
    target.memoryRequestsBytes += q(c.resources?.requests?.memory);
    target.memoryLimitsBytes += q(c.resources?.limits?.memory);
  }
}

function addStorage(summary: StackSummary, r: RecordedResource) {
  const add = (cls: string | undefined, size: string | undefined, times: number) => {
    if (!size) return;
    const key = cls ?? "(default)";
    summary.storageBytes[key] = (summary.storageBytes[key] ?? 0) + parseQuantity(size) * times;
  };
  if (r.inputs.kind === "StatefulSet") {
    for (const t of r.inputs.spec?.volumeClaimTemplates ?? []) {
      add(t.spec?.storageClassName, t.spec?.resources?.requests?.storage, r.inputs.spec?.replicas ?? 1);
    }
  } else if (r.inputs.kind === "PersistentVolumeClaim") {
    add(r.inputs.spec?.storageClassName, r.inputs.spec?.resources?.requests?.storage, 1);
  } else if (r.type === "aws:rds/instance:Instance") {
    summary.awsStorageGiB["rds"] = (summary.awsStorageGiB["rds"] ?? 0) + (r.inputs.allocatedStorage ?? 0);
  } else if (r.type === "aws:opensearch/domain:Domain") {
    const nodes = r.inputs.clusterConfig?.instanceCount ?? 1;
    summary.awsStorageGiB["opensearch"] = (summary.awsStorageGiB["opensearch"] ?? 0) + (r.inputs.ebsOptions?.volumeSize ?? 0) * nodes;
  }
}
