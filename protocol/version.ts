/**
 * The version of the wire between a worker and a host (docs/design.md, "Versions"). It changes only
 * when a change is not additive; additions (a new optional field, a new event) keep it. The host
 * states it in `/healthz` and `GET /api/task`; the worker sends it in the `Cohort-Protocol` header
 * of every call, so each side can name the other's version in what it logs or warns.
 */
export const PROTOCOL_VERSION = 1;

/** The request header a worker states its protocol version in. */
export const PROTOCOL_HEADER = 'cohort-protocol';
