import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { SyntaxNode, Tree } from "@lezer/common";
import { validateStackConfig } from "../config";
import { kubeletMetrics } from "../components/monitoring-core/prometheus-config";
import { buildRuleFiles, ruleFilesInputOf, runbookDir, runbookFile, runbookSection, toGoYaml, type AlertingRule, type RuleFile } from "../rules";
import { knownMetricNames, metricSources } from "../rules/metric-sources";
import { contractSeriesNames, serviceKeys } from "../rules/metrics";
import { isAlertingRule } from "../rules/types";
import { defaultProjectDir } from "../scripts/synth";
import { readStackFile, stackNames } from "../scripts/synth/stack-files";
import { startPrometheus } from "./support/prom-tools";

/**
 * Both grammars ship CommonJS builds but declare their types as ES modules, which a Node16 CommonJS file cannot import
 * statically: load the CommonJS build and type it as the parser surface used here.
 */
interface Grammar {
  parse(text: string): Tree;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const promqlParser = (require("@prometheus-io/lezer-promql") as { parser: Grammar }).parser;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const logqlParser = (require("@grafana/lezer-logql") as { parser: Grammar }).parser;

const docsDir = path.join(defaultProjectDir, "docs");
const runbooksDir = path.join(defaultProjectDir, runbookDir);
const logqlReference = path.join(docsDir, "logql-reference.md");

/** The rule files of one committed stack, built from its config. */
function stackRuleFiles(stack: string): Record<string, RuleFile> {
  const c = validateStackConfig(readStackFile(defaultProjectDir, stack).values, `Pulumi.${stack}.yaml`);
  return buildRuleFiles(ruleFilesInputOf(c));
}

const stacks = stackNames(defaultProjectDir);
const alertsByStack = Object.fromEntries(stacks.map((stack) => [
  stack,
  Object.values(stackRuleFiles(stack)).flatMap((f) => f.groups.flatMap((g) => g.rules.filter(isAlertingRule))),
])) as Record<string, AlertingRule[]>;
const allAlerts = Object.values(alertsByStack).flat();

/** A fenced query block of a Markdown file: its language, text and line. */
interface Query {
  file: string;
  line: number;
  lang: "promql" | "logql";
  text: string;
}

function queriesOf(file: string): Query[] {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const out: Query[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(promql|logql)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf("```", i + 1);
    assert.ok(end > i, `${path.relative(defaultProjectDir, file)}:${i + 1}: unclosed ${open[1]} block`);
    out.push({ file: path.relative(defaultProjectDir, file), line: i + 1, lang: open[1] as Query["lang"], text: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return out;
}

const runbookFiles = fs.readdirSync(runbooksDir).filter((f) => f.endsWith(".md")).sort();
const runbookQueries = runbookFiles.flatMap((f) => queriesOf(path.join(runbooksDir, f)));
const referenceQueries = queriesOf(logqlReference);
const allQueries = [...runbookQueries, ...referenceQueries];

/** Positions and text of every error node the grammar produced; empty when the query parses. */
function parseErrors(tree: Tree, text: string): string[] {
  const errors: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`at ${node.from}: ${JSON.stringify(text.slice(Math.max(0, node.from - 15), node.to + 15))}`);
    },
  });
  return errors;
}

const parse = (q: Query): Tree => (q.lang === "promql" ? promqlParser : logqlParser).parse(q.text);
const where = (q: Query): string => `${q.file}:${q.line} (${q.lang}) ${JSON.stringify(q.text)}`;

/** The names a PromQL query reads: every selector's metric name, and `__name__` matchers resolved against `known`. */
function metricNamesRead(text: string, known: ReadonlySet<string>): { names: string[]; unresolved: string[] } {
  const names: string[] = [];
  const unresolved: string[] = [];
  const value = (node: SyntaxNode): string => JSON.parse(text.slice(node.from, node.to).replace(/^'|'$/g, '"'));
  promqlParser.parse(text).iterate({
    enter: (ref) => {
      if (ref.name === "VectorSelector") {
        const id = ref.node.getChild("Identifier");
        if (id) names.push(text.slice(id.from, id.to));
      }
      if (ref.name === "UnquotedLabelMatcher" && text.slice(ref.from, ref.to).startsWith("__name__")) {
        const literal = ref.node.getChild("StringLiteral");
        const op = ref.node.getChild("MatchOp");
        if (!literal || !op) return;
        const pattern = value(literal);
        const opText = text.slice(op.from, op.to);
        if (opText === "=") names.push(pattern);
        else if (opText === "=~") {
          const re = new RegExp(`^(?:${pattern})$`);
          const matching = [...known].filter((n) => re.test(n));
          if (matching.length === 0) unresolved.push(`__name__=~${JSON.stringify(pattern)}`);
          names.push(...matching);
        }
      }
    },
  });
  return { names, unresolved };
}

