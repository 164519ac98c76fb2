import * as pulumi from "@pulumi/pulumi";

/** Placeholder so the stack compiles while LoggingTier is built; replaced by the real component. */
export class LoggingTier extends pulumi.ComponentResource {
  readonly outputs: Record<string, pulumi.Input<unknown>> = {};
  constructor(name: string, args: unknown, opts: pulumi.ComponentResourceOptions = {}) {
    super("sigma:observability:LoggingTier", name, {}, opts);
    void args;
    this.registerOutputs({});
  }
}
