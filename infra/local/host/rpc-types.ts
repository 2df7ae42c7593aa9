/**
 * The shapes the Azure Functions Node worker exchanges with a programming model (`@azure/functions`), after
 * the worker's `types-core/index.d.ts`. Only what the local host produces or reads is typed here.
 */
export interface RpcHttpCookie {
  name: string;
  value: string;
  domain?: { value: string } | null;
  path?: { value: string } | null;
  expires?: { value: { seconds: number } } | null;
  secure?: { value: boolean } | null;
  httpOnly?: { value: boolean } | null;
  sameSite?: string | number | null;
  maxAge?: { value: number } | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  enableContentNegotiation?: boolean | null;
  cookies?: RpcHttpCookie[] | null;
}

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
}

export interface RpcParameterBinding {
  name: string;
  data: RpcTypedData;
}

export interface RpcBindingInfo {
  type?: string;
  direction?: 'in' | 'out' | 'inout';
  dataType?: string;
  [property: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
  [property: string]: unknown;
}

export interface RpcInvocationResponse {
  invocationId?: string;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}
