import type { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { asStrings, iamDocumentTypes, iamDocumentsOf, isEveryone, parsePolicyDocument, statementsOf } from "./aws";
import { type Props, configWithDefaults, describe, forTypes, list, str } from "./common";
import { aws } from "./tokens";

/**
 * Who a policy-carrying resource grants to, for messages: `role "sigma-prod-loki"`, `policy "x"`. Read only when a
 * violation is reported, and never fatal: during a first preview the role name may be unknown while the document is not.
 */
function granteeOf(type: string, props: Props, name: string): string {
  try {
    return grantee(type, props, name);
  } catch {
    return `the principal of ${describe(name)} (not known until deployed)`;
  }
}

function grantee(type: string, props: Props, name: string): string {
  const target = (field: string) => (typeof props[field] === "string" ? describe(props[field]) : `(${name})`);
  switch (type) {
    case aws.iamRolePolicy:
    case aws.iamRolePolicyAttachment:
      return `role ${target("role")}`;
    case aws.iamUserPolicy:
    case aws.iamUserPolicyAttachment:
      return `user ${target("user")}`;
    case aws.iamGroupPolicy:
    case aws.iamGroupPolicyAttachment:
      return `group ${target("group")}`;
    case aws.iamRolePolicyAttachmentsExclusive:
      return `role ${target("roleName")}`;
    case aws.iamUserPolicyAttachmentsExclusive:
      return `user ${target("userName")}`;
    case aws.iamGroupPolicyAttachmentsExclusive:
      return `group ${target("groupName")}`;
    case aws.iamRole:
      return `role ${typeof props.name === "string" ? describe(props.name) : `(${name})`}`;
    case aws.iamPolicyAttachment: {
      const to = (["roles", "users", "groups"] as const).flatMap((f) => list(props[f]).map((x) => `${f.slice(0, -1)} ${describe(x)}`));
      return to.length ? to.join(", ") : "nobody yet";
    }
    case aws.ssoManagedPolicyAttachment:
    case aws.ssoPermissionSetInlinePolicy:
      return "an IAM Identity Center permission set";
    default:
      return `policy ${typeof props.name === "string" ? describe(props.name) : `(${name})`}`;
  }
}

/** Why an action pattern is broader than least privilege, or undefined when it names actions. */
export function broadAction(action: string): string | undefined {
  const a = action.toLowerCase();
  if (a === "*" || a === "*:*") return "every action of every service";
  const [service, verb] = a.split(":");
  if (verb === "*") return `every ${service} action`;
  if ((service === "iam" || service === "sts" || service === "organizations") && verb?.includes("*")) {
    return `a wildcard over ${service} actions, which can grant or assume other permissions`;
  }
  return undefined;
}

/** Actions that hand out more power than they name: on Resource "*" they reach every role or account. */
const escalatingActions = ["iam:passrole", "sts:assumerole", "iam:createaccesskey", "iam:attachrolepolicy", "iam:putrolepolicy", "iam:updateassumerolepolicy"];

export interface LeastPrivilegeConfig {
  anyResourceActions: string[];
}

const leastPrivilegeSchema: PolicyConfigSchema = {
  properties: {
    anyResourceActions: {
      type: "array",
      items: { type: "string" },
      // None of this stack's grants needs it: every statement names its bucket, key or domain ARN.
      description: 'Actions that AWS only authorizes on Resource "*" (e.g. "sts:GetCallerIdentity") and that may be granted so.',
      default: [],
    },
  },
};

export const iamLeastPrivilege: ResourceValidationPolicy = {
  name: "aws-iam-least-privilege",
  description:
    "Every Allow statement of every identity policy (standalone, inline on a role, user or group, or a permission " +
    'set\'s) names its actions (no "*", "<service>:*" or NotAction) and its resources (no Resource "*" or ' +
    "NotResource unless the actions are configured as needing it), and no role trusts Principal \"*\" without a condition.",
  enforcementLevel: "mandatory",
  configSchema: leastPrivilegeSchema,
  validateResource: forTypes(iamDocumentTypes, (props, args, reportViolation) => {
    const { anyResourceActions } = configWithDefaults<LeastPrivilegeConfig>(leastPrivilegeSchema, args);
    const anyResource = anyResourceActions.map((a) => a.toLowerCase());
    const grantee = () => granteeOf(args.type, props, args.name);
    for (const [path, raw] of iamDocumentsOf(args.type, props)) {
      const document = parsePolicyDocument(raw);
      if (!document) continue; // aws-iam-no-wildcard-admin reports documents it cannot read
      statementsOf(document).forEach((statement, i) => {
        if (statement.Effect !== "Allow") return;
        const where = `${path} Statement[${i}]${typeof statement.Sid === "string" ? ` (Sid ${describe(statement.Sid)})` : ""} granted to ${grantee()}`;
        for (const action of asStrings(statement.Action)) {
          const broad = broadAction(action);
          if (broad) reportViolation(`${where}: Action ${describe(action)} is ${broad}; must list the actions it needs (e.g. "s3:GetObject")`);
        }
        if (statement.NotAction !== undefined) {
          reportViolation(`${where}: NotAction ${describe(statement.NotAction)} allows every action except those; must list the actions it needs in Action`);
        }
        const actions = asStrings(statement.Action).map((a) => a.toLowerCase());
        if (statement.NotResource !== undefined) {
          reportViolation(`${where}: NotResource ${describe(statement.NotResource)} allows every resource except those; must list resource ARNs in Resource`);
        } else if (asStrings(statement.Resource).includes("*") && !(actions.length > 0 && actions.every((a) => anyResource.includes(a)))) {
          const escalating = actions.filter((a) => escalatingActions.includes(a));
          const why = escalating.length ? ` (${escalating.join(", ")} on "*" reaches every role and account)` : "";
          const allowed = anyResourceActions.length ? anyResourceActions.map((a) => `"${a}"`).join(", ") : "none";
          reportViolation(
            `${where}: Resource "*" for ${describe(asStrings(statement.Action))}${why}; must name resource ARNs (actions configured to need "*": ${allowed})`,
          );
        }
      });
    }
    if (args.type === aws.iamRole) {
      const trust = parsePolicyDocument(props.assumeRolePolicy);
      trust &&
        statementsOf(trust).forEach((statement, i) => {
          if (statement.Effect === "Allow" && isEveryone(statement.Principal) && statement.Condition === undefined) {
            reportViolation(`assumeRolePolicy Statement[${i}] of ${grantee()} lets Principal "*" assume it without a Condition; must name the principal (e.g. the cluster's OIDC provider)`);
          }
        });
    }
  }),
};

/** AWS-managed policies that are administrator access under another name. */
const adminManagedPolicies = ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess", "AWSOrganizationsFullAccess", "AdministratorAccess-Amplify"];

/** `arn:aws:iam::aws:policy/job-function/ViewOnlyAccess` -> `job-function/ViewOnlyAccess`; undefined for customer-managed ones. */
export function awsManagedPolicyName(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
}

const attachmentTypes: Readonly<Record<string, string>> = {
  [aws.iamRolePolicyAttachment]: "policyArn",
  [aws.iamUserPolicyAttachment]: "policyArn",
  [aws.iamGroupPolicyAttachment]: "policyArn",
  [aws.iamPolicyAttachment]: "policyArn",
  [aws.iamRolePolicyAttachmentsExclusive]: "policyArns",
  [aws.iamUserPolicyAttachmentsExclusive]: "policyArns",
  [aws.iamGroupPolicyAttachmentsExclusive]: "policyArns",
  [aws.iamRole]: "managedPolicyArns",
  [aws.ssoManagedPolicyAttachment]: "managedPolicyArn",
};

export interface ManagedPoliciesConfig {
  allowedManagedPolicies: string[];
}

const managedPoliciesSchema: PolicyConfigSchema = {
  properties: {
    allowedManagedPolicies: {
      type: "array",
      items: { type: "string" },
      // Our roles carry only customer-managed, resource-scoped policies; AWS-managed ones grant account-wide access.
      description: 'AWS-managed policies (name after "policy/", e.g. "ReadOnlyAccess") that may be attached; administrator ones never may.',
      default: [],
    },
  },
};

export const iamNoAdminManagedPolicies: ResourceValidationPolicy = {
  name: "aws-iam-no-broad-managed-policies",
  description:
    "No role, user, group or permission set gets an AWS-managed policy by any attachment (RolePolicyAttachment, " +
    "User/GroupPolicyAttachment, PolicyAttachment, *PolicyAttachmentsExclusive, Role managedPolicyArns, SSO " +
    "ManagedPolicyAttachment) unless allow-listed; administrator ones (AdministratorAccess, IAMFullAccess, PowerUserAccess) never.",
  enforcementLevel: "mandatory",
  configSchema: managedPoliciesSchema,
  validateResource: forTypes(Object.keys(attachmentTypes), (props, args, reportViolation) => {
    const { allowedManagedPolicies } = configWithDefaults<ManagedPoliciesConfig>(managedPoliciesSchema, args);
    const field = attachmentTypes[args.type];
    const value = props[field];
    const arns = Array.isArray(value) ? value.map((v, i) => [`${field}[${i}]`, v] as const) : value === undefined ? [] : [[field, value] as const];
    for (const [path, arn] of arns) {
      const managed = awsManagedPolicyName(str(arn) ?? "");
      if (managed === undefined) continue; // customer-managed: its document is checked where the Policy is declared
      const admin = adminManagedPolicies.includes(managed.split("/").pop()!);
      if (admin || !allowedManagedPolicies.includes(managed)) {
        const allowed = allowedManagedPolicies.length ? allowedManagedPolicies.map((p) => `"${p}"`).join(", ") : "none";
        reportViolation(
          `${path} attaches ${describe(arn)} to ${granteeOf(args.type, props, args.name)}: ${admin ? "an administrator policy, never allowed" : "an AWS-managed policy with account-wide scope"}; ` +
            `must be a customer-managed policy naming its resources (allowed AWS-managed policies: ${allowed})`,
        );
      }
    }
  }),
};

export const iamPolicies: ResourceValidationPolicy[] = [iamLeastPrivilege, iamNoAdminManagedPolicies];
