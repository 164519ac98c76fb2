import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { alertingSchema, alertmanagerSecretFiles, buildAlertmanagerConfig, toGoYaml } from "../rules";
import { freeLoopbackPort, startAlertmanager, type RunningAlertmanager } from "./support/prom-tools";
import { validateStackConfig } from "../config";
import { stackValues } from "./support/harness";

/**
 * Inhibition, grouping and silencing on the deployed Alertmanager release running the rendered configuration. Every
 * integration points at a loopback capture server (PagerDuty's `url`, the Slack webhook URL file, the info
 * webhook), so the test also sees which notifications were actually sent.
 */

type Labels = Record<string, string>;
interface ApiAlert { labels: Labels; fingerprint: string; status: { state: string; inhibitedBy: string[]; silencedBy: string[] } }
interface ApiGroup { labels: Labels; receiver: { name: string }; alerts: ApiAlert[] }
interface Captured { path: string; body: Record<string, unknown> }

const cluster = "eks-prod";
const alerts: Record<string, Labels> = {
  pageFast: { alertname: "SLOFastBurn", severity: "critical", service: "ryot", slo: "availability", long_window: "1h", short_window: "5m" },
  pageSlow: { alertname: "SLOFastBurn", severity: "critical", service: "ryot", slo: "availability", long_window: "6h", short_window: "30m" },
  ticketSameSlo: { alertname: "SLOSlowBurn", severity: "warning", service: "ryot", slo: "availability", long_window: "3d", short_window: "6h" },
  infoSameSlo: { alertname: "ErrorBudgetReport", severity: "info", service: "ryot", slo: "availability" },
  ticketOtherSlo: { alertname: "SLOSlowBurn", severity: "warning", service: "ryot", slo: "time-to-first-token", long_window: "3d", short_window: "6h" },
  infoOtherSlo: { alertname: "ErrorBudgetReport", severity: "info", service: "ryot", slo: "time-to-first-token" },
  ticketSilenced: { alertname: "SLOSlowBurn", severity: "warning", service: "sigmalang", slo: "availability", long_window: "3d", short_window: "6h" },
  lokiDown: { alertname: "ComponentDown", severity: "critical", service: "observability", component: "loki" },
  otelAgentDown: { alertname: "ComponentDown", severity: "critical", service: "observability", component: "otel-agent" },
  prometheusVolume: { alertname: "PersistentVolumeFillingUp", severity: "warning", service: "observability", namespace: "monitoring", persistentvolumeclaim: "data-prometheus-0" },
  lokiVolume: { alertname: "PersistentVolumeFillingUp", severity: "warning", service: "observability", namespace: "logging", persistentvolumeclaim: "data-loki-0" },
  lokiSymptom: { alertname: "LokiDiscardingLogs", severity: "warning", service: "observability", component: "loki", reason: "rate_limited" },
  gatewaySymptom: { alertname: "CollectorDroppingData", severity: "warning", service: "observability", component: "otel-gateway", job: "otel-gateway" },
  stackCritical: { alertname: "PrometheusRuleEvaluationFailures", severity: "critical", service: "observability", component: "prometheus" },
  agentsDown: { alertname: "ComponentDown", severity: "critical", service: "agents", component: "agents" },
  agentsAbsent: { alertname: "SLIMetricAbsent", severity: "warning", service: "agents", slo: "task-latency", component: "agents", metric: "agents_task_duration_seconds_count" },
  vaultTicket: { alertname: "SLOSlowBurn", severity: "warning", service: "sigmavault", slo: "availability", long_window: "3d", short_window: "6h" },
  vaultPageOtherCluster: { alertname: "SLOFastBurn", severity: "critical", service: "sigmavault", slo: "availability", long_window: "1h", short_window: "5m", cluster: "eks-other" },
  watchdog: { alertname: "Watchdog", severity: "none", service: "observability" },
};
const withCluster = (labels: Labels): Labels => ({ cluster, ...labels });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

