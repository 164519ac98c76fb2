import * as pulumi from "@pulumi/pulumi";
import { documentsConfigMap } from "../k8s/documents";
import { type AppIdentity, childName, labelsFor, objectName } from "../k8s/labels";

/**
 * A ConfigMap of generated documents in the monitoring namespace, labelled as the workload that reads it and
 * registered as `<tier>-<metadata.name>`. Returns it with the checksum of its contents.
 */
export function monitoringDocuments(
  tier: string,
  args: { name: string; namespace: string; id: AppIdentity; renderDir: string; documents: Record<string, unknown> },
  parent: pulumi.Resource,
): ReturnType<typeof documentsConfigMap> {
  const name = objectName(args.name);
  return documentsConfigMap(
    childName(tier, name),
    { name, namespace: args.namespace, labels: labelsFor(args.id), renderDir: args.renderDir, documents: args.documents },
    { parent },
  );
}
