/**
 * The Alertmanager configuration as typed data: receivers per owner, the routing tree, inhibition and business hours.
 * Credentials are referenced by `*_file` fields only, so the rendered alertmanager.yml can live in a ConfigMap.
 */
import type { AlertingConfig } from "./config";
import { stackService } from "./health";
import { serviceKeys, type ServiceKey } from "./metrics";
import { sloAlertNames } from "./slo-rules";

/** Label matcher in Alertmanager's `matchers` syntax, e.g. severity="critical". */
type MatcherString = string;

export interface Route {
  receiver?: string;
  matchers?: MatcherString[];
  group_by?: string[];
  continue?: boolean;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  active_time_intervals?: string[];
  routes?: Route[];
}

export interface InhibitRule {
  source_matchers: MatcherString[];
  target_matchers: MatcherString[];
  equal: string[];
}

export interface PagerdutyConfig {
  routing_key_file: string;
  url: string;
  severity: string;
  description: string;
  client: string;
  send_resolved: boolean;
}

export interface SlackConfig {
  api_url_file: string;
  channel: string;
  title: string;
  text: string;
  send_resolved: boolean;
}

export interface EmailConfig {
  to: string;
  from: string;
  smarthost: string;
  auth_username?: string;
  auth_password_file?: string;
  require_tls: boolean;
  headers: Record<string, string>;
  send_resolved: boolean;
}

export interface WebhookConfig {
  url: string;
  send_resolved: boolean;
}

export interface Receiver {
  name: string;
  pagerduty_configs?: PagerdutyConfig[];
  slack_configs?: SlackConfig[];
  email_configs?: EmailConfig[];
  webhook_configs?: WebhookConfig[];
}

export interface TimeInterval {
  name: string;
  time_intervals: { weekdays: string[]; times: { start_time: string; end_time: string }[]; location: string }[];
}

/** alertmanager.yml, as the deployed Alertmanager reads it. */
export interface AlertmanagerConfig {
  route: Route;
  inhibit_rules: InhibitRule[];
  receivers: Receiver[];
  time_intervals?: TimeInterval[];
}

/** Input of {@link buildAlertmanagerConfig}. */
export interface AlertingInput {
  environment: string;
  cluster: string;
  alerting: AlertingConfig;
  /** Where the credentials Secret is mounted in the Alertmanager pod. */
  secretsDir: string;
}

/** Default mount path of the credentials Secret. */
export const alertmanagerSecretsMountDir = "/etc/alertmanager/secrets";

/** Receiver owners: every catalogued service and the platform team (for the stack's own `service="observability"` alerts). */
export const receiverOwners = [...serviceKeys, "platform"] as const;
export type ReceiverOwner = (typeof receiverOwners)[number];

/**
 * The receivers, named for what they do:
 * - `<owner>-pagerduty`, one per receiver owner: pages the owning team through its PagerDuty service; critical only.
 * - `<owner>-slack`, one per receiver owner: the owning team's channel; every critical and warning alert of the service.
 * - `oncall-email`: a copy of every page to the on-call mailbox, the trail that survives a chat or pager outage.
 * - `info-webhook`: info alerts as JSON to a log sink; records, nobody is notified.
 * - `blackhole`: no integration; the Watchdog heartbeat ends here (an external dead man's switch polls for it).
 */
export const receiverNames = {
  pagerduty: (owner: ReceiverOwner): string => `${owner}-pagerduty`,
  slack: (owner: ReceiverOwner): string => `${owner}-slack`,
  oncallEmail: "oncall-email",
  infoWebhook: "info-webhook",
  blackhole: "blackhole",
} as const;

/** Secret key (= file name under the mount dir) of a team's PagerDuty Events v2 routing key. */
export function pagerdutySecretKey(team: string): string {
  return `pagerduty-routing-key-${team}`;
}

function ownerTeam(alerting: AlertingConfig, owner: ReceiverOwner): string {
  return owner === "platform" ? alerting.platformTeam : alerting.owners[owner as ServiceKey];
}

function pagedTeams(alerting: AlertingConfig): string[] {
  return [...new Set(receiverOwners.map((owner) => ownerTeam(alerting, owner)))];
}

/**
 * The credential files alertmanager.yml reads: Secret key -> path relative to the mount dir (a Secret volume
 * writes each key as a file of that name). MonitoringCore mounts a Secret with exactly these keys at `secretsDir`.
 */
export function alertmanagerSecretFiles(alerting: AlertingConfig): Record<string, string> {
  const keys = [
    "slack-webhook-url",
    ...pagedTeams(alerting).map(pagerdutySecretKey),
    ...(alerting.email.username ? ["smtp-password"] : []),
  ];
  return Object.fromEntries(keys.map((key) => [key, key]));
}

const eq = (label: string, value: string): MatcherString => `${label}=${JSON.stringify(value)}`;
const re = (label: string, value: string): MatcherString => `${label}=~${JSON.stringify(value)}`;
const ne = (label: string, value: string): MatcherString => `${label}!=${JSON.stringify(value)}`;

/** Notification title: status, count, where, and what (the group's labels, which every alert in it shares). */
function titleTemplate(environment: string): string {
  return `[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] ${environment}: {{ .GroupLabels.alertname }} {{ .GroupLabels.service }}{{ with .GroupLabels.slo }}/{{ . }}{{ end }}`;
}

const bodyTemplate =
  "{{ range .Alerts }}*{{ .Labels.severity }}* {{ .Annotations.summary }}\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n\n{{ end }}";

