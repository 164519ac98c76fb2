import type { Policies } from "@pulumi/policy";
import { awsResourcePolicies, awsStackPolicies } from "./aws";
import { iamPolicies } from "./iam";
import { kubernetesPolicies } from "./kubernetes";
import { s3LifecycleOutlastsRetention } from "./lifecycle";
import { rbacLeastPrivilege } from "./rbac";
import { stackPolicies } from "./stack";

/** The pack's name as the Pulumi CLI shows it; policy names are unique within it. */
export const packName = "sigma-observability";

/** Every policy of the pack, in report order. The pack entry (index.ts) and the offline runner both use this list. */
export const policies: Policies = [
  ...kubernetesPolicies,
  rbacLeastPrivilege,
  ...awsResourcePolicies,
  ...iamPolicies,
  ...awsStackPolicies,
  s3LifecycleOutlastsRetention,
  ...stackPolicies,
];
