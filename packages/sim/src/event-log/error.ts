/**
 * The one error the event log code raises (or returns): a single line `file:line: reason`, meant to
 * be printed as is (the CLI prints `message` and exits 2). `line` is 1-based; 0 means the file as a
 * whole (it could not be opened or read), and the message is then `file: reason`.
 */
export class EventLogError extends Error {
  override readonly name = "EventLogError";
  readonly file: string;
  readonly line: number;
  readonly reason: string;

  constructor(file: string, line: number, reason: string, options?: ErrorOptions) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`, options);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}
