/**
 * Bad input on the command line (an unknown flag, a missing argument, a malformed scenario or
 * log): the command prints this one line and exits with code 2, never a stack trace.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Flags parsed with node:util's strict parseArgs; its complaints become one-line usage errors. */
export function usage(command: string, error: unknown): UsageError {
  let text = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  // parseArgs goes on about `--` after an unknown option when positionals are allowed: its first
  // sentence is the point.
  if ((error as { code?: unknown }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const end = text.indexOf("'. ");
    if (end > 0) text = text.slice(0, end + 1);
  }
  // A value starting with a dash after a non-numeric flag (`-n -x`): parseArgs's last line says how
  // to write it, which the first ("argument is ambiguous") does not.
  const lines = (error instanceof Error ? error.message : "").split("\n");
  if (text.endsWith("argument is ambiguous.") && lines.length > 1) text = `${text} ${lines.at(-1)}`;
  return new UsageError(`zen-lead ${command}: ${text} (see zen-lead ${command} --help)`);
}
