import { PolicyPack } from "@pulumi/policy";
import { packName, policies } from "./pack";

// Constructing the pack starts the analyzer's gRPC server, so nothing but the Pulumi CLI should import this file.
new PolicyPack(packName, { policies });
