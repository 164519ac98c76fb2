import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { renderDirAnnotation } from "../components/k8s/documents";
import { render } from "../scripts/render";
import { defaultProjectDir } from "../scripts/synth";
import { committedDetectionReport, detectionDocument } from "../scripts/synth/detection";
import { manifestFileName } from "../scripts/synth/write";

function tempProject(stacks: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
  fs.copyFileSync(path.join(defaultProjectDir, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  for (const [name, text] of Object.entries(stacks)) fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), text);
  return dir;
}

describe("offline render (npm run render)", function () {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-out-"));
  const logs: string[] = [];
  let code: number;

  before(async () => {
    code = await render({ stacks: ["staging"], out, log: (l) => logs.push(l), error: (l) => logs.push(l) });
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it("writes the out/<stack>/ contract: manifests, resources.json, configs, summary.json", () => {
    assert.strictEqual(code, 0, logs.join("\n"));
    const dir = path.join(out, "staging");
    const resources = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8"));
    const objects = resources.filter((r: any) => r.type.startsWith("kubernetes:") && r.inputs.kind);
    const files = fs.readdirSync(path.join(dir, "manifests")).sort();
    assert.deepStrictEqual(files, objects.map((r: any) => manifestFileName(r.inputs)).sort());
    for (const r of objects) {
      const onDisk = YAML.parse(fs.readFileSync(path.join(dir, "manifests", manifestFileName(r.inputs)), "utf8"));
      assert.deepStrictEqual(onDisk, r.inputs);
    }
    for (const r of resources) {
      assert.deepStrictEqual(Object.keys(r.options).filter((k) => k !== "provider").sort(), ["dependsOn", "ignoreChanges", "protect", "retainOnDelete"]);
      assert.match(r.urn, /^urn:pulumi:staging::sigma-observability::/);
    }
    const report = JSON.parse(fs.readFileSync(path.join(dir, "policy-report.json"), "utf8"));
    assert.strictEqual(report.pack, "sigma-observability");
    assert.strictEqual(report.environment, "staging");
    assert.ok(report.policies.length >= 30, `${report.policies.length} policies ran`);
    assert.deepStrictEqual([report.mandatory, report.violations], [0, []]);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8"));
    assert.strictEqual(summary.resourceCount, resources.filter((r: any) => r.custom && !r.type.startsWith("pulumi:providers:")).length);
    for (const r of objects.filter((r: any) => r.inputs.kind === "ConfigMap" && r.inputs.metadata.annotations?.[renderDirAnnotation] !== undefined)) {
      for (const [file, text] of Object.entries(r.inputs.data)) {
        const onDisk = path.join(dir, "configs", r.inputs.metadata.annotations[renderDirAnnotation], file);
        assert.strictEqual(fs.readFileSync(onDisk, "utf8"), text, onDisk);
      }
    }
  });

  it("writes detection.md: the committed promtool measurement of every SLO's scenarios, current for the stack", () => {
    const text = fs.readFileSync(path.join(out, "staging", "detection.md"), "utf8");
    const report = committedDetectionReport();
    assert.match(text, /^# Alert detection: staging\n/);
    assert.doesNotMatch(text, /Out of date/);
    assert.ok(text.includes(`Fingerprint \`${report.fingerprint}\``));
    for (const slo of report.slos) assert.ok(text.includes(`### ${slo.title} (${slo.id}, objective ${slo.objective})`), slo.id);
    for (const scenario of report.slos[0].scenarios) assert.match(text, new RegExp(`^\\| ${scenario.name} \\| ${scenario.description}`, "m"), scenario.name);
    const resources = JSON.parse(fs.readFileSync(path.join(out, "staging", "resources.json"), "utf8"));
    const stale = detectionDocument("staging", resources, { ...report, fingerprint: "measured-on-other-rules" });
    assert.match(stale, /^# Alert detection: staging\n\n> \*\*Out of date\.\*\* .*Run `npm run detection`/);
  });

  it("never writes a secret value to disk", () => {
    const text = fs.readFileSync(path.join(out, "staging", "resources.json"), "utf8");
    assert.ok(!text.includes("offline-render-placeholder"), "a secret placeholder reached resources.json");
    assert.ok(!text.includes("offlinerenderplaceholder"));
    for (const r of JSON.parse(text).filter((r: any) => r.type === "kubernetes:core/v1:Secret")) {
      for (const v of Object.values({ ...r.inputs.data, ...r.inputs.stringData })) assert.strictEqual(v, "[secret]");
    }
  });

  it("prints a summary per stack with resources per component, compute and storage", () => {
    const text = logs.join("\n");
    assert.match(text, /^stack staging \(staging\): \d+ resources -> /m);
    assert.match(text, /^ {2}platform +\d+ +.*Namespace/m);
    assert.match(text, /^ {2}workloads +requests [\d.]+ CPU \/ [\d.]+Gi, limits [\d.]+ CPU \/ [\d.]+Gi/m);
    assert.match(text, /^ {2}sigma-observability@[\d.]+: 0 mandatory, 0 advisory violation\(s\); \d+ policies over \d+ resources \(environment staging\)$/m);
  });

  it("rejects bad config with the validation message, writes nothing for that stack and still renders the others", async () => {
    const staging = fs.readFileSync(path.join(defaultProjectDir, "Pulumi.staging.yaml"), "utf8");
    const project = tempProject({ good: staging, bad: staging.replace("environment: staging", "environment: qa") });
    const out2 = fs.mkdtempSync(path.join(os.tmpdir(), "render-out-"));
    const lines: string[] = [];
    try {
      const exit = await render({ stacks: [], out: out2, projectDir: project, log: () => undefined, error: (l) => lines.push(l) });
      assert.strictEqual(exit, 1);
      assert.match(lines.join("\n"), /render: stack bad: config of stack "bad" is invalid \(1 problem\):\n {2}- environment: got "qa"; allowed: one of "local", "staging", "prod"\nnothing was written for bad\./);
      assert.deepStrictEqual(fs.readdirSync(out2), ["good"]);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
      fs.rmSync(out2, { recursive: true, force: true });
    }
  });

  it("refuses a credential written in plaintext in the stack file, and names only that problem", async () => {
    const staging = fs.readFileSync(path.join(defaultProjectDir, "Pulumi.staging.yaml"), "utf8");
    const leaky = `${staging}  sigma-observability:slackWebhookUrl: https://hooks.slack.com/services/T1/B1/plaintext\n`;
    const project = tempProject({ leaky });
    const out2 = fs.mkdtempSync(path.join(os.tmpdir(), "render-out-"));
    const lines: string[] = [];
    try {
      assert.strictEqual(await render({ stacks: ["leaky"], out: out2, projectDir: project, log: () => undefined, error: (l) => lines.push(l) }), 1);
      assert.strictEqual(
        lines.join("\n"),
        'render: stack leaky: config of stack "leaky" is invalid (1 problem):\n' +
          '  - slackWebhookUrl: got "(plaintext, not shown)"; allowed: a secret: pulumi config set --secret slackWebhookUrl <value>\n' +
          "nothing was written for leaky.",
      );
      assert.ok(!lines.join("").includes("plaintext\n") && !lines.join("").includes("T1/B1"));
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
      fs.rmSync(out2, { recursive: true, force: true });
    }
  });

  it("names the stacks that exist when asked for one that does not", async () => {
    const lines: string[] = [];
    const exit = await render({ stacks: ["qa"], out, error: (l) => lines.push(l) });
    assert.strictEqual(exit, 1);
    assert.deepStrictEqual(lines, ["render: no Pulumi.qa.yaml; stacks here: local, prod, staging"]);
  });
});
