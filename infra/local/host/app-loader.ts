import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { glob, hasGlobMagic } from './glob';
import type { HostLogger } from './logger';

/**
 * Loads the app's entry point(s) as the worker's `startApp` does: `package.json#main` is a file or a glob
 * relative to the app folder, each match is required in order, and any failure names the file.
 */
export function loadApp(appDir: string, main: string | undefined, logger: HostLogger): void {
  if (main === undefined) {
    logger.write('warn', 'package.json has no "main": no functions are loaded');
    return;
  }
  const files = glob(main, appDir);
  if (files.length === 0) {
    const reason = hasGlobMagic(main)
      ? 'Found zero files matching the supplied pattern'
      : 'File does not exist';
    throw new Error(`Worker was unable to load entry point "${main}": ${reason}`);
  }
  forgetAppModules(appDir);
  const appRequire = createRequire(path.join(appDir, 'package.json'));
  for (const file of files) {
    if (file.endsWith('.mjs')) {
      throw new Error(
        `Worker was unable to load entry point "${file}": ES module entry points are not supported locally`,
      );
    }
    logger.write('debug', `Loading entry point file "${file}"`);
    try {
      appRequire(path.join(appDir, file));
    } catch (error) {
      throw new Error(`Worker was unable to load entry point "${file}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/**
 * A second app start in the same process (tests, a restart) must run the app's registrations again, so the
 * app's own modules leave the require cache; its node_modules stay.
 */
function forgetAppModules(appDir: string): void {
  const root = fs.realpathSync(appDir) + path.sep;
  const ownModules = path.sep + 'node_modules' + path.sep;
  const cache = createRequire(__filename).cache;
  for (const id of Object.keys(cache)) {
    if (id.startsWith(root) && !id.slice(root.length - 1).includes(ownModules))
      Reflect.deleteProperty(cache, id);
  }
}
