/**
 * Every committed stack's rendered Kubernetes objects, server-side applied to a real kube-apiserver twice: the second
 * apply must change nothing (no resourceVersion or generation bump), and every pod the controllers create from our
 * workloads must pass the Pod Security level its namespace enforces. A value the server does not store (an empty
 * list, an empty selector map, a default `false`) would make every `pulumi up` rewrite the object and every refresh
 * show a diff.
 *
 * Stand-ins: none for the objects (Secret values are the render's placeholders, stored as given); one control plane
 * per stack, so the stacks' namespaces do not meet.
 */
import { strict as assert } from "assert";
import { defaultProjectDir, stackNames } from "../../scripts/synth";
import { renderStack } from "../support/harness";
import { eventually } from "../../toolchain/run";
import { applyAll, startCluster, type Cluster } from "./cluster";

for (const stack of stackNames(defaultProjectDir)) {
  describe(`${stack}: the rendered objects on a real kube-apiserver`, function () {
    this.timeout(180_000);
    let cluster: Cluster;
    let objects: Record<string, any>[] = [];

    before(async () => {
      objects = (await renderStack(stack)).objects();
      cluster = await startCluster();
    });
    after(async () => {
      await cluster?.stop();
    });

    it("accepts every object, and a second server-side apply changes none of them", async () => {
      const first = await applyAll(cluster, objects);
      const second = await applyAll(cluster, objects);
      const rewritten = second
        .map((s, i) => ({ s, f: first[i] }))
        .filter(({ s, f }) => s.resourceVersion !== f.resourceVersion || s.generation !== f.generation)
        .map(({ s, f }) => `${s.id}: resourceVersion ${f.resourceVersion} -> ${s.resourceVersion}, generation ${f.generation} -> ${s.generation}`);
      assert.deepEqual(rewritten, []);
      console.log(`      ${first.length} objects applied twice; 0 rewritten by the second apply`);
    });

    it("lets the controllers create the pods of every Deployment and StatefulSet under its namespace's Pod Security level", async () => {
      const deployments = objects.filter((o) => o.kind === "Deployment");
      const statefulSets = objects.filter((o) => o.kind === "StatefulSet");
      await eventually("pods or failures for every Deployment and StatefulSet", 60_000, async () => {
        const pods = (await cluster.api("GET", "/api/v1/pods")).body.items as Record<string, any>[];
        const owners = new Set(pods.map((p) => `${p.metadata.namespace}/${p.metadata.labels?.["app.kubernetes.io/instance"]}`));
        const failures = (await cluster.api("GET", "/api/v1/events?fieldSelector=reason%3DFailedCreate")).body.items as unknown[];
        const expected = [...deployments, ...statefulSets].map((o) => `${o.metadata.namespace}/${o.spec.template.metadata.labels["app.kubernetes.io/instance"]}`);
        return failures.length > 0 || expected.every((e) => owners.has(e)) ? true : undefined;
      }, []).catch((e: Error) => assert.fail(`${e.message}\n${cluster.logs()}`));
      const failures = (await cluster.api("GET", "/api/v1/events?fieldSelector=reason%3DFailedCreate")).body.items as Record<string, any>[];
      assert.deepEqual(failures.map((e) => `${e.involvedObject.kind} ${e.involvedObject.namespace}/${e.involvedObject.name}: ${e.message}`), []);
    });

    it("refuses a pod that breaks the restricted level (the admission check can fail)", async () => {
      const pod = {
        apiVersion: "v1", kind: "Pod", metadata: { name: "root-pod", namespace: "monitoring" },
        spec: { containers: [{ name: "c", image: "busybox:1.37.0", securityContext: { runAsUser: 0 } }] },
      };
      const r = await cluster.api("POST", "/api/v1/namespaces/monitoring/pods", pod);
      assert.equal(r.status, 403);
      assert.match(r.body.message, /violates PodSecurity "restricted:latest": .*runAsUser=0/);
    });
  });
}
