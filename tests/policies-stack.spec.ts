import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Policies, StackValidationPolicy } from "@pulumi/policy";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { type RecordedResource, resolvePolicies, runPolicies } from "../policies/offline";
import { packName, policies as packPolicies } from "../policies/pack";
import * as stack from "../policies/stack";
import { aws, k8s } from "../policies/tokens";
import { main as policyCli, renderedEnvironment } from "../scripts/policy";
import { type AnalyzerHost, startAnalyzerHost } from "./support/analyzer-host";
import { type Json, recorded, violationMessages } from "./support/policy-fixtures";

const messages = (policy: Policies[number], resources: RecordedResource[], environment = "prod") =>
  violationMessages(policy, resources, { environment });

const namespace = (name: string, protect = false) => recorded(k8s.namespace, `ns-${name}`, { kind: "Namespace", metadata: { name } }, protect);
const defaultDeny = (ns: string, spec: Json = { podSelector: {}, policyTypes: ["Ingress", "Egress"] }) =>
  recorded(k8s.networkPolicy, `${ns}-default-deny`, { kind: "NetworkPolicy", metadata: { name: "default-deny", namespace: ns }, spec });
const workload = (type: string, kind: string, name: string, spec: Json) =>
  recorded(type, name, { kind, metadata: { name, namespace: "monitoring" }, spec });
const grafana = (replicas?: number) =>
  workload(k8s.deployment, "Deployment", "grafana", {
    ...(replicas === undefined ? {} : { replicas }),
    selector: { matchLabels: { app: "grafana" } },
    template: { metadata: { labels: { app: "grafana", tier: "ui" } }, spec: { containers: [] } },
  });
const pdb = (selector: Json | undefined, ns = "monitoring") =>
  recorded(k8s.podDisruptionBudget, `pdb-${ns}`, {
    kind: "PodDisruptionBudget",
    metadata: { name: "grafana", namespace: ns },
    spec: { maxUnavailable: 1, ...(selector ? { selector } : {}) },
  });
const storageClass = (encrypted: string) =>
  recorded(k8s.storageClass, "gp3", { kind: "StorageClass", metadata: { name: "gp3-encrypted" }, provisioner: "ebs.csi.aws.com", parameters: { type: "gp3", encrypted } });
const loki = (storageClassName: string | undefined, retention?: Json) =>
  workload(k8s.statefulSet, "StatefulSet", "loki", {
    replicas: 1,
    template: { metadata: { labels: { app: "loki" } }, spec: { containers: [] } },
    volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { ...(storageClassName ? { storageClassName } : {}), resources: { requests: { storage: "50Gi" } } } }],
    ...(retention ? { persistentVolumeClaimRetentionPolicy: retention } : {}),
  });

