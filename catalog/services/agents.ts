import { formatLe } from "../contract";
import { defineService } from "../service";

const agentTypes = ["planner", "executor", "reviewer"] as const;

const metrics = {
  tasks: {
    kind: "counter",
    name: "agents_tasks_total",
    help: "Finished agent tasks by agent type and result; failure and timeout are failures, cancelled is the caller's",
    labels: { agent_type: agentTypes, result: ["success", "failure", "timeout", "cancelled"] },
  },
  taskDuration: {
    kind: "histogram",
    name: "agents_task_duration_seconds",
    help: "Duration of one agent task step, dispatch to result",
    unit: "seconds",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    labels: { agent_type: agentTypes },
  },
} as const;

export const agents = defineService({
  key: "agents",
  displayName: "Agent Collective",
  description: "agent task orchestration",
  owner: "agents",
  metrics,
  slos: [
    {
      name: "task-latency",
      title: "Agent task latency",
      description: "99% of agent task steps finish within 50 ms.",
      objective: 0.99,
      sli: { kind: "latency", histogram: metrics.taskDuration.name, le: formatLe(0.05) },
      minimumEventRate: 0.5,
    },
    {
      name: "task-success",
      title: "Agent task success",
      description: "Agent tasks that end in success; cancelled tasks were stopped by their caller and are not counted.",
      objective: 0.99,
      sli: {
        kind: "ratio",
        errors: {
          metric: metrics.tasks.name,
          matchers: [
            { label: "result", op: "=~", value: "failure|timeout" },
            { label: "result", op: "!=", value: "cancelled" },
          ],
        },
        total: { metric: metrics.tasks.name, matchers: [{ label: "result", op: "!=", value: "cancelled" }] },
      },
      minimumEventRate: 0.5,
    },
  ],
  // Task steps are short (50 ms target), so 5x the target is already an outlier.
  sampling: { rate: 0.1, slowThresholdMs: 250, slowRate: 0.5 },
});
