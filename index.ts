import { runProgram } from "./components/stack";

// Validates the stack config before anything is registered, builds every tier, and exports the stack outputs
// (endpoints, bucket names, namespaces).
export = runProgram();
