import * as pulumi from "@pulumi/pulumi";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import { LoadedConfig, awsStores, loadStackConfig } from "../config";
import { partOf } from "./k8s/labels";
import { LoggingTier } from "./logging-tier";
import { MonitoringCore } from "./monitoring-core";
import { Platform } from "./platform";
import { S3Archive } from "./s3-archive";
import { TracingTier } from "./tracing-tier";

/**
 * The whole stack: the platform baseline, then each tier on top of it. Returns the stack outputs. An AWS provider is
 * created only when the config selects an AWS-backed store, so a stack without one registers no AWS resource at all.
 */
export function deployStack({ config, secrets }: LoadedConfig): Record<string, pulumi.Input<unknown>> {
  const aws =
    awsStores(config).length > 0
      ? new AwsProvider("aws", {
          region: config.cluster.region,
          defaultTags: { tags: { "app.kubernetes.io/part-of": partOf, environment: config.environment, "managed-by": "pulumi" } },
        })
      : undefined;
  const providers = aws ? [aws] : [];

  const platform = new Platform("platform", { config });
  const onPlatform: pulumi.ComponentResourceOptions = { dependsOn: [platform], providers };
  const storageClassName = platform.storageClassName;

  const archive = config.archive ? new S3Archive("archive", { config, archive: config.archive }, { providers }) : undefined;
  const monitoring = new MonitoringCore("monitoring", { config, secrets, storageClassName }, onPlatform);
  const logging = new LoggingTier("logging", { config, storageClassName, archive }, onPlatform);
  const tracing = new TracingTier("tracing", { config, storageClassName }, onPlatform);

  return {
    environment: config.environment,
    namespaces: platform.namespaces,
    storageClass: storageClassName,
    ...monitoring.outputs,
    ...(archive?.outputs ?? {}),
    ...logging.outputs,
    ...tracing.outputs,
  };
}

/** The program: load and validate the stack config (throwing before any resource exists), then build the stack. */
export function runProgram(): Record<string, pulumi.Input<unknown>> {
  return deployStack(loadStackConfig());
}
