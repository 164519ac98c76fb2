/**
 * The pack as the Pulumi CLI runs it: `pulumi-analyzer-policy` resolves @pulumi/pulumi/cmd/run-policy-pack from the
 * pack directory and runs it there with node; the pack's index.ts is type-checked by ts-node and starts the analyzer's
 * gRPC server, whose port it prints. The engine then calls GetAnalyzerInfo, Analyze and AnalyzeStack; so do tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { RecordedResource } from "../../policies/offline";

export const packDir = path.resolve(__dirname, "..", "..", "policies");

export interface AnalyzerHost {
  client: analyzerGrpc.AnalyzerClient;
  call<Req, Res>(method: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req): Promise<Res>;
  stop(): Promise<void>;
}

/**
 * Starts the pack's analyzer host with what the CLI exports to it: the stack's config (`PULUMI_CONFIG`) and names.
 */
export async function startAnalyzerHost(o: { stack: string; config: Record<string, string> }): Promise<AnalyzerHost> {
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  const analyzer: ChildProcess = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
    cwd: packDir,
    env: { ...process.env, PULUMI_CONFIG: JSON.stringify(o.config), PULUMI_NODEJS_PROJECT: "sigma-observability", PULUMI_NODEJS_STACK: o.stack },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let stderr = "";
    analyzer.stderr!.on("data", (d) => (stderr += d));
    analyzer.stdout!.once("data", (d) => resolve(String(d).trim()));
    analyzer.once("exit", (code) => reject(new Error(`analyzer exited ${code}: ${stderr}`)));
  });
  const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    client,
    call: (method, req) => new Promise((resolve, reject) => method.call(client, req, (e, r) => (e ? reject(e) : resolve(r)))),
    async stop() {
      client.close();
      if (analyzer.exitCode === null && analyzer.signalCode === null) {
        const exited = new Promise((resolve) => analyzer.once("exit", resolve));
        analyzer.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** The options the engine sends with a resource. */
function optionsOf(r: RecordedResource): analyzerPb.AnalyzerResourceOptions {
  return new analyzerPb.AnalyzerResourceOptions()
    .setProtect(r.options.protect)
    .setIgnorechangesList(r.options.ignoreChanges ?? [])
    .setDeletebeforereplace(false);
}

/** A recorded resource as the engine sends it to Analyze. */
export function analyzeRequest(r: RecordedResource): analyzerPb.AnalyzeRequest {
  return new analyzerPb.AnalyzeRequest()
    .setType(r.type)
    .setName(r.name)
    .setUrn(r.urn)
    .setProperties(Struct.fromJavaScript(r.inputs as never))
    .setOptions(optionsOf(r));
}

/** A recorded resource as the engine sends it in AnalyzeStack, with its parent and dependencies. */
export function stackResource(r: RecordedResource): analyzerPb.AnalyzerResource {
  return new analyzerPb.AnalyzerResource()
    .setType(r.type)
    .setName(r.name)
    .setUrn(r.urn)
    .setProperties(Struct.fromJavaScript(r.inputs as never))
    .setOptions(optionsOf(r))
    .setParent(r.parent ?? "")
    .setDependenciesList(r.options.dependsOn ?? []);
}
