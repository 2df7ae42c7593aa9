import { promises as fs } from 'node:fs';

/** fsyncs a directory, so a file just created or renamed in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
