import * as assert from "assert";
import { res } from "../config/common";
import { labelsFor, objectName, selectorLabels } from "../components/k8s/labels";
import { hardenedContainer, hardenedPod, httpProbes } from "../components/k8s/pod";
import { spreadReplicas } from "../components/k8s/workload";
import { parseQuantity } from "../components/k8s/quantity";

const id = { app: "prometheus", component: "server", instance: "prometheus" };

describe("hardened pod builder", () => {
  const pod = hardenedPod({
    containers: [{ name: "main", image: "quay.io/prometheus/prometheus:v3.5.0", resources: res("500m", "1Gi", "2Gi"), probes: httpProbes("http", "/-/ready", "/-/healthy") }],
    initContainers: [{ name: "init", image: "busybox:1.37.0", resources: res("10m", "16Mi", "32Mi") }],
  }) as any;

  it("runs the pod as a non-root UID/GID with RuntimeDefault seccomp and no API token", () => {
    assert.deepStrictEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.strictEqual(pod.automountServiceAccountToken, false);
  });

  it("locks down every container and init container field by field", () => {
    for (const c of [...pod.containers, ...pod.initContainers]) {
      assert.deepStrictEqual(c.securityContext, {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
  });

  it("always sets requests and a memory limit, and a CPU limit only when asked", () => {
    assert.deepStrictEqual(pod.containers[0].resources, { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } });
    const c = hardenedContainer({ name: "x", image: "a:1", resources: res("1", "1Gi", "1Gi", "2") }) as any;
    assert.deepStrictEqual(c.resources.limits, { cpu: "2", memory: "1Gi" });
  });

  it("mounts the API token only when the workload needs it", () => {
    const p = hardenedPod({ containers: [], needsApiToken: true, serviceAccountName: "sd" }) as any;
    assert.strictEqual(p.automountServiceAccountToken, true);
    assert.strictEqual(p.serviceAccountName, "sd");
  });

  it("refuses to run a pod as root", () => {
    assert.throws(() => hardenedPod({ containers: [], user: { uid: 0, gid: 1000 } }), /pods never run as root: got uid 0, gid 1000/);
  });

  it("gives readiness and a more patient liveness probe", () => {
    const c = pod.containers[0];
    assert.deepStrictEqual(c.readinessProbe.httpGet, { path: "/-/ready", port: "http" });
    assert.deepStrictEqual(c.livenessProbe.httpGet, { path: "/-/healthy", port: "http" });
    assert.ok(c.livenessProbe.failureThreshold * c.livenessProbe.periodSeconds > c.readinessProbe.failureThreshold * c.readinessProbe.periodSeconds);
  });
});

describe("replica spreading", () => {
  it("keeps replicas on distinct nodes and spreads them across zones", () => {
    const s = spreadReplicas(id, 3) as any;
    const anti = s.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    assert.deepStrictEqual(anti, [{ labelSelector: { matchLabels: selectorLabels(id) }, topologyKey: "kubernetes.io/hostname" }]);
    assert.deepStrictEqual(s.topologySpreadConstraints, [
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selectorLabels(id) } },
    ]);
  });

  it("adds no scheduling constraint to a single replica", () => {
    assert.deepStrictEqual(spreadReplicas(id, 1), {});
  });
});

describe("labels and names", () => {
  it("selects by stable labels and writes the managed-by/part-of labels last", () => {
    const l = labelsFor({ ...id, version: "v3.5.0" }, { "app.kubernetes.io/part-of": "something-else", team: "sre" });
    assert.strictEqual(l["app.kubernetes.io/part-of"], "sigma-observability");
    assert.strictEqual(l.team, "sre");
    assert.strictEqual(selectorLabels(id)["app.kubernetes.io/version"], undefined);
  });

  it("builds DNS-1123 names and refuses ones that cannot be", () => {
    assert.strictEqual(objectName("Loki", "chunks_cache"), "loki-chunks-cache");
    assert.throws(() => objectName("x".repeat(64)), /must be 1-63 characters/);
  });
});

describe("quantities", () => {
  it("parses binary, decimal and milli quantities as the API server does", () => {
    assert.strictEqual(parseQuantity("500m"), 0.5);
    assert.strictEqual(parseQuantity("2Gi"), 2 * 2 ** 30);
    assert.strictEqual(parseQuantity("1G"), 1e9);
    assert.throws(() => parseQuantity("2 GB"), /not a Kubernetes quantity/);
  });
});
