/** Event log format v1 (docs/event-log.md): reading, validating, writing and generating logs. */
export { EventLogError } from "./error.ts";
export {
  checkEnd,
  checkRecord,
  INITIAL_STATE,
  type LogState,
  type ParsedLine,
  parseEventLog,
  parseHeader,
  parseLogLine,
} from "./parse.ts";
export { type EventLog, type EventLogSource, isGzip, openEventLog, readEventLog } from "./read.ts";
export {
  initialListSize,
  mulberry32,
  SYNTHETIC_RECORDED_AT,
  type SyntheticLogOptions,
  syntheticLog,
} from "./synthetic.ts";
export {
  type ApiObject,
  isObjectRecord,
  LOG_FORMAT,
  LOG_VERSION,
  LOGGED_KINDS,
  type LoggedKind,
  type LogHeader,
  type LogRecord,
  type MarkerObject,
  type MarkerRecord,
  type MarkerType,
  type ObjectRecord,
  type ObjectWatchType,
  WATCH_TYPES,
  type WatchType,
} from "./types.ts";
export { createEventLogWriter, type EventLogWriter, writeLogLines } from "./write.ts";
