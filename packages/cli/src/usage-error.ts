/**
 * Bad input on the command line (an unknown flag, a missing argument, a malformed scenario or
 * log): the command prints this one line and exits with code 2, never a stack trace.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Flags parsed with node:util's strict parseArgs; its complaints become one-line usage errors. */
export function usage(command: string, error: unknown): UsageError {
  const text = error instanceof Error ? error.message : String(error);
  return new UsageError(`zen-lead ${command}: ${text.split("\n")[0]} (see zen-lead ${command} --help)`);
}
