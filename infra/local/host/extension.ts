import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock';
import type {
  FunctionMetadata,
  RpcBindingInfo,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcTypedData,
} from './rpc-types';

/**
 * How the local host lets an extension (the Durable engine today; Service Bus or Event Grid tomorrow) drive
 * functions whose triggers the host itself does not know, supply input bindings, and serve its own HTTP API
 * — the roles the WebJobs extensions play inside the real Functions host.
 */

export interface RegisteredFunction {
  readonly name: string;
  readonly metadata: FunctionMetadata;
  /** The binding name and info of the function's trigger. */
  readonly trigger: { readonly name: string; readonly info: RpcBindingInfo };
}

export type InvocationOutcome =
  | { readonly ok: true; readonly response: RpcInvocationResponse }
  | { readonly ok: false; readonly error: Error };

export interface HostLogFields {
  readonly invocationId?: string;
  readonly functionName?: string;
  readonly instanceId?: string;
  readonly [field: string]: unknown;
}

export type HostLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface InvokeOptions {
  /** Shown in the host's "Executing" line, like the Functions host's `Reason=` (e.g. "New orchestration"). */
  readonly reason?: string;
  /** Use this invocation id instead of a fresh random one. */
  readonly invocationId?: string;
}

export interface HostContext {
  /** Every function the app registered, by name. */
  readonly functions: ReadonlyMap<string, RegisteredFunction>;
  /**
   * Invokes a function the way the worker does: programming model → preInvocation hooks → handler →
   * postInvocation hooks → response. Input data is keyed by binding name (the trigger's name among them).
   */
  invoke(
    functionName: string,
    inputData: RpcParameterBinding[],
    triggerMetadata?: Record<string, RpcTypedData>,
    options?: InvokeOptions,
  ): Promise<InvocationOutcome>;
  /** The origin clients reach the host at, e.g. `http://127.0.0.1:7071` (no trailing slash). */
  readonly baseUrl: string;
  /** The function key that authorises `function`/`admin` level calls on this host. */
  readonly masterKey: string;
  readonly clock: Clock;
  /** host.json as loaded (with `%SETTING%` references resolved). */
  readonly hostJson: Readonly<Record<string, unknown>>;
  /** Where the extension may persist state; undefined means keep everything in memory. */
  readonly dataDir: string | undefined;
  log(level: HostLogLevel, message: string, fields?: HostLogFields): void;
}

export interface HostExtension {
  readonly name: string;
  /** Trigger binding types this extension drives (e.g. `orchestrationTrigger`, `activityTrigger`). */
  readonly triggerTypes: readonly string[];
  /** Values for input bindings of these types (e.g. `durableClient`), computed per invocation. */
  readonly inputBindings?: Readonly<Record<string, (binding: RpcBindingInfo) => RpcTypedData>>;
  /** URL path prefixes outside the route prefix that this extension answers (e.g. `/runtime/webhooks/durabletask/`). */
  readonly httpPathPrefixes?: readonly string[];
  /** Answers a request under one of `httpPathPrefixes`; the body is already read (and size-capped) by the host. */
  handleHttp?(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void>;
  /** Called once the app is loaded and before the host accepts requests. */
  start(host: HostContext): Promise<void>;
  /** Called on shutdown after HTTP intake stops; finish or persist in-flight work. */
  stop(): Promise<void>;
}