describe("runbooks", () => {
  it("enumerates alerts from every committed stack", () => {
    assert.ok(stacks.length >= 2, stacks.join(", "));
    for (const stack of stacks) assert.ok(alertsByStack[stack].length > 0, `${stack}: no alerts`);
  });

  it("has exactly one runbook per alert name and no runbook without an alert", () => {
    const names = [...new Set(allAlerts.map((a) => a.alert))].sort();
    const expected = names.map(runbookFile).sort();
    const missing = expected.filter((f) => !runbookFiles.includes(f));
    const orphans = runbookFiles.filter((f) => !expected.includes(f));
    assert.deepEqual({ missing, orphans }, { missing: [], orphans: [] });
    assert.equal(runbookFiles.length, names.length);
  });

  it("links every alert of every stack to its runbook, and every linked section exists as a heading", () => {
    for (const [stack, alerts] of Object.entries(alertsByStack)) {
      const c = validateStackConfig(readStackFile(defaultProjectDir, stack).values, stack);
      for (const a of alerts) {
        const section = runbookSection(a);
        assert.equal(a.annotations.runbook_url, `${c.alerting.runbookBaseUrl}/${runbookFile(a.alert)}${section ? `#${section}` : ""}`, `${stack} ${a.alert}`);
        if (!section) continue;
        const text = fs.readFileSync(path.join(runbooksDir, runbookFile(a.alert)), "utf8");
        assert.match(text, new RegExp(`^## ${section.replace(/[-]/g, "\\-")}$`, "m"), `${runbookDir}/${runbookFile(a.alert)} has no section "## ${section}" (${stack})`);
      }
    }
  });

  it("gives a family runbook no section that belongs to no alert", () => {
    for (const file of runbookFiles) {
      const alert = file.replace(/\.md$/, "");
      const sections = new Set(allAlerts.filter((a) => a.alert === alert).map(runbookSection).filter((s): s is string => !!s));
      if (sections.size === 0) continue;
      const headings = [...fs.readFileSync(path.join(runbooksDir, file), "utf8").matchAll(/^## ([a-z0-9-]+)$/gm)].map((m) => m[1]);
      assert.deepEqual([...headings].sort(), [...sections].sort(), file);
    }
  });

  it("answers the on-call questions in every runbook, with at least one PromQL and one LogQL query", () => {
    const headings = ["What it means", "User impact", "How to confirm", "What to do", "When to escalate"];
    for (const file of runbookFiles) {
      const text = fs.readFileSync(path.join(runbooksDir, file), "utf8");
      const found = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]).filter((h) => headings.includes(h));
      assert.deepEqual(found, headings, `${file}: headings in order`);
      const langs = new Set(runbookQueries.filter((q) => q.file.endsWith(`/${file}`)).map((q) => q.lang));
      assert.deepEqual([...langs].sort(), ["logql", "promql"], file);
    }
  });

  it("parses every PromQL and LogQL query of the runbooks and the LogQL reference with the real grammars", () => {
    assert.ok(runbookQueries.length > 100, `${runbookQueries.length} runbook queries`);
    assert.ok(referenceQueries.filter((q) => q.lang === "logql").length >= 10, `${referenceQueries.length} reference queries`);
    const broken = allQueries.flatMap((q) => parseErrors(parse(q), q.text).map((e) => `${where(q)}: syntax error ${e}`));
    assert.deepEqual(broken, []);
  });

  it("fails a broken query with its file, line and text", () => {
    const bad: Query = { file: "docs/runbooks/X.md", line: 3, lang: "logql", text: '{k8s_namespace_name="logging" |= "x"' };
    assert.notDeepEqual(parseErrors(parse(bad), bad.text), []);
    assert.notDeepEqual(parseErrors(parse({ ...bad, lang: "promql", text: "sum(rate(up[5m])" }), "sum(rate(up[5m])"), []);
    assert.match(where(bad), /^docs\/runbooks\/X\.md:3 \(logql\) /);
  });

  it("reads in every PromQL query only metrics that something we deploy produces", () => {
    const known = knownMetricNames();
    const problems = allQueries.filter((q) => q.lang === "promql").flatMap((q) => {
      const { names, unresolved } = metricNamesRead(q.text, known);
      return [...names.filter((n) => !known.has(n)), ...unresolved].map((n) => `${where(q)}: ${n} is in no source of rules/metric-sources.ts`);
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(metricNamesRead('rate(made_up_total{job="x"}[5m]) + {__name__=~"nothing_.*"}', known), { names: ["made_up_total"], unresolved: ['__name__=~"nothing_.*"'] });
  });

  it("uses in LogQL only the stream labels our Loki indexes from OTLP resource attributes, and only documented placeholders", () => {
    const indexed = new Set(["k8s_namespace_name", "k8s_container_name", "k8s_pod_name", "k8s_deployment_name", "k8s_statefulset_name", "k8s_daemonset_name", "k8s_cluster_name", "service_name"]);
    const placeholders = new Set(["$namespace", "$container", "$pod", "$trace_id"]);
    const problems: string[] = [];
    const streamLabels = (text: string): string[] => {
      const labels: string[] = [];
      logqlParser.parse(text).iterate({
        enter: (ref) => {
          if (ref.name !== "Matcher" || ref.node.parent?.name !== "Matchers") return;
          const id = ref.node.getChild("Identifier");
          if (id) labels.push(text.slice(id.from, id.to));
        },
      });
      return labels;
    };
    assert.deepEqual(streamLabels('{k8s_namespace_name="x", pod=~"y"} | json | level="error"'), ["k8s_namespace_name", "pod"]);
    for (const q of allQueries.filter((x) => x.lang === "logql")) {
      const labels = streamLabels(q.text);
      if (labels.length === 0) problems.push(`${where(q)}: no stream selector`);
      for (const label of labels.filter((l) => !indexed.has(l))) problems.push(`${where(q)}: stream label ${label} is not indexed`);
      for (const p of q.text.match(/\$[a-z_]+/g) ?? []) if (!placeholders.has(p)) problems.push(`${where(q)}: undocumented placeholder ${p}`);
    }
    assert.deepEqual(problems, []);
  });
});

describe("metric sources", () => {
  it("derives every recorded series and every contract series, and names each exporter metric's component and version", () => {
    const sources = metricSources();
    const recorded = Object.values(stackRuleFiles("prod")).flatMap((f) => f.groups.flatMap((g) => g.rules.flatMap((r) => (isAlertingRule(r) ? [] : [r.record]))));
    const byKind = (kind: string) => new Set(sources.filter((s) => s.source.kind === kind).map((s) => s.name));
    assert.deepEqual([...byKind("recording-rule")].sort(), [...new Set(recorded)].sort());
    for (const service of serviceKeys) {
      for (const name of contractSeriesNames(service)) assert.ok(byKind("contract").has(name), `${service}: ${name}`);
    }
    for (const s of sources) {
      if (s.source.kind === "exporter" || s.source.kind === "spanmetrics") assert.match(s.source.version, /^v?\d+\.\d+/, s.name);
    }
    assert.deepEqual([...byKind("cluster")].sort(), [...kubeletMetrics].sort());
  });

  it("knows every metric the generated alert and recording rules read", () => {
    const known = knownMetricNames();
    const rules = Object.values(stackRuleFiles("prod")).flatMap((f) => f.groups.flatMap((g) => g.rules));
    const unknown = rules.flatMap((r) => {
      const { names, unresolved } = metricNamesRead(r.expr, known);
      return [...names.filter((n) => !known.has(n)), ...unresolved].map((n) => `${isAlertingRule(r) ? r.alert : r.record}: ${n}`);
    });
    assert.deepEqual(unknown, []);
  });
});

describe("runbook queries on a real Prometheus", function () {
  let prom: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  let workDir = "";

  before(async () => {
    // The toolchain's Prometheus (startPeer fails naming `npm run toolchain` when it is missing; npm test builds it).
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "runbooks-prom-"));
    const files = stackRuleFiles("prod");
    prom = await startPrometheus(workDir, {
      "prometheus.yml": { global: { evaluation_interval: "30s" }, rule_files: Object.keys(files).map((f) => `rules/${f}`) },
      ...Object.fromEntries(Object.entries(files).map(([f, doc]) => [`rules/${f}`, toGoYaml(doc)])),
    });
  });
  after(async () => {
    await prom?.stop();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("loads the prod rules and answers every runbook PromQL query without error", async () => {
    const failures: string[] = [];
    for (const q of runbookQueries.filter((x) => x.lang === "promql")) {
      const res = await fetch(`${prom!.url}/api/v1/query?${new URLSearchParams({ query: q.text })}`);
      const body = (await res.json()) as { status: string; error?: string };
      if (body.status !== "success") failures.push(`${where(q)}: ${body.error}`);
    }
    assert.deepEqual(failures, []);
    const rules = (await (await fetch(`${prom!.url}/api/v1/rules`)).json()) as { data: { groups: unknown[] } };
    assert.equal(rules.data.groups.length, Object.values(stackRuleFiles("prod")).reduce((n, f) => n + f.groups.length, 0));
  });
});
