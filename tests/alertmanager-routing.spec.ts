import { strict as assert } from "node:assert";
import {
  alertingSchema, alertmanagerSecretFiles, buildAlertmanagerConfig, serviceKeys, toGoYaml,
  type AlertingInput, type AlertmanagerConfig,
} from "../rules";
import { serviceCatalog } from "../catalog";
import { check, formatProblem } from "../config/errors";
import { amtoolCheckConfig, amtoolRoutesTest } from "./support/prom-tools";

const secretsDir = "/etc/alertmanager/secrets";
const email = { to: ["oncall@sigma.example"], from: "alertmanager@sigma.example", smarthost: "smtp.sigma.example:587", username: "alertmanager" };
/** Who gets receivers: every catalogued service and the platform team. */
const receiverOwners = [...serviceKeys, "platform"];
/** The default teams: each service's owner in the catalog, then the platform team. */
const defaultTeams = [...new Set([...serviceCatalog.map((entry) => entry.owner), "platform"])];

function config(alerting: Record<string, unknown> = {}): { input: AlertingInput; am: AlertmanagerConfig } {
  const input: AlertingInput = { environment: "prod", cluster: "eks-prod", alerting: alertingSchema.parse({ email, ...alerting }), secretsDir };
  return { input, am: buildAlertmanagerConfig(input) };
}

/** Every [key path, value] pair of a document. */
function leaves(value: unknown, path = ""): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
  return [[path, value]];
}

describe("alertmanager: configuration", () => {
  it("passes amtool check-config in every variant", async () => {
    const variants = {
      defaults: config().am,
      businessHours: config({ businessHours: { enabled: true, location: "Europe/Berlin", start: "08:30", end: "18:00" } }).am,
      unauthenticatedRelay: config({ email: { ...email, username: undefined }, infoWebhookUrl: "http://alert-log.observability.svc:8080/alerts" }).am,
    };
    for (const [name, am] of Object.entries(variants)) {
      const result = await amtoolCheckConfig(toGoYaml(am));
      assert.equal(result.code, 0, `${name}: ${result.stdout}${result.stderr}`);
      assert.match(result.stdout, new RegExp(`SUCCESS[\\s\\S]* - ${am.inhibit_rules.length} inhibit rules\\n - ${am.receivers.length} receivers`), name);
    }
  });

  it("has a PagerDuty and a Slack receiver per service and for the platform team, then the shared ones", () => {
    assert.deepEqual(config().am.receivers.map((r) => r.name), [
      ...receiverOwners.flatMap((owner) => [`${owner}-pagerduty`, `${owner}-slack`]), "oncall-email", "info-webhook", "blackhole",
    ]);
  });

  it("reads every credential from a file in the mounted Secret, never inline", () => {
    const { input, am } = config();
    const pairs = leaves(am);
    const inline = pairs.filter(([path]) => /\.(api_url|routing_key|service_key|auth_password|auth_secret|bot_token)$/.test(path));
    assert.deepEqual(inline, []);
    const files = pairs.filter(([path]) => path.endsWith("_file")).map(([, v]) => String(v));
    const secretFiles = alertmanagerSecretFiles(input.alerting);
    assert.deepEqual(Object.keys(secretFiles).sort(), [...defaultTeams.map((team) => `pagerduty-routing-key-${team}`), "slack-webhook-url", "smtp-password"].sort());
    assert.deepEqual([...new Set(files)].sort(), Object.values(secretFiles).map((f) => `${secretsDir}/${f}`).sort());
    const ryotPd = am.receivers.find((r) => r.name === "ryot-pagerduty")?.pagerduty_configs?.[0];
    assert.equal(ryotPd?.routing_key_file, `${secretsDir}/pagerduty-routing-key-${serviceCatalog.find((e) => e.key === "ryot")?.owner}`);
  });

  it("follows service ownership: a team owning two services gets both pages, and only its key is needed", () => {
    const { input, am } = config({ owners: { sigmalang: "inference" } });
    assert.equal(input.alerting.owners.ryot, "inference", "ryot's default owner");
    const pd = (name: string): string | undefined => am.receivers.find((r) => r.name === name)?.pagerduty_configs?.[0].routing_key_file;
    assert.equal(pd("sigmalang-pagerduty"), `${secretsDir}/pagerduty-routing-key-inference`);
    assert.equal(am.receivers.find((r) => r.name === "sigmalang-slack")?.slack_configs?.[0].channel, "#alerts-inference");
    assert.ok(!("pagerduty-routing-key-compression" in alertmanagerSecretFiles(input.alerting)));
  });

  it("restricts only tickets to business hours when enabled", () => {
    const { am } = config({ businessHours: { enabled: true, location: "Europe/Berlin" } });
    assert.deepEqual(am.time_intervals, [{
      name: "business-hours",
      time_intervals: [{ weekdays: ["monday:friday"], times: [{ start_time: "09:00", end_time: "17:00" }], location: "Europe/Berlin" }],
    }]);
    const restricted = leaves(am.route).filter(([path]) => path.includes("active_time_intervals"));
    assert.equal(restricted.length, receiverOwners.length, "one warning route per receiver owner");
    for (const owner of am.route.routes?.slice(2) ?? []) {
      for (const child of owner.routes ?? []) {
        assert.equal(child.active_time_intervals !== undefined, child.matchers?.[0] === 'severity="warning"', child.receiver);
      }
    }
    assert.equal(config().am.time_intervals, undefined);
  });

  it("rejects invalid alerting settings with the key path and what is allowed", () => {
    const issues = (value: unknown): string[] => {
      const parsed = check(alertingSchema, value, ["alerting"]);
      assert.equal(parsed.ok, false);
      return parsed.ok ? [] : parsed.problems.map(formatProblem);
    };
    assert.deepEqual(issues({ email, owners: { ryot: "llm" } }), [
      `alerting.owners.ryot: got "llm"; allowed: one of the teams: ${defaultTeams.join(", ")}`,
    ]);
    assert.deepEqual(issues({ email, timings: { groupWait: "30 seconds" }, businessHours: { location: "Mars/Olympus", start: "18:00", end: "09:00" } }), [
      'alerting.businessHours.location: got "Mars/Olympus"; allowed: an IANA time zone such as UTC or Europe/Berlin',
      'alerting.timings.groupWait: got "30 seconds"; allowed: a duration such as 30s, 5m, 12h or 15d',
      'alerting.businessHours.end: got "09:00"; allowed: after businessHours.start (18:00)',
    ]);
    assert.deepEqual(issues({ email: { ...email, to: [] } }), ["alerting.email.to: got []; allowed: at least one email address"]);
    assert.deepEqual(issues({ email, businessHours: { start: "18:00", end: "09:00" } }), ['alerting.businessHours.end: got "09:00"; allowed: after businessHours.start (18:00)']);
    assert.deepEqual(issues({ email: { ...email, from: "not-an-email", to: ["oncall@sigma.example", "pager"] }, businessHours: { start: "9:00", weekdays: ["mon-fri"] } }), [
      'alerting.email.to[1]: got "pager"; allowed: an email address',
      'alerting.email.from: got "not-an-email"; allowed: an email address',
      'alerting.businessHours.weekdays[0]: got "mon-fri"; allowed: a weekday or an inclusive range of weekdays, such as monday or monday:friday',
      'alerting.businessHours.start: got "9:00"; allowed: a time of day HH:MM from 00:00 to 24:00',
    ]);
    const owners = Object.fromEntries(serviceKeys.map((s) => [s, "ops"]));
    assert.deepEqual(issues({ email, teams: { "On Call": { slackChannel: "#oncall" }, ops: { slackChannel: "alerts" } }, owners, platformTeam: "On Call" }), [
      'alerting.teams["On Call"]: got "On Call"; allowed: a team name: lower-case letters, digits and dashes, starting with a letter',
      'alerting.teams.ops.slackChannel: got "alerts"; allowed: a Slack channel such as #alerts-storage: \'#\', then lower-case letters, digits, \'.\', \'_\' or \'-\'',
      'alerting.platformTeam: got "On Call"; allowed: a team name: lower-case letters, digits and dashes, starting with a letter',
    ]);
  });
});