describe("policies: stack-level guarantees", () => {
  describe("k8s-pdb-for-replicated-workloads", () => {
    it("accepts a replicated workload selected by a PDB (matchLabels and matchExpressions) and single replicas", async () => {
      assert.deepEqual(await messages(stack.pdbForReplicatedWorkloads, [grafana(2), pdb({ matchLabels: { app: "grafana" } })]), []);
      const expression = pdb({ matchExpressions: [{ key: "tier", operator: "In", values: ["ui", "api"] }] });
      assert.deepEqual(await messages(stack.pdbForReplicatedWorkloads, [grafana(3), expression]), []);
      assert.deepEqual(await messages(stack.pdbForReplicatedWorkloads, [grafana()]), []);
    });
    it("rejects a replicated workload whose PDB selects other pods, lives elsewhere or has no selector", async () => {
      const expected = [
        'Deployment monitoring/grafana has 2 replicas but no PodDisruptionBudget in "monitoring" selects its pod labels {"app":"grafana","tier":"ui"}',
      ];
      assert.deepEqual(await messages(stack.pdbForReplicatedWorkloads, [grafana(2), pdb({ matchLabels: { app: "prometheus" } })]), expected);
      assert.deepEqual(await messages(stack.pdbForReplicatedWorkloads, [grafana(2), pdb({ matchLabels: { app: "grafana" } }, "logging")]), expected);
      assert.deepEqual(await messages(stack.pdbForReplicatedWorkloads, [grafana(2), pdb(undefined)]), expected);
    });
  });

  describe("k8s-namespace-default-deny", () => {
    it("accepts a namespace with a default-deny policy and ignores namespaces without workloads", async () => {
      assert.deepEqual(await messages(stack.namespaceDefaultDeny, [namespace("monitoring"), defaultDeny("monitoring"), grafana(1), namespace("empty")]), []);
    });
    it("rejects a workload namespace whose only policy allows traffic or covers one direction", async () => {
      const expected = [
        'Namespace "monitoring" runs workloads but has no default-deny NetworkPolicy; must have one with podSelector {}, policyTypes ["Ingress","Egress"] and no rules',
      ];
      const allowAll = defaultDeny("monitoring", { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}] });
      assert.deepEqual(await messages(stack.namespaceDefaultDeny, [namespace("monitoring"), allowAll, grafana(1)]), expected);
      const ingressOnly = defaultDeny("monitoring", { podSelector: {}, policyTypes: ["Ingress"] });
      assert.deepEqual(await messages(stack.namespaceDefaultDeny, [namespace("monitoring"), ingressOnly, grafana(1)]), expected);
    });
  });

  describe("k8s-pvc-encrypted-storage-class", () => {
    it("accepts claims on the encrypted EBS class", async () => {
      const pvc = recorded(k8s.persistentVolumeClaim, "pvc", { kind: "PersistentVolumeClaim", metadata: { name: "data", namespace: "monitoring" }, spec: { storageClassName: "gp3-encrypted" } });
      assert.deepEqual(await messages(stack.pvcEncryptedStorageClass, [storageClass("true"), loki("gp3-encrypted"), pvc]), []);
    });
    it("rejects a template on the cluster default class and any claim when the class is not encrypted", async () => {
      assert.deepEqual(await messages(stack.pvcEncryptedStorageClass, [storageClass("true"), loki(undefined)]), [
        'StatefulSet monitoring/loki volumeClaimTemplates[0] "data": spec.storageClassName is unset; must be an encrypted StorageClass ("gp3-encrypted")',
      ]);
      assert.deepEqual(await messages(stack.pvcEncryptedStorageClass, [storageClass("false"), loki("gp3-encrypted")]), [
        'StatefulSet monitoring/loki volumeClaimTemplates[0] "data": spec.storageClassName is "gp3-encrypted"; must be an encrypted StorageClass (none defined in this stack)',
      ]);
    });
    it("leaves the local environment's claims on the host's own class, and only that environment", async () => {
      assert.deepEqual(await messages(stack.pvcEncryptedStorageClass, [loki("standard")], "local"), []);
      assert.deepEqual(await messages(stack.pvcEncryptedStorageClass, [loki("standard")], "staging"), [
        'StatefulSet monitoring/loki volumeClaimTemplates[0] "data": spec.storageClassName is "standard"; must be an encrypted StorageClass (none defined in this stack)',
      ]);
    });
  });

  describe("stateful-resources-protected", () => {
    const bucket = (protect: boolean) => recorded(aws.s3Bucket[0], "chunks", { bucket: "sigma-prod-loki-chunks" }, protect);
    it("accepts protected data holders and namespaces holding claims in prod", async () => {
      assert.deepEqual(await messages(stack.statefulResourcesProtected, [bucket(true), namespace("monitoring", true), loki("gp3-encrypted")]), []);
    });
    it("rejects unprotected data holders, an unprotected namespace holding claims and Delete retention in prod", async () => {
      const resources = [bucket(false), namespace("monitoring"), loki("gp3-encrypted", { whenDeleted: "Delete", whenScaled: "Retain" })];
      assert.deepEqual(await messages(stack.statefulResourcesProtected, resources), [
        'aws:s3/bucket:Bucket "chunks" holds data but protect is false; must be protected in prod',
        'Namespace "monitoring" holds persistent volume claims (deleting it deletes them) but protect is false; must be protected in prod',
        'StatefulSet monitoring/loki spec.persistentVolumeClaimRetentionPolicy.whenDeleted is "Delete"; must be "Retain" or unset in prod',
      ]);
    });
    it("does not apply outside prod", async () => {
      const report = await runPolicies([bucket(false)], { policies: [stack.statefulResourcesProtected], environment: "staging" });
      assert.deepEqual([report.violations, report.policies[0].applied], [[], 0]);
    });
  });
});

