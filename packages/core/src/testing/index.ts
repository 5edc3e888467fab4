/** Test and demo support for @zen-lead/core users: API JSON builders and an echoing harness. */
export { nodeJson, type PodSpec, podJson, type ServiceSpec, serviceJson } from "./fixtures.ts";
export { type Harness, harness, writesOf } from "./harness.ts";
