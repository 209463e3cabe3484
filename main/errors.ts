/**
 * A refusal meant for the caller: `status` is the HTTP status, `code` the wire error, and the
 * message says what was wrong and how to fix it. The HTTP layer sends these as `{error, message}`;
 * the CLI prints the message. Anything that is not a ServiceError is a bug and is reported as 500.
 */
export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