describe("policies: offline runner", () => {
  const unprotectedBucket = recorded(aws.s3Bucket[0], "chunks", { bucket: "b" });

  it("resolves levels like the CLI: policy entry over `all` over the policy's own level; remediate reports as mandatory", async () => {
    const levels = (config: Json) =>
      resolvePolicies(packPolicies, config).filter((p) => ["k8s-run-as-non-root", "k8s-explicit-service-account-token"].includes(p.policy.name)).map((p) => p.level);
    assert.deepEqual(levels({}), ["mandatory", "advisory"]);
    assert.deepEqual(levels({ all: "advisory" }), ["advisory", "advisory"]);
    assert.deepEqual(levels({ all: { enforcementLevel: "disabled" }, "k8s-run-as-non-root": "remediate" }), ["remediate", "disabled"]);
    const report = await runPolicies([unprotectedBucket], { policies: [stack.statefulResourcesProtected], environment: "prod", config: { "stateful-resources-protected": "remediate" } });
    assert.deepEqual(report.violations.map((v) => v.enforcementLevel), ["mandatory"]);
  });

  it("skips disabled policies and counts levels in the report", async () => {
    const config = { "stateful-resources-protected": { enforcementLevel: "advisory" as const }, "aws-s3-versioning": "disabled" as const };
    const report = await runPolicies([unprotectedBucket], { environment: "prod", config });
    assert.equal(report.policies.some((p) => p.name === "aws-s3-versioning"), false);
    assert.deepEqual([report.mandatory, report.advisory], [3, 1]);
    assert.equal(report.violations.find((v) => v.policy === "stateful-resources-protected")?.type, aws.s3Bucket[0]);
  });

  it("rejects config for unknown policies, unknown settings and values of the wrong type, naming the path", () => {
    assert.throws(() => resolvePolicies(packPolicies, { "k8s-no-latest": "mandatory" }), /policy config: "k8s-no-latest" is not a policy of this pack; known: k8s-run-as-non-root,/);
    assert.throws(() => resolvePolicies(packPolicies, { "k8s-images-pinned": { forbidenTags: ["edge"] } }), {
      message: "policy config: k8s-images-pinned.forbidenTags is not a known setting; known: forbiddenTags",
    });
    assert.throws(() => resolvePolicies(packPolicies, { "k8s-images-pinned": { forbiddenTags: "latest" } }), {
      message: 'policy config: k8s-images-pinned.forbiddenTags is "latest"; must be of type array',
    });
    assert.throws(() => resolvePolicies(packPolicies, { "k8s-host-path-allow-list": { allowList: [{ kind: "DaemonSet", name: "x", paths: [] }] } }), {
      message: "policy config: k8s-host-path-allow-list.allowList[0].namespace is unset; it is required",
    });
    assert.throws(() => resolvePolicies(packPolicies, { all: "strict" as never }), {
      message: 'policy config: all.enforcementLevel is "strict"; must be one of advisory, mandatory, remediate, disabled',
    });
  });

  it("builds stack args like the analyzer: parents and dependencies as objects, isType/asType by __pulumiType", async () => {
    const ns = namespace("monitoring");
    const deny = { ...defaultDeny("monitoring"), parent: ns.urn, options: { ...defaultDeny("monitoring").options, dependsOn: [ns.urn] } };
    const FakeNamespace = { __pulumiType: k8s.namespace } as unknown as new () => never;
    const seen: string[] = [];
    const probe: StackValidationPolicy = {
      name: "probe",
      description: "records what it sees",
      enforcementLevel: "mandatory",
      validateStack: (args, reportViolation) => {
        const policy = args.resources.find((r) => r.name === deny.name)!;
        seen.push(policy.parent?.name ?? "-", policy.dependencies.map((d) => d.name).join(","), String(policy.parent?.isType(FakeNamespace)));
        seen.push(JSON.stringify(policy.parent?.asType(FakeNamespace as never)));
        reportViolation("stack-wide");
      },
    };
    const report = await runPolicies([ns, deny], { policies: [probe] });
    assert.deepEqual(seen, ["ns-monitoring", "ns-monitoring", "true", JSON.stringify(ns.inputs)]);
    assert.deepEqual(report.violations, [{ policy: "probe", enforcementLevel: "mandatory", message: "stack-wide", description: "records what it sees" }]);
  });

  it("in preview mode, treats [computed] values as unknown like the analyzer: an advisory can't-run instead of a verdict", async () => {
    const iamPolicies = packPolicies.filter((p) => p.name === "aws-iam-no-wildcard-admin");
    const admin = recorded(aws.iamRolePolicy, "loki", { role: "r", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "[computed]" }] }) });
    const known = await runPolicies([admin], { policies: iamPolicies });
    assert.deepEqual(known.violations.map((v) => v.enforcementLevel), []);
    const preview = await runPolicies([admin, recorded(aws.iamRolePolicy, "known", { role: "r", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) })], { policies: iamPolicies, preview: true });
    assert.deepEqual(
      preview.violations.map((v) => [v.name, v.enforcementLevel, v.message]),
      [
        ["loki", "advisory", `can't run policy 'aws-iam-no-wildcard-admin' from policy pack '${packName}@v${require("../policies/package.json").version}' during preview: string value at .policy can't be known during preview`],
        ["known", "mandatory", 'policy Statement[0] allows every action on Resource "*"; must name actions and resources'],
      ],
    );
    const stackPreview = await runPolicies([recorded(aws.s3Bucket[0], "chunks", { bucket: "b", policy: "[computed]" })], { policies: [stack.statefulResourcesProtected, ...packPolicies.filter((p) => p.name === "aws-s3-deny-insecure-transport")], environment: "prod", preview: true });
    assert.deepEqual(stackPreview.violations.map((v) => [v.policy, v.enforcementLevel, v.urn ?? "(stack)"]), [
      ["stateful-resources-protected", "mandatory", recorded(aws.s3Bucket[0], "chunks", {}).urn],
      ["aws-s3-deny-insecure-transport", "advisory", "(stack)"],
    ]);
  });

  describe("npm run policy", () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), "policy-cli-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("takes the environment from the render's summary.json, else from the out/<stack>/ directory name", () => {
      const withSummary = path.join(dir, "blue");
      mkdirSync(withSummary, { recursive: true });
      writeFileSync(path.join(withSummary, "summary.json"), JSON.stringify({ stack: "blue", environment: "prod" }));
      assert.equal(renderedEnvironment(path.join(withSummary, "resources.json")), "prod");
      assert.equal(renderedEnvironment(path.join(dir, "staging", "resources.json")), "staging");
    });

    it("exits 1 on a mandatory violation, writes policy-report.json next to the input and takes the environment from out/<stack>/", async () => {
      const file = path.join(dir, "prod", "resources.json");
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify([unprotectedBucket]));
      const logged: string[] = [];
      const log = console.log;
      console.log = (line: string) => logged.push(line);
      const code = await policyCli([file]).finally(() => (console.log = log));
      assert.equal(code, 1);
      const report = JSON.parse(readFileSync(path.join(dir, "prod", "policy-report.json"), "utf8"));
      assert.equal(report.environment, "prod");
      assert.ok(report.violations.some((v: Json) => v.policy === "stateful-resources-protected"));
      assert.match(logged.join("\n"), /^mandatory\s+stateful-resources-protected\s+aws:s3\/bucket:Bucket::chunks\s+aws:s3\/bucket:Bucket "chunks" holds data/m);
    });

    it("exits 0 when violations are advisory only (config file) and 2 on bad input", async () => {
      const file = path.join(dir, "staging.json");
      writeFileSync(file, JSON.stringify([unprotectedBucket]));
      const configFile = path.join(dir, "config.json");
      writeFileSync(configFile, JSON.stringify({ all: "advisory" }));
      const log = console.log;
      const error = console.error;
      const errors: string[] = [];
      console.log = () => {};
      console.error = (line: string) => errors.push(line);
      try {
        assert.equal(await policyCli([file, "--config", configFile, "--environment", "prod", "--out", path.join(dir, "r.json")]), 0);
        assert.equal(JSON.parse(readFileSync(path.join(dir, "r.json"), "utf8")).advisory, 5);
        assert.equal(await policyCli([file, "--strict"]), 2);
        assert.equal(await policyCli([path.join(dir, "missing.json")]), 2);
      } finally {
        console.log = log;
        console.error = error;
      }
      assert.match(errors[0], /^unknown option --strict/);
      assert.match(errors[1], /^cannot read resources .*missing\.json/);
    });

    it("with --preview, judges [computed] values as unknown, as the analyzer does in a first preview", async () => {
      const file = path.join(dir, "preview.json");
      writeFileSync(file, JSON.stringify([recorded(aws.iamRolePolicy, "loki", { role: "loki", policy: "[computed]" })]));
      const log = console.log;
      console.log = () => {};
      try {
        assert.equal(await policyCli([file, "--environment", "prod", "--preview", "--out", path.join(dir, "p.json")]), 0);
      } finally {
        console.log = log;
      }
      const report = JSON.parse(readFileSync(path.join(dir, "p.json"), "utf8"));
      assert.ok(report.violations.length > 0);
      for (const v of report.violations) {
        assert.equal(v.enforcementLevel, "advisory");
        assert.match(v.message, /^can't run policy '[\w-]+' from policy pack 'sigma-observability@v[\d.]+' during preview: .* can't be known during preview$/);
      }
    });
  });
});

