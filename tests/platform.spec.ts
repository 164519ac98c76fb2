import * as assert from "assert";
import { renderStack, renderWith } from "./support/harness";

const roles = { monitoring: "monitoring", tracing: "tracing", logging: "logging", logAgents: "log-agents" };

describe("platform baseline", () => {
  it("local: creates no StorageClass and puts every claim on the cluster's own class", async () => {
    const r = await renderStack("local");
    assert.deepStrictEqual(r.objects("StorageClass"), []);
    const claims = r.objects("StatefulSet").flatMap((s) => (s.spec.volumeClaimTemplates ?? []).map((t: any) => `${s.metadata.name}: ${t.spec.storageClassName}`));
    assert.ok(claims.length > 0);
    assert.deepStrictEqual(claims.filter((c) => !c.endsWith(": standard")), []);
  });

  for (const stack of ["staging", "prod"]) {
    describe(stack, () => {
      it("enforces the restricted Pod Security level everywhere but the log agents' namespace", async () => {
        const r = await renderStack(stack);
        for (const [role, ns] of Object.entries(roles)) {
          const labels = r.object("Namespace", ns).metadata.labels;
          assert.strictEqual(labels["pod-security.kubernetes.io/enforce"], role === "logAgents" ? "privileged" : "restricted", ns);
          assert.strictEqual(labels["pod-security.kubernetes.io/audit"], "restricted", ns);
          assert.strictEqual(labels["pod-security.kubernetes.io/warn"], "restricted", ns);
        }
      });

      it("holds nothing but the log agent in the relaxed namespace", async () => {
        const r = await renderStack(stack);
        const workloads = r.podTemplates().filter((p) => p.owner.metadata.namespace === "log-agents");
        assert.deepStrictEqual(workloads.map((w) => `${w.owner.kind}/${w.owner.metadata.name}`).filter((n) => n !== "DaemonSet/log-agent"), []);
      });

      it("provides one encrypted gp3 StorageClass that retains volumes and binds in the pod's zone", async () => {
        const r = await renderStack(stack);
        const sc = r.object("StorageClass", "gp3-encrypted");
        assert.strictEqual(sc.provisioner, "ebs.csi.aws.com");
        assert.strictEqual(sc.parameters.type, "gp3");
        assert.strictEqual(sc.parameters.encrypted, "true");
        assert.strictEqual(sc.reclaimPolicy, "Retain");
        assert.strictEqual(sc.volumeBindingMode, "WaitForFirstConsumer");
        assert.strictEqual(sc.allowVolumeExpansion, true);
        assert.strictEqual(r.objects("StorageClass").length, 1);
      });

      it("denies all ingress and egress by default in every namespace, allowing only DNS out", async () => {
        const r = await renderStack(stack);
        for (const ns of Object.values(roles)) {
          const deny = r.object("NetworkPolicy", "default-deny", ns);
          assert.deepStrictEqual(deny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
          const dns = r.object("NetworkPolicy", "allow-dns-egress", ns);
          assert.deepStrictEqual(dns.spec.policyTypes, ["Egress"]);
          assert.deepStrictEqual(dns.spec.egress, [
            {
              to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
              ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
            },
          ]);
        }
      });
    });
  }

  it("uses the customer-managed EBS key when the stack names one", async () => {
    const prod = await renderStack("prod");
    assert.match(prod.object("StorageClass", "gp3-encrypted").parameters.kmsKeyId, /^arn:aws:kms:eu-west-1:\d{12}:key\//);
    const staging = await renderStack("staging");
    assert.strictEqual(staging.object("StorageClass", "gp3-encrypted").parameters.kmsKeyId, undefined);
  });

  it("protects namespaces and the StorageClass in prod only", async () => {
    const prod = await renderStack("prod");
    const staging = await renderStack("staging");
    for (const ns of Object.values(roles)) {
      assert.strictEqual(prod.recordOf("Namespace", ns).options.protect, true, `prod namespace ${ns}`);
      assert.strictEqual(staging.recordOf("Namespace", ns).options.protect, false, `staging namespace ${ns}`);
    }
    assert.strictEqual(prod.recordOf("StorageClass", "gp3-encrypted").options.protect, true);
  });

  it("protects the data of any environment with protectData", async () => {
    const local = await renderWith("local", (v) => (v.protectData = true));
    for (const ns of Object.values(roles)) assert.strictEqual(local.recordOf("Namespace", ns).options.protect, true, `namespace ${ns}`);
    for (const name of ["prometheus", "alertmanager", "grafana", "jaeger-collector"]) {
      assert.strictEqual(local.recordOf("StatefulSet", name).options.protect, true, name);
    }
    const unset = await renderStack("local");
    assert.strictEqual(unset.recordOf("Namespace", "monitoring").options.protect, false);
  });

  it("names namespaces from config", async () => {
    const r = await renderWith("staging", (v) => (v.namespaces = { monitoring: "obs-monitoring" }));
    assert.strictEqual(r.object("Namespace", "obs-monitoring").metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.ok(r.object("NetworkPolicy", "default-deny", "obs-monitoring"));
  });
});