function ownerReceivers(input: AlertingInput, owner: ReceiverOwner): Receiver[] {
  const { alerting, secretsDir, environment, cluster } = input;
  const team = ownerTeam(alerting, owner);
  return [
    {
      name: receiverNames.pagerduty(owner),
      pagerduty_configs: [{
        routing_key_file: `${secretsDir}/${pagerdutySecretKey(team)}`,
        url: alerting.pagerduty.url,
        severity: "critical",
        description: titleTemplate(environment),
        client: `Alertmanager ${environment}/${cluster}`,
        send_resolved: true,
      }],
    },
    {
      name: receiverNames.slack(owner),
      slack_configs: [{
        api_url_file: `${secretsDir}/slack-webhook-url`,
        channel: alerting.teams[team].slackChannel,
        title: titleTemplate(environment),
        text: bodyTemplate,
        send_resolved: true,
      }],
    },
  ];
}

/** The receivers, in the order documented on {@link receiverNames}. */
export function buildReceivers(input: AlertingInput): Receiver[] {
  const { alerting, secretsDir, environment } = input;
  const email: EmailConfig = {
    to: alerting.email.to.join(", "),
    from: alerting.email.from,
    smarthost: alerting.email.smarthost,
    ...(alerting.email.username
      ? { auth_username: alerting.email.username, auth_password_file: `${secretsDir}/smtp-password` }
      : {}),
    require_tls: alerting.email.requireTls,
    headers: { Subject: titleTemplate(environment) },
    send_resolved: true,
  };
  return [
    ...receiverOwners.flatMap((owner) => ownerReceivers(input, owner)),
    { name: receiverNames.oncallEmail, email_configs: [email] },
    {
      name: receiverNames.infoWebhook,
      ...(alerting.infoWebhookUrl ? { webhook_configs: [{ url: alerting.infoWebhookUrl, send_resolved: true }] } : {}),
    },
    { name: receiverNames.blackhole },
  ];
}

/** Name of the business-hours time interval. */
export const businessHoursInterval = "business-hours";

/**
 * The routing tree. Every alert lands somewhere: the root receiver is the platform channel, so a mislabelled
 * alert is seen, not dropped. Under each owner, critical fans out to PagerDuty, Slack and email (`continue`),
 * warning goes to Slack (within business hours when enabled).
 */
export function buildRoute(alerting: AlertingConfig): Route {
  const { timings, businessHours } = alerting;
  const serviceLabel = (owner: ReceiverOwner): string => (owner === "platform" ? stackService : owner);
  const critical = eq("severity", "critical");
  return {
    receiver: receiverNames.slack("platform"),
    // One notification per incident: both page windows of an SLO share a group and a PagerDuty incident (the window
    // labels are not grouped on), while each failing component and each filling volume (namespace/claim) is an incident
    // of its own, so a second one pages even while the first is open. A label an alert lacks groups as empty.
    group_by: ["alertname", "cluster", "service", "slo", "component", "namespace", "persistentvolumeclaim"],
    group_wait: timings.groupWait,
    group_interval: timings.groupInterval,
    repeat_interval: timings.repeatInterval.warning,
    routes: [
      { matchers: [eq("severity", "none")], receiver: receiverNames.blackhole },
      { matchers: [eq("severity", "info")], receiver: receiverNames.infoWebhook, repeat_interval: timings.repeatInterval.info },
      ...receiverOwners.map((owner): Route => ({
        matchers: [eq("service", serviceLabel(owner))],
        receiver: receiverNames.slack(owner),
        routes: [
          { matchers: [critical], receiver: receiverNames.pagerduty(owner), continue: true, repeat_interval: timings.repeatInterval.critical },
          { matchers: [critical], receiver: receiverNames.slack(owner), continue: true, repeat_interval: timings.repeatInterval.critical },
          { matchers: [critical], receiver: receiverNames.oncallEmail, repeat_interval: timings.repeatInterval.critical },
          {
            matchers: [eq("severity", "warning")],
            receiver: receiverNames.slack(owner),
            ...(businessHours.enabled ? { active_time_intervals: [businessHoursInterval] } : {}),
          },
        ],
      })),
    ],
  };
}

/**
 * Inhibition: a page silences the tickets and warnings of the same SLO; a component with no healthy target
 * silences every symptom alert about that component; a full volume silences its nearly-full warning.
 */
export function buildInhibitRules(): InhibitRule[] {
  return [
    {
      source_matchers: [eq("severity", "critical"), re("slo", ".+")],
      target_matchers: [re("severity", "warning|info")],
      equal: ["cluster", "service", "slo"],
    },
    {
      source_matchers: [eq("alertname", sloAlertNames.componentDown)],
      target_matchers: [ne("alertname", sloAlertNames.componentDown)],
      equal: ["cluster", "component"],
    },
    {
      source_matchers: [eq("alertname", "PersistentVolumeFillingUp"), eq("severity", "critical")],
      target_matchers: [eq("alertname", "PersistentVolumeFillingUp"), eq("severity", "warning")],
      equal: ["cluster", "namespace", "persistentvolumeclaim"],
    },
  ];
}

/** The complete alertmanager.yml as a typed object; serialise it with `toGoYaml`. */
export function buildAlertmanagerConfig(input: AlertingInput): AlertmanagerConfig {
  const { businessHours } = input.alerting;
  return {
    route: buildRoute(input.alerting),
    inhibit_rules: buildInhibitRules(),
    receivers: buildReceivers(input),
    ...(businessHours.enabled
      ? {
        time_intervals: [{
          name: businessHoursInterval,
          time_intervals: [{
            weekdays: businessHours.weekdays,
            times: [{ start_time: businessHours.start, end_time: businessHours.end }],
            location: businessHours.location,
          }],
        }],
      }
      : {}),
  };
}