/** The pack under the analyzer host the Pulumi CLI starts (tests/support/analyzer-host.ts). */
describe("policies: the pack under the Pulumi CLI's analyzer host", function () {
  this.timeout(60_000);
  const stackName = "blue";
  let host: AnalyzerHost;
  let client: AnalyzerHost["client"];

  before(async () => {
    // The stack name is not an environment, so prod rules apply only if the pack reads `environment` from the config.
    host = await startAnalyzerHost({ stack: stackName, config: { "sigma-observability:environment": "prod" } });
    client = host.client;
  });

  after(async () => {
    await host?.stop();
  });

  const call: AnalyzerHost["call"] = (method, req) => host.call(method, req);

  const request = (type: string, name: string, inputs: Json) =>
    new analyzerPb.AnalyzeRequest()
      .setType(type)
      .setName(name)
      .setUrn(`urn:pulumi:${stackName}::sigma-observability::${type}::${name}`)
      .setProperties(Struct.fromJavaScript(inputs as never))
      .setOptions(new analyzerPb.AnalyzerResourceOptions());

  it("serves every policy of the pack under the pack's name and version", async () => {
    const info = await call<Empty, analyzerPb.AnalyzerInfo>(client.getAnalyzerInfo, new Empty());
    assert.equal(info.getName(), packName);
    assert.equal(info.getVersion(), require("../policies/package.json").version);
    assert.deepEqual(
      info.getPoliciesList().map((p) => p.getName()),
      packPolicies.map((p) => p.name),
    );
  });

  it("reports the same violation as the offline runner for a resource, with schema defaults in force", async () => {
    const inputs = {
      kind: "DaemonSet",
      metadata: { name: "node-exporter", namespace: "monitoring" },
      spec: { template: { spec: { containers: [{ name: "exporter", image: "prom/node-exporter:latest" }] } } },
    };
    const response = await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(client.analyze, request(k8s.daemonSet, "ne", inputs));
    const pinned = response.getDiagnosticsList().filter((d) => d.getPolicyname() === "k8s-images-pinned");
    const offline = await runPolicies([recorded(k8s.daemonSet, "ne", inputs)], { policies: packPolicies.filter((p) => p.name === "k8s-images-pinned") });
    assert.deepEqual(
      pinned.map((d) => [d.getMessage(), d.getEnforcementlevel()]),
      offline.violations.map((v) => [`${v.description}\n${v.message}`, analyzerPb.EnforcementLevel.MANDATORY]),
    );
    assert.equal(pinned.length, 1);
  });

  it("agrees with the offline runner's preview mode on unknowns: the same policies, levels and messages", async () => {
    const unknownSentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // what the engine sends for a computed value
    const inputs = { role: "loki", policy: "[computed]" };
    const response = await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(client.analyze, request(aws.iamRolePolicy, "loki", { ...inputs, policy: unknownSentinel }));
    const offline = await runPolicies([recorded(aws.iamRolePolicy, "loki", inputs)], { preview: true });
    const level = (l: string) => (l === "advisory" ? analyzerPb.EnforcementLevel.ADVISORY : analyzerPb.EnforcementLevel.MANDATORY);
    const real = response.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage().replace(/^.*\n/, "")]);
    assert.ok(real.length >= 2, JSON.stringify(real));
    assert.deepEqual(real, offline.violations.map((v) => [v.policy, level(v.enforcementLevel), v.message]));
  });

  it("reads the environment from the stack config the CLI exports (prod rules apply)", async () => {
    const response = await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(
      client.analyze,
      request(aws.rdsInstance, "grafana-db", { engine: "postgres", storageEncrypted: true, deletionProtection: false }),
    );
    assert.deepEqual(
      response.getDiagnosticsList().map((d) => d.getPolicyname()),
      ["aws-rds-deletion-protection"],
    );
  });

  it("runs stack policies over AnalyzeStack", async () => {
    const resource = new analyzerPb.AnalyzerResource()
      .setType(k8s.namespace)
      .setName("ns-monitoring")
      .setUrn(namespace("monitoring").urn)
      .setProperties(Struct.fromJavaScript({ kind: "Namespace", metadata: { name: "monitoring" } }))
      .setOptions(new analyzerPb.AnalyzerResourceOptions().setProtect(false));
    const workloadResource = new analyzerPb.AnalyzerResource()
      .setType(k8s.deployment)
      .setName("grafana")
      .setUrn(grafana(1).urn)
      .setProperties(Struct.fromJavaScript(grafana(1).inputs as never))
      .setOptions(new analyzerPb.AnalyzerResourceOptions());
    const response = await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(
      client.analyzeStack,
      new analyzerPb.AnalyzeStackRequest().setResourcesList([resource, workloadResource]),
    );
    assert.deepEqual(
      response.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getUrn()]),
      [["k8s-namespace-default-deny", namespace("monitoring").urn]],
    );
  });
});
