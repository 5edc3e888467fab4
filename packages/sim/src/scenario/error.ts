/**
 * The one error scenario code raises: a single line `file: path: reason` (or `file:line:col: reason`
 * for YAML syntax), meant to be printed as is. `path` names the offending field the way a reader
 * finds it in the file (`timeline[2].deletePod.grace`); `line` is 1-based when known, 0 otherwise.
 */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
  readonly file: string;
  readonly path: string;
  readonly reason: string;
  readonly line: number;

  constructor(file: string, path: string, reason: string, line = 0, options?: ErrorOptions) {
    super(path === "" ? `${file}: ${reason}` : `${file}: ${path}: ${reason}`, options);
    this.file = file;
    this.path = path;
    this.reason = reason;
    this.line = line;
  }
}

/** A YAML syntax error: `file:line:col: reason`. */
export class ScenarioSyntaxError extends ScenarioError {
  readonly column: number;

  constructor(file: string, line: number, column: number, reason: string) {
    super(file, "", reason, line);
    this.message = `${file}:${line}:${column}: ${reason}`;
    this.column = column;
  }
}
