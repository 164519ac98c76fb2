/**
 * The local stack's workloads scheduled and Ready on a real control plane: kube-scheduler places every pod on kwok's
 * fake nodes (three, in three zones) under the stack's own affinity, spread and toleration rules, the volume binder
 * binds every claim, and kwok marks the pods Running and Ready, so every Deployment, StatefulSet and DaemonSet reports
 * all its replicas ready.
 *
 * Stand-ins: kwok's nodes (no kubelet runs a container); the cluster's `standard` StorageClass, which a real local
 * cluster provides, is a no-provisioner class here with one pre-made volume reserved for each claim
 * (`provisionVolumes`).
 */
import { strict as assert } from "assert";
import { renderStack } from "../support/harness";
import { eventually } from "../../toolchain/run";
import { applyAll, provisionVolumes, startCluster, workloadsNotReady, type Cluster } from "./cluster";

describe("local: every workload scheduled and Ready on kwok nodes", function () {
  this.timeout(240_000);
  let cluster: Cluster;
  let objects: Record<string, any>[] = [];

  before(async () => {
    objects = (await renderStack("local")).objects();
    cluster = await startCluster({ count: 3, zones: ["zone-a", "zone-b", "zone-c"] });
    await provisionVolumes(cluster, objects);
    await applyAll(cluster, objects);
  });
  after(async () => {
    await cluster?.stop();
  });

  it("brings every Deployment, StatefulSet and DaemonSet to all replicas ready", async () => {
    const started = Date.now();
    const workloads = objects.filter((o) => ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind));
    const notReady = () => workloadsNotReady(cluster, objects, 3);
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
