/**
 * The `alerting` section of the stack config: who owns what, where notifications go, and when. Credentials are
 * not here: the Slack webhook URL, the PagerDuty routing keys and the SMTP password are Pulumi secrets written to
 * a Kubernetes Secret and read by Alertmanager from files (see `alertmanagerSecretFiles`).
 */
import { z } from "zod";
import { promDuration } from "../config/common";
import { metricContract, serviceKeys, type ServiceKey } from "./metrics";

const teamName = z.string().regex(/^[a-z][a-z0-9-]*$/, "a team name: lower-case letters, digits and dashes, starting with a letter");

const clock = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, "a time of day HH:MM from 00:00 to 24:00");

const isClock = (v: string) => clock.safeParse(v).success;

const weekdayRange = z.string().regex(
  /^(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(:(monday|tuesday|wednesday|thursday|friday|saturday|sunday))?$/,
  "a weekday or an inclusive range of weekdays, such as monday or monday:friday",
);

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "an IANA time zone such as UTC or Europe/Berlin");

/** The team that runs the observability stack and receives its health alerts. */
export const platformTeamDefault = "platform";

/** Each service's owner in the service catalog. */
const defaultOwners = Object.fromEntries(serviceKeys.map((s) => [s, metricContract[s].owner])) as Record<ServiceKey, string>;
const defaultTeams = Object.fromEntries(
  [...new Set([...Object.values(defaultOwners), platformTeamDefault])].map((team) => [team, { slackChannel: `#alerts-${team}` }]),
);

/**
 * Where the runbooks of this repository (`docs/runbooks/<alert>.md`) are served from. The repository records no remote
 * URL, so no default can name its real Git host; the default is a placeholder on the stacks' own `.example` domain that
 * keeps the repository path (`.../blob/main/docs/runbooks`), so a stack changes only the host and repository prefix. A
 * stack that pages people sets its own (`pulumi config set --path alerting.runbookBaseUrl https://git.../docs/runbooks`);
 * the runbook tests prove every alert's path under it names a file that exists here.
 */
export const runbookBaseUrlDefault = "https://git.sigma-platform.example/sigma/sigma-observability/blob/main/docs/runbooks";

/** Base URL of the runbooks: https, no trailing slash (each alert appends `/<alert>.md`), no query or fragment. */
export const runbookBaseUrl = z
  .url({ protocol: /^https$/, error: "an https URL of the docs/runbooks folder, such as https://github.com/org/repo/blob/main/docs/runbooks" })
  .refine((url) => !/[/?#]$|[?#]/.test(url), "an https URL of the docs/runbooks folder without a trailing slash, query or fragment")
  .default(runbookBaseUrlDefault);

/** Schema of the `alerting` config section (zod v4); every default is here, with its reason. */
export const alertingSchema = z.object({
  /** Teams and their Slack channel. Default: one `#alerts-<team>` channel per service owner in the catalog and the platform team. */
  teams: z.record(teamName, z.object({
    slackChannel: z.string().regex(/^#[a-z0-9][a-z0-9._-]*$/, "a Slack channel such as #alerts-storage: '#', then lower-case letters, digits, '.', '_' or '-'"),
  }).strict()).default(defaultTeams),
  /** Service -> owning team; default: the owner in the service's catalog entry. */
  owners: z.object(Object.fromEntries(serviceKeys.map((s) => [s, teamName.default(defaultOwners[s])])) as Record<ServiceKey, z.ZodDefault<typeof teamName>>)
    .strict().default(defaultOwners),
  /** Owner of the stack's own alerts. */
  platformTeam: teamName.default(platformTeamDefault),
  /** Base of every alert's `runbook_url`: `<runbookBaseUrl>/<alert>.md`, with `#<section>` for a family's member. */
  runbookBaseUrl,
  /** The on-call mailbox every page is copied to (an audit trail that survives a chat or pager outage). */
  email: z.object({
    to: z.array(z.email("an email address")).min(1, "at least one email address"),
    from: z.email("an email address"),
    smarthost: z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, "the SMTP relay as host:port, such as smtp.example.com:587"),
    /** SMTP login; the password is the `smtp-password` secret. Absent: an unauthenticated relay. */
    username: z.string().min(1, "a non-empty SMTP user name").optional(),
    /** Default true: never send alert contents (hostnames, error text) over plain SMTP. */
    requireTls: z.boolean().default(true),
  }).strict(),
  pagerduty: z.object({
    /** Events API v2 endpoint; EU accounts use https://events.eu.pagerduty.com/v2/enqueue. */
    url: z.url("the URL of the PagerDuty Events API v2, such as https://events.pagerduty.com/v2/enqueue").default("https://events.pagerduty.com/v2/enqueue"),
  }).strict().default({ url: "https://events.pagerduty.com/v2/enqueue" }),
  /**
   * Where info alerts are posted as Alertmanager webhook JSON (e.g. a collector's webhook receiver that turns them
   * into log lines in Loki). Absent: info alerts stay visible in Alertmanager only.
   */
  infoWebhookUrl: z.url("a URL that accepts Alertmanager webhook JSON").optional(),
  /**
   * Tickets (warning) notify only within these hours when enabled; they stay pending, not lost, and go out when
   * the window opens. Pages are never time-restricted. Default off: the stack cannot know a team's working hours.
   */
  businessHours: z.object({
    enabled: z.boolean().default(false),
    location: timeZone.default("UTC"),
    weekdays: z.array(weekdayRange).min(1, "at least one weekday or range of weekdays").default(["monday:friday"]),
    start: clock.default("09:00"),
    end: clock.default("17:00"),
  }).strict().default({ enabled: false, location: "UTC", weekdays: ["monday:friday"], start: "09:00", end: "17:00" }),
  /** Alertmanager parses these with Prometheus' duration parser, hence the stack-wide duration schema. */
  timings: z.object({
    /** Wait for the rest of an incident's alerts before the first notification; short enough not to delay a page. */
    groupWait: promDuration.default("30s"),
    /** Batch alerts that join an already-notified group. */
    groupInterval: promDuration.default("5m"),
    repeatInterval: z.object({
      /** Re-notify an unresolved page every 4 h: once per typical on-call handover window. */
      critical: promDuration.default("4h"),
      /** A ticket reminder once a day is enough; more is noise. */
      warning: promDuration.default("24h"),
      /** Info alerts are records, not requests: once a week. */
      info: promDuration.default("168h"),
    }).strict().default({ critical: "4h", warning: "24h", info: "168h" }),
  }).strict().default({ groupWait: "30s", groupInterval: "5m", repeatInterval: { critical: "4h", warning: "24h", info: "168h" } }),
}).strict().superRefine((config, ctx) => {
  const owners: [string, string][] = [...Object.entries(config.owners), ["platformTeam", config.platformTeam]];
  for (const [key, team] of owners) {
    if (!(team in config.teams)) {
      ctx.addIssue({
        code: "custom",
        path: key === "platformTeam" ? ["platformTeam"] : ["owners", key],
        input: team,
        message: `one of the teams: ${Object.keys(config.teams).join(", ")}`,
      });
    }
  }
  const { start, end } = config.businessHours;
  // Field errors do not stop object refinements in zod v4: compare only times that parsed.
  if (isClock(start) && isClock(end) && start >= end) {
    ctx.addIssue({ code: "custom", path: ["businessHours", "end"], input: end, message: `after businessHours.start (${start})` });
  }
});

export type AlertingConfig = z.output<typeof alertingSchema>;
