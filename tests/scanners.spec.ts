/**
 * Two independent scanners, kube-score and checkov, over the manifests of every committed stack: each finding must
 * be fixed or waived with its reason in tests/scanner-waivers.yaml, and each waiver must still match a finding.
 * Both run offline from the toolchain (`npm run toolchain`): kube-score built from its Go module, checkov from PyPI
 * in a venv of its own (toolchain/python.ts).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as YAML from "yaml";
import { z } from "zod";
import { enginePeers } from "../config/versions";
import { defaultProjectDir, stackNames } from "../scripts/synth";
import { toolchainBinary } from "../toolchain/paths";
import { renderStack } from "./support/harness";

const scanners = ["kube-score", "checkov"] as const;
type Scanner = (typeof scanners)[number];

/** One complaint of a scanner about one object of one stack's render. */
export interface Finding {
  scanner: Scanner;
  stack: string;
  check: string;
  /** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects. */
  object: string;
  message: string;
}

const waiverSchema = z.strictObject({
  scanner: z.enum(scanners),
  check: z.string().min(1),
  message: z.string().min(1).optional(),
  reason: z.string().min(40, "a reason of at least a sentence"),
  objects: z.array(z.string().regex(/^[A-Za-z]+\/([a-z0-9-]+\/)?[a-z0-9.-]+$/, "Kind/namespace/name")).min(1),
});
export type Waiver = z.infer<typeof waiverSchema>;

const waiversFile = join(__dirname, "scanner-waivers.yaml");

/** The waivers of tests/scanner-waivers.yaml (its `workloads` list is only an anchor the waivers refer to). */
export function loadWaivers(text = readFileSync(waiversFile, "utf8")): Waiver[] {
  const parsed = z.strictObject({ workloads: z.array(z.string()).optional(), waivers: z.array(waiverSchema) }).parse(YAML.parse(text));
  return parsed.waivers;
}

