/**
 * `<dataDir>/endpoints.json`: every URL a running `npm start` serves, by name, so that local tools (`npm run
 * seed`, `token`, `durable`, scripts: `jq -r .app .data/endpoints.json`) reach the running copy whatever ports
 * it got. Written atomically once everything listens, removed at a clean stop; after a crash the file stays
 * behind, so readers trust it only while the data folder's lock names a live process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { runningOwner } from './data-dir-lock';

const endpointsFileName = 'endpoints.json';

const endpointsSchema = z.record(z.string(), z.url());

export type Endpoints = z.infer<typeof endpointsSchema>;

export function endpointsFilePath(dataDir: string): string {
  return path.join(dataDir, endpointsFileName);
}

/** Writes the file whole or not at all (temporary file + rename), so a reader never sees half of it. */
export function writeEndpointsFile(dataDir: string, endpoints: Readonly<Endpoints>): void {
  const file = endpointsFilePath(dataDir);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(endpoints, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

export function removeEndpointsFile(dataDir: string): void {
  fs.rmSync(endpointsFilePath(dataDir), { force: true });
}

/** The endpoints of the copy running on `dataDir`, or undefined when none runs (tools then use the defaults). */
export function readRunningEndpoints(dataDir: string): Endpoints | undefined {
  if (runningOwner(dataDir) === undefined) return undefined;
  try {
    return endpointsSchema.parse(JSON.parse(fs.readFileSync(endpointsFilePath(dataDir), 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${endpointsFilePath(dataDir)} is not valid: ${String(error)}`, { cause: error });
  }
}
