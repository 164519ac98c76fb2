import * as pulumi from "@pulumi/pulumi";

/** Placeholder so the stack compiles while MonitoringCore is built; replaced by the real component. */
export class MonitoringCore extends pulumi.ComponentResource {
  readonly outputs: Record<string, pulumi.Input<unknown>> = {};
  constructor(name: string, args: unknown, opts: pulumi.ComponentResourceOptions = {}) {
    super("sigma:observability:MonitoringCore", name, {}, opts);
    void args;
    this.registerOutputs({});
  }
}
