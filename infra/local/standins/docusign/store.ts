/**
 * Where the DocuSign stand-in keeps its envelopes: one JSON file per envelope (its recipients, its state and its
 * queue of Connect deliveries, so a change and the deliveries it causes are written together) and the documents
 * beside them. Every write goes to a temporary file that is fsync'ed and renamed over the old one, so a crash
 * leaves either the old or the new version, never a torn one. Without a directory everything stays in memory.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { storedEnvelopeSchema, type StoredEnvelope } from './model';
import { syncDirectory } from '../sync-directory';

export class EnvelopeStore {
  private readonly envelopes = new Map<string, StoredEnvelope>();
  private readonly memoryDocuments = new Map<string, Buffer>();
  /** Per envelope: the write in progress, and the one queued behind it (which writes the latest state). */
  private readonly writing = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();

  private constructor(private readonly dir: string | undefined) {}

  /** Loads every envelope under `dir` (created if missing); in memory when `dir` is undefined. */
  static async open(dir: string | undefined): Promise<EnvelopeStore> {
    const store = new EnvelopeStore(dir);
    if (dir === undefined) return store;
    await fs.mkdir(path.join(dir, 'envelopes'), { recursive: true, mode: 0o700 });
    await fs.mkdir(path.join(dir, 'documents'), { recursive: true, mode: 0o700 });
    for (const name of await fs.readdir(path.join(dir, 'envelopes'))) {
      const file = path.join(dir, 'envelopes', name);
      if (name.includes('.tmp-')) {
        await fs.rm(file, { force: true }); // a write interrupted before its rename
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const envelope = storedEnvelopeSchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
        store.envelopes.set(envelope.envelopeId, envelope);
      } catch (error) {
        throw new Error(`DocuSign stand-in: cannot read ${file}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    return store;
  }

  get(envelopeId: string): StoredEnvelope | undefined {
    return this.envelopes.get(envelopeId);
  }

  all(): IterableIterator<StoredEnvelope> {
    return this.envelopes.values();
  }

  /** Adds an envelope; its documents must be stored first (`putDocument`). */
  add(envelope: StoredEnvelope): Promise<void> {
    this.envelopes.set(envelope.envelopeId, envelope);
    return this.save(envelope.envelopeId);
  }

  /**
   * Resolves once the envelope's current state (as it is when the write starts) is durable. Saves that arrive
   * while a write is running share one follow-up write.
   */
  save(envelopeId: string): Promise<void> {
    if (this.dir === undefined) return Promise.resolve();
    const pending = this.queued.get(envelopeId);
    if (pending !== undefined) return pending;
    const previous = this.writing.get(envelopeId) ?? Promise.resolve();
    const next = previous.then(async () => {
      this.queued.delete(envelopeId);
      const envelope = this.envelopes.get(envelopeId);
      if (envelope !== undefined)
        await writeAtomically(this.envelopeFile(envelopeId), JSON.stringify(envelope));
    });
    this.queued.set(envelopeId, next);
    // The chain never rejects: a failed write fails its callers, and the next save tries again.
    const settled: Promise<void> = next
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (this.writing.get(envelopeId) === settled) this.writing.delete(envelopeId);
      });
    this.writing.set(envelopeId, settled);
    return next;
  }

  async putDocument(envelopeId: string, documentId: string, bytes: Buffer): Promise<void> {
    if (this.dir === undefined) {
      this.memoryDocuments.set(`${envelopeId}/${documentId}`, bytes);
      return;
    }
    await writeAtomically(this.documentFile(envelopeId, documentId), bytes);
  }

  async getDocument(envelopeId: string, documentId: string): Promise<Buffer | undefined> {
    if (this.dir === undefined) return this.memoryDocuments.get(`${envelopeId}/${documentId}`);
    try {
      return await fs.readFile(this.documentFile(envelopeId, documentId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Waits for every write in progress. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
  }

  private envelopeFile(envelopeId: string): string {
    return path.join(this.dir!, 'envelopes', `${safeName(envelopeId)}.json`);
  }

  private documentFile(envelopeId: string, documentId: string): string {
    return path.join(this.dir!, 'documents', `${safeName(envelopeId)}-${safeName(documentId)}.pdf`);
  }
}

/** Ids are GUIDs and digit strings; anything else never reaches a file name. */
function safeName(id: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new Error(`unexpected id ${JSON.stringify(id)}`);
  return id;
}

/** Write, fsync, rename over the target, fsync the directory: the file is either old or new after a crash. */
export async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  const temporary = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  const handle = await fs.open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, file);
  await syncDirectory(path.dirname(file));
}

/**
 * Creates `file` with `data` only if it does not exist yet, atomically (a hard link of a complete temporary
 * file), and returns what the file holds afterwards: `data`, or what another process created first.
 */
export async function createExclusively(file: string, data: string): Promise<string> {
  const temporary = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await fs.writeFile(temporary, data, { mode: 0o600, flush: true });
  try {
    await fs.link(temporary, file);
    await syncDirectory(path.dirname(file));
    return data;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return fs.readFile(file, 'utf8');
  } finally {
    await fs.rm(temporary, { force: true });
  }
}