describe("alertmanager: routing tree on amtool config routes test", () => {
  const { am } = config();
  const yaml = toGoYaml(am);
  const owners = [...serviceKeys.map((s) => [s, s] as const), ["observability", "platform"] as const];
  const cases: { labels: Record<string, string>; receivers: string[] }[] = [];
  for (const [service, owner] of owners) {
    cases.push(
      { labels: { service, severity: "critical" }, receivers: [`${owner}-pagerduty`, `${owner}-slack`, "oncall-email"] },
      { labels: { service, severity: "warning" }, receivers: [`${owner}-slack`] },
      { labels: { service, severity: "info" }, receivers: ["info-webhook"] },
      { labels: { service, severity: "none" }, receivers: ["blackhole"] },
      { labels: { service }, receivers: [`${owner}-slack`] },
    );
  }
  cases.push(
    { labels: { service: "unknown", severity: "critical" }, receivers: ["platform-slack"] },
    { labels: { alertname: "Watchdog", severity: "none", service: "observability" }, receivers: ["blackhole"] },
  );

  for (const { labels, receivers } of cases) {
    const description = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(" ");
    it(`${description} -> ${receivers.join(", ")}`, async () => {
      const result = await amtoolRoutesTest(yaml, { alertname: "Test", ...labels }, { verifyReceivers: receivers });
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
      assert.deepEqual(result.receivers, receivers);
    });
  }

  it("detects a wrong expectation (the harness can fail)", async () => {
    const result = await amtoolRoutesTest(yaml, { service: "ryot", severity: "critical" }, { verifyReceivers: ["ryot-slack"] });
    assert.equal(result.code, 1);
    assert.deepEqual(result.receivers, ["ryot-pagerduty", "ryot-slack", "oncall-email"]);
  });
});
