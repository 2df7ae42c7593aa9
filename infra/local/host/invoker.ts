import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
  AppRegistry,
  CoreInvocationContext,
  CoreLogCategory,
  CoreLogLevel,
  ProgrammingModel,
} from './core-api';
import type { InvocationOutcome, InvokeOptions, RegisteredFunction } from './extension';
import type { HostLogger } from './logger';
import type { RpcBindingInfo, RpcInvocationResponse, RpcParameterBinding, RpcTypedData } from './rpc-types';

/** Supplies the value of a non-trigger input binding (e.g. `durableClient`) for one invocation. */
export type InputBindingProvider = (binding: RpcBindingInfo) => RpcTypedData;

export const hostApiReason = 'This function was programmatically called via the host APIs.';

function isTriggerType(type: string | undefined): boolean {
  return type !== undefined && /trigger$/i.test(type);
}

export function describeFunction(metadata: RegisteredFunction['metadata']): RegisteredFunction {
  const entry = Object.entries(metadata.bindings).find(([, info]) => isTriggerType(info.type));
  if (entry === undefined) throw new Error(`Function '${metadata.name}' has no trigger binding`);
  return { name: metadata.name, metadata, trigger: { name: entry[0], info: entry[1] } };
}

function toError(value: unknown): Error {
  return value instanceof Error
    ? value
    : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

/**
 * Runs functions exactly as the Node worker's `InvocationHandler` does: the programming model builds the
 * arguments, preInvocation hooks may swap inputs and handler, the handler runs, postInvocation hooks see the
 * result or error, and the programming model turns the result into an `RpcInvocationResponse`.
 */
export class Invoker {
  readonly functions = new Map<string, RegisteredFunction>();
  /** Shared by every hook of the app (worker `appHookData`). */
  readonly appHookData: Record<string, unknown> = {};
  /** Shared by appStart and appTerminate hooks only (worker `appLevelOnlyHookData`). */
  readonly appLevelOnlyHookData: Record<string, unknown> = {};
  private readonly inFlight = new Set<Promise<unknown>>();
  private inLogHook = false;
  /** Set once the host has shut down: the app's resources (hooks, extensions) are gone. */
  stopped = false;

  constructor(
    private readonly app: AppRegistry,
    private readonly model: () => ProgrammingModel,
    private readonly inputBindings: ReadonlyMap<string, InputBindingProvider>,
    private readonly logger: HostLogger,
    /** host.json `functionTimeout` (real time, not the injected clock); undefined = no limit. */
    private readonly timeoutMs: number | undefined,
  ) {}

  /** Captures what the app registered; called once the app has loaded. */
  indexFunctions(): void {
    for (const { metadata } of this.app.functions.values()) {
      this.functions.set(metadata.name, describeFunction(metadata));
    }
  }

  /** Counts `work` (an invocation, or an HTTP request being answered) as in flight until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  /** Resolves once nothing is in flight (including work started while waiting). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  async runHooks(name: 'appStart' | 'appTerminate', context: Record<string, unknown>): Promise<void> {
    for (const hook of [...this.app.hooks[name]]) await hook(context);
  }

  appHookContext(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { hookData: this.appLevelOnlyHookData, appHookData: this.appHookData, ...extra };
  }

  /** A log line from the app (user or system), passed through the app's log hooks first. */
  log(
    level: CoreLogLevel,
    category: CoreLogCategory,
    message: string,
    invocationId?: string,
    invocationContext?: unknown,
  ): void {
    const entry = { level, category, message };
    const hooks = this.app.hooks.log;
    if (hooks.length > 0 && !this.inLogHook) {
      const context = {
        hookData: {},
        appHookData: this.appHookData,
        invocationContext,
        get category() {
          return entry.category;
        },
        get level() {
          return entry.level;
        },
        set level(value: CoreLogLevel) {
          entry.level = value;
        },
        get message() {
          return entry.message;
        },
        set message(value: string) {
          entry.message = value;
        },
      };
      const reportFailure = (error: unknown): void =>
        this.logger.write('error', `A log hook failed: ${toError(error).message}`);
      this.inLogHook = true;
      try {
        for (const hook of hooks) {
          const result: unknown = hook(context);
          // An async hook's rejection would otherwise be unhandled, which ends the host process.
          if (result instanceof Promise) result.catch(reportFailure);
        }
      } catch (error) {
        reportFailure(error);
      } finally {
        this.inLogHook = false;
      }
    }
    this.logger.app(entry.level, entry.message, invocationId);
  }

  invoke(
    functionName: string,
    inputData: RpcParameterBinding[],
    triggerMetadata?: Record<string, RpcTypedData>,
    options: InvokeOptions = {},
  ): Promise<InvocationOutcome> {
    return this.track(this.run(functionName, inputData, triggerMetadata ?? {}, options));
  }

  private async run(
    functionName: string,
    inputData: RpcParameterBinding[],
    triggerMetadata: Record<string, RpcTypedData>,
    options: InvokeOptions,
  ): Promise<InvocationOutcome> {
    if (this.stopped)
      return { ok: false, error: new Error(`The host has stopped; '${functionName}' cannot run`) };
    const registered = this.functions.get(functionName);
    const callback =
      registered && this.app.functions.get(registered.metadata.functionId ?? functionName)?.callback;
    if (registered === undefined || callback === undefined) {
      return { ok: false, error: new Error(`Function '${functionName}' is not registered`) };
    }
    const invocationId = options.invocationId ?? randomUUID();
    const qualifiedName = `Functions.${functionName}`;
    this.logger.write(
      'info',
      `Executing '${qualifiedName}' (Reason='${options.reason ?? hostApiReason}', Id=${invocationId})`,
    );
    const started = performance.now();
    const finish = (status: 'Succeeded' | 'Failed'): void => {
      const duration = Math.round(performance.now() - started);
      this.logger.write(
        status === 'Succeeded' ? 'info' : 'error',
        `Executed '${qualifiedName}' (${status}, Id=${invocationId}, Duration=${duration}ms)`,
      );
    };
    try {
      const response = await this.withTimeout(
        this.runSequence(registered, callback, invocationId, inputData, triggerMetadata),
        qualifiedName,
      );
      finish('Succeeded');
      return { ok: true, response };
    } catch (thrown) {
      const error = toError(thrown);
      this.logger.write(
        'error',
        `Exception while executing function: ${qualifiedName}. Id=${invocationId}. ${error.stack ?? error.message}`,
      );
      finish('Failed');
      return { ok: false, error };
    }
  }

  /**
   * Fails the invocation once functionTimeout passes, as the host does; the handler itself cannot be stopped
   * in-process (the real host would restart the worker), so it runs on untracked.
   */
  private async withTimeout<T>(work: Promise<T>, qualifiedName: string): Promise<T> {
    if (this.timeoutMs === undefined) return work;
    const limit = this.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const span = new Date(limit).toISOString().slice(11, 19);
        reject(new Error(`Timeout value of ${span} was exceeded by function: ${qualifiedName}`));
      }, limit);
      timer.unref();
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Non-trigger input bindings an extension provides (e.g. `durableClient`) that the caller did not pass. */
  private withProvidedInputs(
    registered: RegisteredFunction,
    inputData: RpcParameterBinding[],
  ): RpcParameterBinding[] {
    const given = new Set(inputData.map((binding) => binding.name));
    const provided: RpcParameterBinding[] = [];
    for (const [name, info] of Object.entries(registered.metadata.bindings)) {
      if (info.direction !== 'in' || given.has(name) || isTriggerType(info.type)) continue;
      const provider = info.type === undefined ? undefined : this.inputBindings.get(info.type);
      if (provider !== undefined) provided.push({ name, data: provider(info) });
    }
    return [...inputData, ...provided];
  }

  private async runSequence(
    registered: RegisteredFunction,
    registeredCallback: (...args: unknown[]) => unknown,
    invocationId: string,
    inputData: RpcParameterBinding[],
    triggerMetadata: Record<string, RpcTypedData>,
  ): Promise<RpcInvocationResponse> {
    // The library's InvocationContext exists only after getArguments; log hooks receive it from then on.
    const invocation: { context?: unknown } = {};
    const coreContext: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: registered.metadata.functionId ?? registered.name,
        inputData: this.withProvidedInputs(registered, inputData),
        triggerMetadata,
      },
      metadata: registered.metadata,
      state: undefined,
      log: (level, category, message) => this.log(level, category, message, invocationId, invocation.context),
    };
    const model = await this.model().getInvocationModel(coreContext);
    const hookData: Record<string, unknown> = {};
    const args = await model.getArguments();
    invocation.context = args.context;
    const pre = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: args.context,
      inputs: args.inputs,
      functionCallback: registeredCallback,
    };
    await this.runInvocationHooks('preInvocation', pre, coreContext, 'preInvocationHooks');
    const post = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: args.context,
      inputs: pre.inputs,
      result: null as unknown,
      error: null as unknown,
    };
    coreContext.state = 'invocation';
    try {
      post.result = await model.invokeFunction(args.context, pre.inputs, pre.functionCallback);
    } catch (error) {
      post.error = error;
    } finally {
      coreContext.state = undefined;
    }
    await this.runInvocationHooks('postInvocation', post, coreContext, 'postInvocationHooks');
    if (post.error !== null && post.error !== undefined) throw post.error;
    return (await model.getResponse(args.context, post.result)) as RpcInvocationResponse;
  }

  private async runInvocationHooks(
    name: 'preInvocation' | 'postInvocation',
    context: Record<string, unknown>,
    coreContext: CoreInvocationContext,
    state: 'preInvocationHooks' | 'postInvocationHooks',
  ): Promise<void> {
    coreContext.state = state;
    try {
      for (const hook of [...this.app.hooks[name]]) await hook(context);
    } finally {
      coreContext.state = undefined;
    }
  }
}
