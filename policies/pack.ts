import type { Policies } from "@pulumi/policy";
import { awsResourcePolicies, awsStackPolicies } from "./aws";
import { kubernetesPolicies } from "./kubernetes";
import { stackPolicies } from "./stack";

/** The pack's name as the Pulumi CLI shows it; policy names are unique within it. */
export const packName = "sigma-observability";

/** Every policy of the pack, in report order. The pack entry (index.ts) and the offline runner both use this list. */
export const policies: Policies = [...kubernetesPolicies, ...awsResourcePolicies, ...awsStackPolicies, ...stackPolicies];
