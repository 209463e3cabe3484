import { ServiceError } from '../errors.ts';

/** A submission (or a start-up) the KB refuses; the message goes to the member or the owner. */
export class KbError extends ServiceError {
  override name = 'KbError';
}
