import { z } from 'zod';

/**
 * Must be imported before any protocol schema is built. zod's JIT compiles parsers with
 * `new Function`, and its capability probe alone is reported as a CSP violation under the host's
 * `script-src 'self'`. Jitless parsing is plenty fast for a status document.
 */
z.config({ jitless: true });
