import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { glob, hasGlobMagic } from './glob';
import type { HostLogger } from './logger';

/**
 * Loads the app's entry point(s) as the worker's `startApp` does: `package.json#main` is a file or a glob
 * relative to the app folder, each match is required in order, and any failure names the file. Returns a
 * function that unloads the app's own modules, so a later start in the same process (tests, a restart)
 * runs the app's registrations again.
 */
export function loadApp(appDir: string, main: string | undefined, logger: HostLogger): () => void {
  if (main === undefined) {
    logger.write('warn', 'package.json has no "main": no functions are loaded');
    return () => undefined;
  }
  const files = glob(main, appDir);
  if (files.length === 0) {
    const reason = hasGlobMagic(main)
      ? 'Found zero files matching the supplied pattern'
      : 'File does not exist';
    throw new Error(`Worker was unable to load entry point "${main}": ${reason}`);
  }
  const appRequire = createRequire(path.join(appDir, 'package.json'));
  const cache = appRequire.cache;
  const before = new Set(Object.keys(cache));
  // What loading the entry points added, node_modules aside: modules the host process shares stay cached.
  const addedByLoad = (): string[] =>
    Object.keys(cache).filter((id) => !before.has(id) && !id.includes(`${path.sep}node_modules${path.sep}`));
  const forget = (ids: string[]): void => {
    for (const id of ids) Reflect.deleteProperty(cache, id);
  };
  try {
    for (const file of files) {
      if (file.endsWith('.mjs')) {
        throw new Error(
          `Worker was unable to load entry point "${file}": ES module entry points are not supported locally`,
        );
      }
      const entry = fs.realpathSync(path.join(appDir, file));
      // An entry point already cached (a previous app run) would not register its functions again.
      Reflect.deleteProperty(cache, entry);
      before.delete(entry);
      logger.write('debug', `Loading entry point file "${file}"`);
      try {
        appRequire(entry);
      } catch (error) {
        throw new Error(`Worker was unable to load entry point "${file}": ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
  } catch (error) {
    forget(addedByLoad());
    throw error;
  }
  const appModules = addedByLoad();
  return () => forget(appModules);
}
