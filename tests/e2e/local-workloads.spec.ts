/**
 * The local stack's workloads scheduled and Ready on a real control plane: kube-scheduler places every pod on kwok's
 * fake nodes (three, in three zones) under the stack's own affinity, spread and toleration rules, the volume binder
 * binds every claim, and kwok marks the pods Running and Ready, so every Deployment, StatefulSet and DaemonSet reports
 * all its replicas ready.
 *
 * Stand-ins: kwok's nodes (no kubelet runs a container); the cluster's `standard` StorageClass, which a real local
 * cluster provides, is a no-provisioner class here with one pre-made volume reserved for each claim.
 */
import { strict as assert } from "assert";
import { renderStack } from "../support/harness";
import { eventually } from "../../toolchain/run";
import { applyAll, startCluster, type Cluster } from "./cluster";

describe("local: every workload scheduled and Ready on kwok nodes", function () {
  this.timeout(240_000);
  let cluster: Cluster;
  let objects: Record<string, any>[] = [];

  before(async () => {
    objects = (await renderStack("local")).objects();
    cluster = await startCluster({ count: 3, zones: ["zone-a", "zone-b", "zone-c"] });
    const claims = objects.filter((o) => o.kind === "StatefulSet").flatMap((s) =>
      (s.spec.volumeClaimTemplates ?? []).flatMap((t: any) =>
        Array.from({ length: s.spec.replicas }, (_, i) => ({ name: `${t.metadata.name}-${s.metadata.name}-${i}`, namespace: s.metadata.namespace, template: t }))));
    const classes = new Set(claims.map((c) => c.template.spec.storageClassName));
    for (const name of classes) {
      const r = await cluster.api("POST", "/apis/storage.k8s.io/v1/storageclasses", {
        apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name },
        provisioner: "kubernetes.io/no-provisioner", volumeBindingMode: "WaitForFirstConsumer",
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    for (const c of claims) {
      const r = await cluster.api("POST", "/api/v1/persistentvolumes", {
        apiVersion: "v1", kind: "PersistentVolume", metadata: { name: `pv-${c.name}` },
        spec: {
          capacity: { storage: c.template.spec.resources.requests.storage },
          accessModes: c.template.spec.accessModes,
          storageClassName: c.template.spec.storageClassName,
          // Reserved for its claim, as a static volume is: otherwise two claims of one size may race for it.
          claimRef: { namespace: c.namespace, name: c.name },
          hostPath: { path: `/var/lib/e2e/${c.name}` },
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    await applyAll(cluster, objects);
  });
  after(async () => {
    await cluster?.stop();
  });

  it("brings every Deployment, StatefulSet and DaemonSet to all replicas ready", async () => {
    const started = Date.now();
    const workloads = objects.filter((o) => ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind));
    const notReady = async () => {
      const lagging: string[] = [];
      for (const w of workloads) {
        const live = (await cluster.api("GET", await cluster.pathOf(w.apiVersion, w.kind, w.metadata.namespace, w.metadata.name))).body;
        const [ready, wanted] = w.kind === "DaemonSet"
          ? [live.status?.numberReady ?? 0, 3]
          : [w.kind === "Deployment" ? live.status?.availableReplicas ?? 0 : live.status?.readyReplicas ?? 0, w.spec.replicas];
        if (ready !== wanted) lagging.push(`${w.kind} ${w.metadata.namespace}/${w.metadata.name}: ${ready}/${wanted} ready`);
      }
      return lagging;
    };
    await eventually("every workload ready", 180_000, async () => ((await notReady()).length === 0 ? true : undefined))
      .catch(async (e: Error) => {
        const pending = ((await cluster.api("GET", "/api/v1/pods")).body.items as any[])
          .filter((p) => p.status?.phase !== "Running")
          .map((p) => `${p.metadata.namespace}/${p.metadata.name}: ${p.status?.phase} ${JSON.stringify(p.status?.conditions ?? [])}`);
        assert.fail(`${e.message}\n${(await notReady()).join("\n")}\npods not running:\n${pending.join("\n")}`);
      });
    console.log(`      ${workloads.length} workloads ready on 3 kwok nodes in ${((Date.now() - started) / 1000).toFixed(1)} s after the apply`);
  });
});
