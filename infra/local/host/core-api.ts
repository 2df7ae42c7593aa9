import Module from 'node:module';
import type { FunctionMetadata } from './rpc-types';

/**
 * The `@azure/functions-core` module the Azure Functions Node worker injects into the app
 * (worker `src/setupCoreModule.ts`): `@azure/functions` registers functions, hooks and its programming model
 * through it. It is process-global like the worker's, so one app runs per process; the host resets the
 * registry between apps.
 */

export type CoreLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type CoreLogCategory = 'user' | 'system' | 'customMetric';

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookCallback = (context: Record<string, unknown>) => unknown;
export const hookNames = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'] as const;
export type HookName = (typeof hookNames)[number];

/** The worker's view of a programming model (types-core `ProgrammingModel`), typed as loosely as we call it. */
export interface ProgrammingModel {
  readonly name: string;
  readonly version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(
    defaults: Record<string, string>,
  ): Record<string, string> | Promise<Record<string, string>>;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<unknown>;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: unknown;
  metadata: FunctionMetadata;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void;
}

export class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const item of items) item.dispose();
    });
  }

  #onDispose: (() => unknown) | undefined;

  constructor(onDispose: () => unknown) {
    this.#onDispose = onDispose;
  }

  dispose(): unknown {
    const onDispose = this.#onDispose;
    this.#onDispose = undefined;
    return onDispose?.();
  }
}

/** An error the library recognises as coming from the worker (`isAzureFunctionsSystemError`). */
class SystemError extends Error {
  readonly isAzureFunctionsSystemError = true;
}

class SystemRangeError extends RangeError {
  readonly isAzureFunctionsSystemError = true;
}

export interface RegisteredCallback {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
}

/** Everything one loaded app registered through the core module. */
export interface AppRegistry {
  readonly functions: Map<string, RegisteredCallback>;
  readonly hooks: Record<HookName, HookCallback[]>;
  /** Set once the app has loaded: the worker refuses registrations after start-up. */
  locked: boolean;
  /** Where `coreApi.log` (the library's system log) goes. */
  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void;
}

const workerVersion = '3.10.1';
const hostVersion = '4.1036.0-local';

let programmingModel: ProgrammingModel | undefined;
let current: AppRegistry | undefined;

function registry(): AppRegistry {
  if (current === undefined) {
    throw new SystemError('No function app is loading: the local host owns @azure/functions-core.');
  }
  return current;
}

const coreApi = {
  version: workerVersion,
  get hostVersion(): string {
    return hostVersion;
  },
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    const app = registry();
    if (app.locked) throw new SystemError('A function can only be registered during app startup.');
    const functionId = metadata.functionId || metadata.name;
    if (app.functions.has(functionId)) {
      throw new SystemError(`A function with id "${functionId}" has already been registered.`);
    }
    app.functions.set(functionId, { metadata: { ...metadata, functionId }, callback });
    return new Disposable(() => {
      if (app.locked) throw new SystemError('A function can only be disposed during app startup.');
      app.functions.delete(functionId);
    });
  },
  setProgrammingModel(model: ProgrammingModel): void {
    programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return programmingModel;
  },
  registerHook(hookName: string, callback: HookCallback): Disposable {
    if (!(hookNames as readonly string[]).includes(hookName)) {
      throw new SystemRangeError(`Unrecognized hook "${hookName}"`);
    }
    const hooks = registry().hooks[hookName as HookName];
    hooks.push(callback);
    return new Disposable(() => {
      const index = hooks.indexOf(callback);
      if (index > -1) hooks.splice(index, 1);
    });
  },
  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void {
    if (current === undefined) {
      console.log(message);
    } else {
      current.log(level, category, message);
    }
  },
  Disposable,
};

let installed = false;

/** Makes `require('@azure/functions-core')` return the shim, as the worker's `setupCoreModule` does. */
function installRequireHook(): void {
  if (installed) return;
  installed = true;
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg, args: unknown[]) {
      if (args[0] === '@azure/functions-core') return coreApi;
      return Reflect.apply(target, thisArg, args) as unknown;
    },
  });
}

/** Starts a fresh registry for the app about to load; throws while another app is live in this process. */
export function openAppRegistry(log: AppRegistry['log']): AppRegistry {
  if (current !== undefined) {
    throw new Error(
      'A function app is already running in this process: @azure/functions-core is process-global, ' +
        'so close the running host before starting another.',
    );
  }
  installRequireHook();
  current = {
    functions: new Map(),
    hooks: { appStart: [], appTerminate: [], preInvocation: [], postInvocation: [], log: [] },
    locked: false,
    log,
  };
  return current;
}

export function closeAppRegistry(app: AppRegistry): void {
  if (current === app) current = undefined;
}

export function currentProgrammingModel(): ProgrammingModel | undefined {
  return programmingModel;
}
