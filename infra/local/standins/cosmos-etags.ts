/**
 * Faster ETags for the Cosmos DB stand-in. `@zeit/cosmosdb-server` makes each item's ETag with `uuid/v4`
 * (uuid 3), which reads 16 fresh bytes from the OS per call: measured as the largest single cost of
 * batch loading (~23 µs per item). Node's `crypto.randomUUID()` gives the same format from a buffered
 * pool. The server's module is swapped in the require cache, so this must load before the server's
 * account classes (cosmos-state.ts imports it first); if they were loaded earlier, nothing changes.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

const serverRequire = createRequire(require.resolve('@zeit/cosmosdb-server/package.json'));
const uuidV4Path = serverRequire.resolve('uuid/v4');
serverRequire(uuidV4Path);
const cached = require.cache[uuidV4Path];
if (cached !== undefined) cached.exports = () => randomUUID();
