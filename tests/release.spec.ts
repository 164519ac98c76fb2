import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlannedStep, PolicyFinding, ReleaseEngine, decide, mandatoryPolicies, parseReleaseArgs, release } from "../scripts/release";
import { defaultProjectDir } from "../scripts/synth";

class FakeEngine implements ReleaseEngine {
  ups = 0;
  previews = 0;
  constructor(private readonly plan: { steps: PlannedStep[]; policy: PolicyFinding[] }) {}
  async preview() {
    this.previews++;
    return this.plan;
  }
  async up() {
    this.ups++;
    return { outputs: { grafanaUrl: "https://grafana", namespaces: {} } };
  }
}

const step = (op: string, type: string, name = "x"): PlannedStep => ({ op, type, urn: `urn:pulumi:prod::sigma-observability::${type}::${name}` });

describe("release (Automation API driver)", () => {
  it("applies a plan without destructive steps or mandatory violations when --yes is given", async () => {
    const engine = new FakeEngine({ steps: [step("update", "kubernetes:apps/v1:StatefulSet"), step("create", "kubernetes:core/v1:ConfigMap")], policy: [] });
    const lines: string[] = [];
    assert.strictEqual(await release(engine, { stack: "prod", apply: true, allowDataLoss: false, log: (l) => lines.push(l) }), 0);
    assert.strictEqual(engine.ups, 1);
    assert.deepStrictEqual(lines, ["release prod: plan 1 update, 1 create", "release prod: applied; outputs: grafanaUrl, namespaces"]);
  });

  it("stops after the preview without --yes", async () => {
    const engine = new FakeEngine({ steps: [], policy: [] });
    assert.strictEqual(await release(engine, { stack: "staging", apply: false, allowDataLoss: false, log: () => undefined }), 0);
    assert.strictEqual(engine.ups, 0);
  });

  it("blocks a mandatory policy violation but not an advisory one", () => {
    const advisory: PolicyFinding = { policy: "k8s-cpu-limit", level: "warning", message: "no CPU limit" };
    const mandatory: PolicyFinding = { policy: "k8s-run-as-non-root", level: "mandatory", urn: "urn:x", message: "runs as root" };
    assert.deepStrictEqual(decide({ steps: [], policy: [advisory] }, { allowDataLoss: false }), { proceed: true, reasons: [] });
    assert.deepStrictEqual(decide({ steps: [], policy: [advisory, mandatory] }, { allowDataLoss: false }), {
      proceed: false,
      reasons: ["mandatory policy k8s-run-as-non-root failed on urn:x: runs as root"],
    });
  });

  it("blocks a mandatory policy the analyzer could not run in preview, unless told to go on", () => {
    const unknown: PolicyFinding = {
      policy: "aws-s3-deny-insecure-transport",
      level: "warning",
      message: "can't run policy 'aws-s3-deny-insecure-transport' from policy pack 'sigma-observability@v0.1.0' during preview: unknown values",
    };
    assert.ok(mandatoryPolicies.has("aws-s3-deny-insecure-transport"));
    assert.deepStrictEqual(decide({ steps: [], policy: [unknown] }, { allowDataLoss: false }).reasons, [
      `mandatory policy aws-s3-deny-insecure-transport could not be evaluated in preview: ${unknown.message}; ` +
        "rerun with --allow-unevaluated-policies after reviewing (it runs again during the update)",
    ]);
    assert.strictEqual(decide({ steps: [], policy: [unknown] }, { allowDataLoss: false, allowUnevaluated: true }).proceed, true);
    const advisory = { ...unknown, policy: "k8s-explicit-service-account-token", message: "can't run policy 'k8s-explicit-service-account-token' during preview" };
    assert.strictEqual(decide({ steps: [], policy: [advisory] }, { allowDataLoss: false }).proceed, true);
  });

  it("blocks replacing or deleting a data-holding resource unless data loss is allowed", async () => {
    const plan = { steps: [step("replace", "aws:s3/bucket:Bucket", "loki"), step("delete-replaced", "aws:s3/bucket:Bucket", "loki"), step("delete", "kubernetes:core/v1:ConfigMap")], policy: [] };
    const blocked = decide(plan, { allowDataLoss: false });
    assert.deepStrictEqual(blocked.reasons, [
      "replace of urn:pulumi:prod::sigma-observability::aws:s3/bucket:Bucket::loki would destroy data; rerun with --allow-data-loss if that is intended",
    ]);
    assert.strictEqual(decide(plan, { allowDataLoss: true }).proceed, true);
    // The engine plans a create-before-delete replacement as create-replacement, replace, delete-replaced.
    const createFirst = ["create-replacement", "replace", "delete-replaced"].map((op) => step(op, "kubernetes:core/v1:Namespace", "logging"));
    assert.deepStrictEqual(decide({ steps: createFirst, policy: [] }, { allowDataLoss: false }).reasons, [
      "replace of urn:pulumi:prod::sigma-observability::kubernetes:core/v1:Namespace::logging would destroy data; rerun with --allow-data-loss if that is intended",
    ]);
    const engine = new FakeEngine(plan);
    assert.strictEqual(await release(engine, { stack: "prod", apply: true, allowDataLoss: false, log: () => undefined }), 1);
    assert.strictEqual(engine.ups, 0);
  });

  it("validates the stack config before it previews anything", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-"));
    try {
      fs.copyFileSync(path.join(defaultProjectDir, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.writeFileSync(path.join(dir, "Pulumi.qa.yaml"), "config:\n  sigma-observability:environment: qa\n");
      const engine = new FakeEngine({ steps: [], policy: [] });
      const lines: string[] = [];
      assert.strictEqual(await release(engine, { stack: "qa", apply: true, allowDataLoss: false, projectDir: dir, log: (l) => lines.push(l) }), 1);
      assert.strictEqual(engine.previews, 0);
      assert.match(lines[0], /^release: config of stack "qa" is invalid \(\d+ problems?\):/);
      assert.match(lines[0], /- environment: got "qa"; allowed: one of "local", "staging", "prod"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("parses its arguments and names what is missing", () => {
    assert.deepStrictEqual(parseReleaseArgs(["--stack", "prod", "--yes"]), {
      stack: "prod",
      apply: true,
      allowDataLoss: false,
      allowUnevaluated: false,
      policyPack: "policies",
    });
    assert.strictEqual(parseReleaseArgs(["--stack", "prod", "--allow-unevaluated-policies"]).allowUnevaluated, true);
    assert.strictEqual(parseReleaseArgs(["--stack", "local", "--policy-pack-config", "prod-rules.json"]).policyPackConfig, "prod-rules.json");
    assert.throws(() => parseReleaseArgs(["--stack", "local", "--policy-pack-config"]), /incomplete argument "--policy-pack-config"/);
    assert.throws(() => parseReleaseArgs(["--yes"]), /--stack <name> is required/);
    assert.throws(() => parseReleaseArgs(["--stack"]), /unknown or incomplete argument "--stack"/);
  });
});
