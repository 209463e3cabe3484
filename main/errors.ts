import { errorStatus, type ErrorCode } from '../protocol/index.ts';

/**
 * A refusal meant for the caller: `code` is the wire error (typed by protocol's ErrorCode, so an
 * unknown code does not compile), `status` the HTTP status that code always has (protocol's
 * ERROR_STATUS), and the message says what was wrong and how to fix it. The HTTP layer sends these
 * as `{error, message}`; the CLI prints the message. Anything that is not a ServiceError is a bug
 * and is reported as 500.
 */
export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly status: number;
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = errorStatus(code);
  }
}