const objectId = (kind: string, namespace: string | undefined, name: string) => (namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`);

const covers = (w: Waiver, f: Finding, object = f.object) =>
  w.scanner === f.scanner && w.check === f.check && f.object === object && (!w.message || f.message.includes(w.message));

/** Findings no waiver covers, one line each: scanner, check, object, stack and message. */
export function unwaived(findings: Finding[], waivers: Waiver[]): string[] {
  return findings
    .filter((f) => !waivers.some((w) => w.objects.some((o) => covers(w, f, o))))
    .map((f) => `${f.scanner} ${f.check} ${f.object} [${f.stack}]: ${f.message}`);
}

/** Waived objects of `scanner` that match no finding in any stack, one line each. */
export function stale(findings: Finding[], waivers: Waiver[], scanner: Scanner): string[] {
  return waivers
    .filter((w) => w.scanner === scanner)
    .flatMap((w) => w.objects.filter((o) => !findings.some((f) => covers(w, f, o))).map((o) => `${w.scanner} ${w.check}${w.message ? ` "${w.message}"` : ""} ${o}`));
}

interface KubeScoreObject {
  type_meta: { kind: string };
  object_meta: { name: string; namespace?: string };
  checks: { check: { id: string }; grade: number; skipped: boolean; comments: { path?: string; summary: string }[] | null }[];
}

/** kube-score's `-o json` (v2): every check graded below OK (10) and not skipped, one finding per comment. */
export function kubeScoreFindings(stack: string, json: string): Finding[] {
  return (JSON.parse(json) as KubeScoreObject[]).flatMap((o) =>
    o.checks
      .filter((c) => !c.skipped && c.grade < 10)
      .flatMap((c) =>
        (c.comments ?? [{ summary: "(no comment)" }]).map((comment) => ({
          scanner: "kube-score" as const,
          stack,
          check: c.check.id,
          object: objectId(o.type_meta.kind, o.object_meta.namespace, o.object_meta.name),
          message: comment.path ? `${comment.summary} (container ${comment.path})` : comment.summary,
        })),
      ),
  );
}

interface CheckovReport {
  summary: { passed: number; failed: number };
  results: { failed_checks: { check_id: string; check_name: string; resource: string }[] };
}

/** checkov's `-o json` for one file and framework: every failed check; resources are `Kind.namespace.name`. */
export function checkovFindings(stack: string, json: string): { findings: Finding[]; checks: number } {
  const parsed = JSON.parse(json) as CheckovReport | CheckovReport[];
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const findings = reports.flatMap((r) =>
    r.results.failed_checks.map((f) => {
      const [kind, namespace, ...name] = f.resource.split(".");
      return { scanner: "checkov" as const, stack, check: f.check_id, object: objectId(kind, namespace, name.join(".")), message: f.check_name };
    }),
  );
  return { findings, checks: reports.reduce((n, r) => n + r.summary.passed + r.summary.failed, 0) };
}

/** Runs a scanner; it exits 1 when it finds something, so only its output and a parse decide. */
function scan(binary: string, args: string[]): Promise<{ stdout: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir() }, maxBuffer: 256 * 2 ** 20, timeout: 240_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(new Error(`${binary} ${args.join(" ")} did not complete: ${error.message}\n${stderr}`));
        else if (error && error.code !== 1) reject(new Error(`${binary} ${args.join(" ")} exited ${error.code}:\n${stderr.slice(-2000)}`));
        else resolve({ stdout, seconds: (Date.now() - started) / 1000 });
      },
    );
  });
}

/** The Kubernetes release the suite tests against, as kube-score's `--kubernetes-version` takes it (`v1.36`). */
const kubernetesMinor = enginePeers.kubernetes.version.split(".").slice(0, 2).join(".");

const stacks = stackNames(defaultProjectDir);

describe("independent scanners over every stack's render", function () {
  this.timeout(600_000);
  let dir: string;
  const files: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "scanners-"));
    for (const stack of stacks) {
      const objects = (await renderStack(stack)).objects();
      files[stack] = join(dir, `${stack}.yaml`);
      writeFileSync(files[stack], objects.map((o) => YAML.stringify(o, { lineWidth: 0 })).join("---\n"));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const waivers = loadWaivers();

  it(`kube-score: every finding on ${stacks.join(", ")} is fixed or waived, and every waiver still matches`, async () => {
    const binary = toolchainBinary("kube-score");
    const findings: Finding[] = [];
    for (const stack of stacks) {
      const run = await scan(binary, ["score", "--output-format", "json", "--kubernetes-version", kubernetesMinor, files[stack]]);
      const found = kubeScoreFindings(stack, run.stdout);
      console.log(`      kube-score ${stack}: ${found.length} findings in ${run.seconds.toFixed(1)}s`);
      findings.push(...found);
    }
    assert.deepEqual(unwaived(findings, waivers), [], "findings neither fixed nor waived in tests/scanner-waivers.yaml");
    assert.deepEqual(stale(findings, waivers, "kube-score"), [], "waivers that match no finding any more: remove them");
  });

  it(`checkov: every failed check on ${stacks.join(", ")} is fixed or waived, and every waiver still matches`, async () => {
    const binary = toolchainBinary("checkov");
    const findings: Finding[] = [];
    for (const stack of stacks) {
      const run = await scan(binary, ["--file", files[stack], "--framework", "kubernetes", "--output", "json", "--quiet", "--compact", "--skip-download"]);
      const { findings: found, checks } = checkovFindings(stack, run.stdout);
      assert.ok(checks > 500, `checkov ran only ${checks} checks on ${stack}: did it parse the manifests?`);
      console.log(`      checkov ${stack}: ${found.length} failed of ${checks} checks in ${run.seconds.toFixed(1)}s`);
      findings.push(...found);
    }
    assert.deepEqual(unwaived(findings, waivers), [], "failed checks neither fixed nor waived in tests/scanner-waivers.yaml");
    assert.deepEqual(stale(findings, waivers, "checkov"), [], "waivers that match no finding any more: remove them");
  });

  describe("the waiver logic", () => {
    const finding = (f: Partial<Finding>): Finding => ({
      scanner: "kube-score", stack: "prod", check: "container-resources", object: "StatefulSet/monitoring/prometheus", message: "CPU limit is not set (container prometheus)", ...f,
    });
    const waiver: Waiver = {
      scanner: "kube-score", check: "container-resources", message: "CPU limit", reason: "no CPU limits by design, throttling costs latency", objects: ["StatefulSet/monitoring/prometheus"],
    };

    it("fails a finding no waiver covers, naming scanner, check, object, stack and message", () => {
      const memory = finding({ message: "Memory limit is not set (container prometheus)" });
      assert.deepEqual(unwaived([finding({}), memory], [waiver]), [
        "kube-score container-resources StatefulSet/monitoring/prometheus [prod]: Memory limit is not set (container prometheus)",
      ]);
      assert.deepEqual(unwaived([finding({ object: "StatefulSet/monitoring/alertmanager" })], [waiver]).length, 1);
      assert.deepEqual(unwaived([finding({ scanner: "checkov" })], [waiver]).length, 1);
    });

    it("reports a waived object that matches nothing as stale", () => {
      assert.deepEqual(stale([finding({})], [waiver], "kube-score"), []);
      assert.deepEqual(stale([finding({ stack: "local", object: "StatefulSet/monitoring/alertmanager" })], [waiver], "kube-score"), [
        'kube-score container-resources "CPU limit" StatefulSet/monitoring/prometheus',
      ]);
    });

    it("reads both scanners' output formats", () => {
      const ks = JSON.stringify([
        {
          type_meta: { kind: "CronJob" },
          object_meta: { name: "jaeger-index-cleaner", namespace: "tracing" },
          checks: [
            { check: { id: "cronjob-has-deadline" }, grade: 1, skipped: false, comments: [{ path: "", summary: "The CronJob should have startingDeadlineSeconds configured" }] },
            { check: { id: "stable-version" }, grade: 10, skipped: false, comments: null },
          ],
        },
      ]);
      assert.deepEqual(kubeScoreFindings("prod", ks), [
        { scanner: "kube-score", stack: "prod", check: "cronjob-has-deadline", object: "CronJob/tracing/jaeger-index-cleaner", message: "The CronJob should have startingDeadlineSeconds configured" },
      ]);
      const ck = JSON.stringify({
        summary: { passed: 7, failed: 1 },
        results: { failed_checks: [{ check_id: "CKV_K8S_35", check_name: "Prefer using secrets as files over secrets as environment variables", resource: "Deployment.monitoring.grafana" }] },
      });
      assert.deepEqual(checkovFindings("prod", ck), {
        checks: 8,
        findings: [{ scanner: "checkov", stack: "prod", check: "CKV_K8S_35", object: "Deployment/monitoring/grafana", message: "Prefer using secrets as files over secrets as environment variables" }],
      });
    });

    it("the waivers file parses, and every waiver names objects of one scanner check once", () => {
      const seen = new Set<string>();
      for (const w of waivers) {
        for (const o of w.objects) {
          const key = `${w.scanner} ${w.check} ${w.message ?? ""} ${o}`;
          assert.ok(!seen.has(key), `${key} is waived twice`);
          seen.add(key);
        }
      }
      assert.throws(() => loadWaivers("waivers:\n  - scanner: trivy\n    check: x\n    reason: r\n    objects: [a]\n"), /scanner/);
    });
  });
});
