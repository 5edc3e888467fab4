/** Test and demo support for @zen-lead/core users: API JSON builders and an echoing harness. */
export {
  nodeJson,
  type PodSpec,
  podJson,
  type ServiceSpec,
  type SliceSpec,
  serviceJson,
  sliceJson,
} from "./fixtures.ts";
export { type Harness, harness, writesOf } from "./harness.ts";
