import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { type Props, configWithDefaults, forTypes, list, record, str } from "./common";
import { k8s } from "./tokens";

/** What one rule of an allowance lets a role touch (the shape of a PolicyRule, without resourceNames). */
export interface RbacGrant {
  apiGroups?: string[];
  resources?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** One of our roles and everything it may touch. */
export interface RoleAllowance {
  kind: "Role" | "ClusterRole";
  name: string;
  /** Only for a Role. */
  namespace?: string;
  rules: RbacGrant[];
}

const grantSchema = {
  type: "object" as const,
  properties: {
    apiGroups: { type: "array" as const, items: { type: "string" as const } },
    resources: { type: "array" as const, items: { type: "string" as const } },
    nonResourceURLs: { type: "array" as const, items: { type: "string" as const } },
    verbs: { type: "array" as const, items: { type: "string" as const } },
  },
  required: ["verbs"],
};

const readOnly = ["get", "list", "watch"];

/**
 * The roles the program creates and what each may touch, as the components grant it: Prometheus discovers pods,
 * endpoints and services and scrapes the kubelet through the node metrics subresource; the log and trace agents read
 * pod and namespace metadata (k8sattributes), the log agent also replicasets to name a pod's Deployment.
 */
const rolesSchema: PolicyConfigSchema = {
  properties: {
    roles: {
      type: "array",
      description: "Every Role and ClusterRole the stack may create, with the rules each may grant; anything broader is a violation.",
      items: {
        type: "object",
        properties: {
          kind: { type: "string", enum: ["Role", "ClusterRole"] },
          name: { type: "string" },
          namespace: { type: "string" },
          rules: { type: "array", items: grantSchema },
        },
        required: ["kind", "name", "rules"],
      },
      default: [
        {
          kind: "ClusterRole",
          name: "monitoring-prometheus-discovery",
          rules: [
            { apiGroups: [""], resources: ["pods", "endpoints", "services"], verbs: readOnly },
            { apiGroups: [""], resources: ["nodes"], verbs: ["list", "watch"] },
            { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
          ],
        },
        {
          kind: "ClusterRole",
          name: "log-agents-log-agent",
          rules: [
            { apiGroups: [""], resources: ["pods", "namespaces"], verbs: readOnly },
            { apiGroups: ["apps"], resources: ["replicasets"], verbs: readOnly },
          ],
        },
        { kind: "ClusterRole", name: "tracing-otel-agent", rules: [{ apiGroups: [""], resources: ["pods", "namespaces"], verbs: readOnly }] },
      ],
    },
  },
};

/** Why a grant is dangerous beyond its breadth, or undefined for an ordinary one. */
export function sensitivity(resource: string, verb: string): string | undefined {
  if (verb === "escalate") return "escalate lets it grant permissions it does not hold";
  if (verb === "bind") return "bind lets it bind roles it does not hold";
  if (verb === "impersonate") return "impersonate lets it act as other users, groups or service accounts";
  const sub = resource.split("/")[1];
  if (resource === "secrets" || resource.startsWith("secrets/")) return "reads or changes Secrets, i.e. credentials";
  if (sub === "exec" || sub === "attach") return `${sub} runs commands in containers`;
  if (sub === "proxy") return "proxy reaches nodes, pods or services past the API server's authorization";
  if (sub === "portforward") return "portforward opens connections into pods";
  if (resource === "serviceaccounts/token") return "mints service account tokens";
  return undefined;
}

/** One apiGroup/resource/verb (or URL/verb) a rule grants. */
interface Triple {
  group: string;
  resource: string;
  verb: string;
}

function triplesOf(rule: Props): Triple[] {
  const verbs = list(rule.verbs).map(String);
  const urls = list(rule.nonResourceURLs).map(String);
  if (urls.length) return urls.flatMap((url) => verbs.map((verb) => ({ group: "(non-resource URL)", resource: url, verb })));
  const groups = list(rule.apiGroups).map(String);
  return (groups.length ? groups : [""]).flatMap((group) =>
    list(rule.resources).flatMap((resource) => verbs.map((verb) => ({ group, resource: String(resource), verb }))),
  );
}

function covers(grant: RbacGrant, t: Triple): boolean {
  if (!grant.verbs.includes(t.verb)) return false;
  if (t.group === "(non-resource URL)") return (grant.nonResourceURLs ?? []).includes(t.resource);
  return (grant.apiGroups ?? [""]).includes(t.group) && (grant.resources ?? []).includes(t.resource);
}

const groupLabel = (group: string) => (group === "" ? "core" : group);

/** `get, list on pods, services (core)`: a set of triples in one line, grouped by verbs. */
export function describeGrants(triples: Triple[]): string {
  const byTarget = new Map<string, string[]>();
  for (const t of triples) {
    const target = t.group === "(non-resource URL)" ? `URL ${t.resource}` : `${t.resource} (${groupLabel(t.group)})`;
    byTarget.set(target, [...(byTarget.get(target) ?? []), t.verb]);
  }
  const byVerbs = new Map<string, string[]>();
  for (const [target, verbs] of byTarget) {
    const key = [...new Set(verbs)].join(", ");
    byVerbs.set(key, [...(byVerbs.get(key) ?? []), target]);
  }
  return [...byVerbs].map(([verbs, targets]) => `${verbs} on ${targets.join(", ")}`).join("; ");
}

function describeAllowance(allowance: RoleAllowance): string {
  return describeGrants(allowance.rules.flatMap((r) => triplesOf(r as unknown as Props))) || "nothing";
}

/** `ClusterRole "name"` or `Role "ns/name"`, as configured and as reported. */
function roleId(kind: string, name: string, namespace: string | undefined): string {
  return kind === "Role" ? `Role "${namespace ?? "default"}/${name}"` : `ClusterRole "${name}"`;
}

function kindOf(props: Props, type: string): string {
  return str(props.kind) ?? type.split(":").pop()!.replace(/Patch$/, "");
}

function findAllowance(roles: RoleAllowance[], kind: string, name: string, namespace: string | undefined): RoleAllowance | undefined {
  return roles.find((r) => r.kind === kind && r.name === name && (kind !== "Role" || (r.namespace ?? "default") === (namespace ?? "default")));
}

/** Groups and users that mean "everyone" (or every authenticated caller). */
const everyoneSubjects: Readonly<Record<string, string>> = {
  "Group system:authenticated": "every authenticated user",
  "Group system:unauthenticated": "every anonymous caller",
  "User system:anonymous": "every anonymous caller",
  "Group system:serviceaccounts": "every service account of the cluster",
};

const aggregateLabel = /^rbac\.authorization\.k8s\.io\/aggregate-to-(.+)$/;

export const rbacLeastPrivilege: ResourceValidationPolicy = {
  name: "k8s-rbac-least-privilege",
  description:
    "Every Role and ClusterRole is one of the configured roles and grants nothing beyond what that role may touch " +
    "(Secrets, exec/attach, proxy, portforward, token minting, escalate, bind and impersonate only when listed); no " +
    "role aggregates into the built-in ones; every binding names a configured role and never binds everyone.",
  enforcementLevel: "mandatory",
  configSchema: rolesSchema,
  validateResource: forTypes([...k8s.roles, ...k8s.bindings], (props, args, reportViolation) => {
    const { roles } = configWithDefaults<{ roles: RoleAllowance[] }>(rolesSchema, args);
    const metadata = record(props.metadata);
    const kind = kindOf(props, args.type);
    const name = str(metadata.name) ?? args.name;
    const namespace = str(metadata.namespace);
    const known = roles.map((r) => roleId(r.kind, r.name, r.namespace)).join(", ");
    if (kind === "RoleBinding" || kind === "ClusterRoleBinding") {
      const ref = record(props.roleRef);
      const refKind = str(ref.kind) ?? "ClusterRole";
      const refName = str(ref.name) ?? "";
      // A RoleBinding's Role lives in the binding's namespace.
      if (!findAllowance(roles, refKind, refName, namespace)) {
        reportViolation(`roleRef is ${roleId(refKind, refName, namespace)}; must be one of the configured roles (${known})`);
      }
      list(props.subjects).forEach((s, i) => {
        const subject = record(s);
        const everyone = everyoneSubjects[`${str(subject.kind)} ${str(subject.name)}`];
        if (everyone) {
          reportViolation(`subjects[${i}] is ${str(subject.kind)} "${str(subject.name)}" (${everyone}); must name the service accounts that need the role`);
        }
      });
      return;
    }
    const id = roleId(kind, name, namespace);
    for (const [label, value] of Object.entries(record(metadata.labels))) {
      const aggregate = aggregateLabel.exec(label);
      if (aggregate && String(value) === "true") {
        reportViolation(`${id} metadata.labels["${label}"] is "true": its rules would be added to every role aggregating "${aggregate[1]}"; must not be set`);
      }
    }
    if (props.aggregationRule !== undefined) {
      reportViolation(`${id} aggregationRule is set: it grants whatever matching ClusterRoles grant, which cannot be verified here; must list its rules`);
    }
    const allowance = findAllowance(roles, kind, name, namespace);
    list(props.rules).forEach((r, i) => {
      const extra = triplesOf(record(r)).filter((t) => !allowance?.rules.some((g) => covers(g, t)));
      if (extra.length === 0) return;
      const reasons = [...new Set(extra.map((t) => sensitivity(t.resource, t.verb)).filter((x): x is string => x !== undefined))];
      const why = reasons.length ? ` (${reasons.join("; ")})` : "";
      const allowed = allowance
        ? `allowed for ${id}: ${describeAllowance(allowance)}`
        : `${id} is not one of the configured roles (${known}); add it to roles with what it needs`;
      reportViolation(`${id} rules[${i}] grants ${describeGrants(extra)}${why}; ${allowed}`);
    });
  }),
};