describe("alertmanager: inhibition, grouping and silences on a real Alertmanager", function () {
  this.timeout(60_000);
  let am: RunningAlertmanager | undefined;
  let capture: Server | undefined;
  const captured: Captured[] = [];
  let silenceId = "";

  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${am?.url}/api/v2${path}`, { ...init, headers: { "content-type": "application/json" } });
    if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return (text === "" ? undefined : JSON.parse(text)) as T;
  };
  const byName = (list: ApiAlert[]): Map<string, ApiAlert> => new Map(Object.entries(alerts).flatMap(([name, labels]) => {
    const match = list.find((a) => Object.entries(withCluster(labels)).every(([k, v]) => a.labels[k] === v) && Object.keys(a.labels).length === Object.keys(withCluster(labels)).length);
    return match ? [[name, match] as const] : [];
  }));

  before(async () => {
    capture = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (c: string) => { body += c; }).on("end", () => {
        captured.push({ path: req.url ?? "", body: JSON.parse(body) as Record<string, unknown> });
        // Each receiver answers as the real service does: Slack's incoming webhooks a plain `ok` (Alertmanager
        // retries any other answer), PagerDuty's Events API v2 a 202 with a JSON status.
        if (req.url?.startsWith("/pagerduty")) res.writeHead(202, { "content-type": "application/json" }).end('{"status":"success","message":"Event processed"}');
        else res.writeHead(200, { "content-type": "text/html" }).end("ok");
      });
    });
    await new Promise<void>((resolve) => capture?.listen(0, "127.0.0.1", resolve));
    const sink = `http://127.0.0.1:${(capture.address() as AddressInfo).port}`;
    // Nothing listens on this port: email delivery fails fast instead of reaching the network.
    const deadSmtp = await freeLoopbackPort();
    const alerting = alertingSchema.parse({
      email: { to: ["oncall@sigma.example"], from: "alertmanager@sigma.example", smarthost: `127.0.0.1:${deadSmtp}`, username: "alertmanager" },
      pagerduty: { url: `${sink}/pagerduty` },
      infoWebhookUrl: `${sink}/info`,
      timings: { groupWait: "1s", groupInterval: "1s" },
    });
    const files = Object.fromEntries(Object.values(alertmanagerSecretFiles(alerting)).map((file) => [
      `secrets/${file}`, file === "slack-webhook-url" ? `${sink}/slack` : `${file}-value`,
    ]));
    am = await startAlertmanager(
      (dir) => toGoYaml(buildAlertmanagerConfig({ environment: "prod", cluster, alerting, secretsDir: `${dir}/secrets` })),
      // The deployed --data.retention: 0.28 warns at start when a repeat_interval outlasts it (a 120h retention did).
      { files, dataRetention: validateStackConfig(stackValues("prod")).monitoring.alertmanager.dataRetention },
    );
    const now = new Date();
    const silence = await api<{ silenceID: string }>("/silences", {
      method: "POST",
      body: JSON.stringify({
        matchers: [{ name: "service", value: "sigmalang", isRegex: false, isEqual: true }],
        startsAt: now.toISOString(),
        endsAt: new Date(now.getTime() + 3_600_000).toISOString(),
        createdBy: "alertmanager-inhibition.spec",
        comment: "maintenance of ΣLANG",
      }),
    });
    silenceId = silence.silenceID;
    await api("/alerts", {
      method: "POST",
      body: JSON.stringify(Object.values(alerts).map((labels) => ({
        labels: withCluster(labels),
        annotations: { summary: `${labels.alertname} ${labels.service}`, description: "posted by the test", runbook_url: "https://runbooks.example/x" },
        startsAt: now.toISOString(),
      }))),
    });
  });

  after(async () => {
    await am?.stop();
    await new Promise<void>((resolve) => (capture ? capture.close(() => resolve()) : resolve()));
  });

  it("inhibits tickets and info of a paged SLO, and the symptoms of a down component, nothing else", async () => {
    const state = await until("inhibition of all three sources' targets", async () => {
      const seen = byName(await api<ApiAlert[]>("/alerts"));
      const inhibited = [...seen].filter(([, a]) => a.status.inhibitedBy.length > 0).map(([n]) => n).sort();
      return seen.size === Object.keys(alerts).length && inhibited.length >= 4 ? seen : undefined;
    });
    const inhibited = [...state].filter(([, a]) => a.status.inhibitedBy.length > 0).map(([n]) => n).sort();
    assert.deepEqual(inhibited, ["agentsAbsent", "infoSameSlo", "lokiSymptom", "ticketSameSlo"]);
    const pages = [state.get("pageFast")?.fingerprint, state.get("pageSlow")?.fingerprint];
    for (const fp of state.get("ticketSameSlo")?.status.inhibitedBy ?? []) assert.ok(pages.includes(fp));
    assert.deepEqual(state.get("lokiSymptom")?.status.inhibitedBy, [state.get("lokiDown")?.fingerprint]);
    assert.deepEqual(state.get("agentsAbsent")?.status.inhibitedBy, [state.get("agentsDown")?.fingerprint]);
  });

  it("silences by matcher and reports the silence on the alert", async () => {
    const state = byName(await api<ApiAlert[]>("/alerts"));
    assert.equal(state.get("ticketSilenced")?.status.state, "suppressed");
    assert.deepEqual(state.get("ticketSilenced")?.status.silencedBy, [silenceId]);
    for (const name of ["ticketOtherSlo", "vaultTicket", "gatewaySymptom"]) {
      assert.equal(state.get(name)?.status.state, "active", name);
    }
  });

  it("groups both page windows of one SLO into one group per receiver", async () => {
    const groups = await api<ApiGroup[]>("/alerts/groups");
    const ryotPages = groups.filter((g) => g.receiver.name === "ryot-pagerduty");
    assert.equal(ryotPages.length, 1);
    assert.deepEqual(ryotPages[0].labels, { alertname: "SLOFastBurn", cluster, service: "ryot", slo: "availability" });
    assert.deepEqual(ryotPages[0].alerts.map((a) => a.labels.long_window).sort(), ["1h", "6h"]);
    const blackhole = groups.filter((g) => g.receiver.name === "blackhole").flatMap((g) => g.alerts.map((a) => a.labels.alertname));
    assert.deepEqual(blackhole, ["Watchdog"]);
  });

  it("gives each down component and each filling volume a group of its own, so a second one pages during the first", async () => {
    const groups = await api<ApiGroup[]>("/alerts/groups");
    const of = (receiver: string, alertname: string): ApiGroup[] =>
      groups.filter((g) => g.receiver.name === receiver && g.labels.alertname === alertname).sort((a, b) => a.alerts.length - b.alerts.length || JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
    assert.deepEqual(of("platform-pagerduty", "ComponentDown").map((g) => [g.labels, g.alerts.length]), [
      [{ alertname: "ComponentDown", cluster, service: "observability", component: "loki" }, 1],
      [{ alertname: "ComponentDown", cluster, service: "observability", component: "otel-agent" }, 1],
    ]);
    assert.deepEqual(of("platform-slack", "PersistentVolumeFillingUp").map((g) => g.labels), [
      { alertname: "PersistentVolumeFillingUp", cluster, service: "observability", namespace: "logging", persistentvolumeclaim: "data-loki-0" },
      { alertname: "PersistentVolumeFillingUp", cluster, service: "observability", namespace: "monitoring", persistentvolumeclaim: "data-prometheus-0" },
    ]);
    // PagerDuty deduplicates on the group: one incident per down component.
    const incidents = await until("both ComponentDown pages", async () => {
      const keys = captured.filter((c) => c.path === "/pagerduty" && String((c.body.payload as { summary: string }).summary).includes("ComponentDown observability"))
        .map((c) => String(c.body.dedup_key));
      return new Set(keys).size >= 2 ? new Set(keys) : undefined;
    });
    assert.equal(incidents.size, 2);
  });

  it("notifies every receiver of the active alerts and none of the inhibited or silenced ones", async () => {
    const slack = (): string[] => captured.filter((c) => c.path === "/slack").map((c) => {
      const attachment = (c.body.attachments as { title: string }[])[0];
      return `${String(c.body.channel)} ${attachment.title}`;
    }).sort();
    const expectedSlack = [
      "#alerts-agents [FIRING:1] prod: ComponentDown agents",
      "#alerts-inference [FIRING:1] prod: SLOSlowBurn ryot/time-to-first-token",
      "#alerts-inference [FIRING:2] prod: SLOFastBurn ryot/availability",
      "#alerts-platform [FIRING:1] prod: CollectorDroppingData observability",
      "#alerts-platform [FIRING:1] prod: ComponentDown observability",
      "#alerts-platform [FIRING:1] prod: ComponentDown observability",
      "#alerts-platform [FIRING:1] prod: PersistentVolumeFillingUp observability",
      "#alerts-platform [FIRING:1] prod: PersistentVolumeFillingUp observability",
      "#alerts-platform [FIRING:1] prod: PrometheusRuleEvaluationFailures observability",
      "#alerts-storage [FIRING:1] prod: SLOSlowBurn sigmavault/availability",
      "#alerts-storage [FIRING:1] prod: SLOFastBurn sigmavault/availability",
    ].sort();
    await until("Slack notifications", async () => (slack().length >= expectedSlack.length ? true : undefined));
    // Give a late, wrongly routed notification the chance to show up before asserting its absence.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.deepEqual(slack(), expectedSlack);
    const pagerduty = captured.filter((c) => c.path === "/pagerduty")
      .map((c) => `${String(c.body.routing_key)} ${String(c.body.event_action)} ${String((c.body.payload as { summary: string }).summary)}`).sort();
    assert.deepEqual(pagerduty, [
      "pagerduty-routing-key-agents-value trigger [FIRING:1] prod: ComponentDown agents",
      "pagerduty-routing-key-inference-value trigger [FIRING:2] prod: SLOFastBurn ryot/availability",
      "pagerduty-routing-key-platform-value trigger [FIRING:1] prod: ComponentDown observability",
      "pagerduty-routing-key-platform-value trigger [FIRING:1] prod: ComponentDown observability",
      "pagerduty-routing-key-platform-value trigger [FIRING:1] prod: PrometheusRuleEvaluationFailures observability",
      "pagerduty-routing-key-storage-value trigger [FIRING:1] prod: SLOFastBurn sigmavault/availability",
    ]);
    const info = captured.filter((c) => c.path === "/info").map((c) => {
      const body = c.body as { receiver: string; alerts: { labels: Labels }[] };
      return `${body.receiver} ${body.alerts.map((a) => `${a.labels.service}/${a.labels.slo}`).join(",")}`;
    });
    assert.deepEqual(info, ["info-webhook ryot/time-to-first-token"]);
  });

  it("lifts the inhibition when the page resolves", async () => {
    const now = new Date().toISOString();
    await api("/alerts", {
      method: "POST",
      body: JSON.stringify([alerts.pageFast, alerts.pageSlow].map((labels) => ({ labels: withCluster(labels), startsAt: now, endsAt: now }))),
    });
    const ticket = await until("the ticket to become active", async () => {
      const all = await api<ApiAlert[]>("/alerts?active=true&inhibited=true&silenced=true");
      const t = byName(all).get("ticketSameSlo");
      return t && t.status.inhibitedBy.length === 0 ? t : undefined;
    });
    assert.equal(ticket.status.state, "active");
  });
});
