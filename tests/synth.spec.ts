import * as assert from "assert";
import { ConfigError } from "../config";
import { quietStackTraces, stackTracesVariable, synthStack } from "../scripts/synth";

describe("synth engine", () => {
  it("turns stack traces off only while the program runs, and restores them", async () => {
    const before = { limit: Error.stackTraceLimit, format: Error.prepareStackTrace };
    await synthStack({ stack: "staging" });
    assert.strictEqual(Error.stackTraceLimit, before.limit);
    assert.strictEqual(Error.prepareStackTrace, before.format);
  });

  it("tells how to get the frames of an error the program throws, but leaves config errors alone", () => {
    const traces = quietStackTraces();
    const bug = new TypeError("x is undefined");
    const config = new ConfigError([{ path: "environment", value: "qa", allowed: "one of" }], "stack config");
    traces.restore();
    traces.explain(bug);
    traces.explain(config);
    assert.match(bug.stack!, new RegExp(`^TypeError: x is undefined\\n {4}\\(no stack trace: rerun with ${stackTracesVariable}=1 to see where it was thrown\\)$`));
    assert.doesNotMatch(config.stack!, /no stack trace/);
  });

  it("keeps source-mapped traces when asked to", () => {
    process.env[stackTracesVariable] = "1";
    try {
      const limit = Error.stackTraceLimit;
      const traces = quietStackTraces();
      assert.strictEqual(Error.stackTraceLimit, limit);
      traces.restore();
    } finally {
      delete process.env[stackTracesVariable];
    }
  });
});
