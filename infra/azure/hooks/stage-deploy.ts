/**
 * azd `prepackage` hook (azure.yaml): stages `.deploy/`, the folder azd uploads to the Flex Consumption app.
 *
 *   .deploy/host.json
 *   .deploy/dist/index.js      the esbuild bundle (npm run build)
 *   .deploy/package.json       `main` plus only the packages the bundle still loads from node_modules at run time
 *   .deploy/package-lock.json  the repository's lockfile cut down to those packages, so versions stay pinned
 *
 * The app installs those packages itself (remote build: `remoteBuild: true` in azure.yaml), so no dev
 * dependency and no local node_modules ever ships.
 *
 *   npx tsx infra/azure/hooks/stage-deploy.ts
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
export const stagingDir = path.join(root, '.deploy');

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly engines?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
}

interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly dev?: boolean;
  readonly [key: string]: unknown;
}

interface Lockfile {
  readonly name: string;
  readonly version: string;
  readonly lockfileVersion: number;
  readonly packages: Record<string, LockEntry>;
}

/** The production dependencies the bundle imports at run time (its esbuild externals), in package.json order. */
export function runtimeDependencies(bundle: string, dependencies: Record<string, string>): string[] {
  return Object.keys(dependencies).filter((name) => {
    const quoted = new RegExp(
      `(?:require|import|require\\.resolve)\\(\\s*["'\`]${escapeRegExp(name)}["'\`]\\s*\\)`,
    );
    return quoted.test(bundle);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Where Node would find `dependency` required from the package at lockfile path `from` ('' = the root). */
function resolveInLock(packages: Lockfile['packages'], from: string, dependency: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${dependency}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

/** The lockfile reduced to `dependencies` and everything they need at run time; the root entry rewritten. */
export function trimLockfile(lock: Lockfile, rootPackage: PackageJson, dependencies: string[]): Lockfile {
  const keep = new Map<string, LockEntry>();
  const pending: [string, string][] = dependencies.map((name) => ['', name]);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [from, name] = next;
    const found = resolveInLock(lock.packages, from, name);
    if (found === undefined) {
      const optional = from !== '' && isOptional(lock.packages[from], name);
      if (optional) continue;
      throw new Error(
        `package-lock.json has no ${name} (needed by ${from || rootPackage.name}): run npm install`,
      );
    }
    if (keep.has(found)) continue;
    const entry = lock.packages[found]!;
    keep.set(found, entry);
    const needs = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const dependency of Object.keys(needs)) pending.push([found, dependency]);
  }
  const rootEntry: LockEntry = {
    name: rootPackage.name,
    version: rootPackage.version,
    dependencies: Object.fromEntries(dependencies.map((name) => [name, rootPackage.dependencies![name]!])),
    ...(rootPackage.engines ? { engines: rootPackage.engines } : {}),
  };
  const sorted = [...keep.entries()].sort(([a], [b]) => a.localeCompare(b));
  return { ...lock, packages: { '': rootEntry, ...Object.fromEntries(sorted) } };
}

function isOptional(entry: LockEntry | undefined, dependency: string): boolean {
  return (
    entry?.optionalDependencies?.[dependency] !== undefined ||
    entry?.peerDependenciesMeta?.[dependency]?.optional === true
  );
}

/** package.json of the deployment: what the Functions host reads (`main`) and what the platform installs. */
export function stagedPackageJson(rootPackage: PackageJson, dependencies: string[]): Record<string, unknown> {
  return {
    name: rootPackage.name,
    version: rootPackage.version,
    private: true,
    main: 'dist/index.js',
    ...(rootPackage.engines ? { engines: rootPackage.engines } : {}),
    dependencies: Object.fromEntries(dependencies.map((name) => [name, rootPackage.dependencies![name]!])),
  };
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

function main(): void {
  // Always from the current sources: `azd package` may run without a build step before it.
  const build = spawnSync('npm', ['run', 'build'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (build.status !== 0) throw new Error('npm run build failed');

  const rootPackage = readJson<PackageJson>(path.join(root, 'package.json'));
  const lock = readJson<Lockfile>(path.join(root, 'package-lock.json'));
  const bundle = fs.readFileSync(path.join(root, 'dist', 'index.js'), 'utf8');
  const dependencies = runtimeDependencies(bundle, rootPackage.dependencies ?? {});

  fs.rmSync(stagingDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(stagingDir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(root, 'host.json'), path.join(stagingDir, 'host.json'));
  // The source map (10+ MB) stays behind: it would only slow the upload and every cold start's download.
  fs.copyFileSync(path.join(root, 'dist', 'index.js'), path.join(stagingDir, 'dist', 'index.js'));
  const write = (name: string, value: unknown): void =>
    fs.writeFileSync(path.join(stagingDir, name), `${JSON.stringify(value, null, 2)}\n`);
  write('package.json', stagedPackageJson(rootPackage, dependencies));
  write('package-lock.json', trimLockfile(lock, rootPackage, dependencies));
  console.log(`staged .deploy/ with run-time packages: ${dependencies.join(', ') || '(none)'}`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
