/**
 * Telemetry and log hygiene, loaded first by functions/index.ts.
 *
 * - With APPLICATIONINSIGHTS_CONNECTION_STRING set (in Azure always; locally only when you set it) the Azure
 *   Monitor OpenTelemetry distro starts, loaded on demand so that a local run never loads it. The Functions host
 *   (host.json `"telemetryMode": "OpenTelemetry"`) exports its own logs and the invocation spans; this process
 *   adds the spans of its outgoing calls as children of the invocation's span, each tagged with the invocation id
 *   (the `X-Correlation-Id` of every HTTP answer). With `Authorization=AAD` in
 *   APPLICATIONINSIGHTS_AUTHENTICATION_STRING the exporter signs in with the app's managed identity.
 * - Always: every log line the app writes passes a hook that masks secrets (the configured secret values,
 *   bearer tokens, JWTs, PEM private keys, SAS signatures, access keys) before the host sees it, and span URLs
 *   lose the values of credential-like query parameters.
 */
import { createRequire } from 'node:module';
import {
  app,
  type FunctionHandler,
  type InvocationContext,
  type PreInvocationContext,
} from '@azure/functions';
import {
  context as otelContext,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  type Context,
} from '@opentelemetry/api';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { getAzureCredential } from '../shared/platform/azure-credential';

type SpanProcessor = NonNullable<AzureMonitorOpenTelemetryOptions['spanProcessors']>[number];
type Span = Parameters<SpanProcessor['onStart']>[0];
type EndedSpan = Parameters<SpanProcessor['onEnd']>[0];

/** What `startTelemetry` needs of `@azure/monitor-opentelemetry` (injected by tests). */
export interface AzureMonitorDistro {
  useAzureMonitor(options: AzureMonitorOpenTelemetryOptions): void;
  shutdownAzureMonitor(): Promise<void>;
}

// --- secrets out of logs and spans -------------------------------------------------------------------------

const redacted = '[redacted]';

/** Secrets recognisable by their shape, wherever they appear in a line. */
const secretPatterns: readonly (readonly [RegExp, string])[] = [
  [
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    `${redacted} private key`,
  ],
  [/\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi, `Bearer ${redacted}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, `${redacted} jwt`],
  // Connection-string parts (`AccountKey=...;`).
  [/\b(AccountKey|accesskey|SharedAccessKey|client_secret|password)=([^;&\s"'<>]+)/gi, `$1=${redacted}`],
  // Query parameters of URLs (SAS `sig`, link `token`, OAuth `code`, ...).
  [
    /([?&](?:sig|code|token|access_token|client_secret|assertion|key|password)=)[^&#\s"'<>]*/gi,
    `$1${redacted}`,
  ],
];

/** Shorter values would mask ordinary words; no real secret is that short. */
const minimumSecretLength = 8;

/** Masks every known secret value and every secret-shaped substring of `text`. */
export function redactSecrets(text: string, secretValues: readonly string[]): string {
  let result = text;
  for (const value of secretValues) {
    if (value.length >= minimumSecretLength) result = result.split(value).join(redacted);
  }
  for (const [pattern, replacement] of secretPatterns) result = result.replace(pattern, replacement);
  return result;
}

/** The secret values this process is configured with (settings that hold keys), read from `env`. */
export function configuredSecrets(env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  const add = (value: string | undefined): void => {
    const trimmed = value?.trim();
    if (trimmed) values.push(trimmed);
  };
  const privateKey = env.DocuSign__privateKey;
  add(privateKey);
  add(privateKey?.replace(/\\n/g, '\n'));
  for (const key of (env.DocuSign__connectHmacKeys ?? '').split(',')) add(key);
  add(env.CosmosDb__accountKey);
  add(env.DataStorage__accountKey);
  for (const part of (env.Email__connectionString ?? '').split(';')) {
    const match = /^\s*accesskey=(.+)$/i.exec(part);
    if (match) add(match[1]);
  }
  return values;
}

const urlAttributes = ['url.full', 'url.query', 'http.url', 'http.target'];
const credentialParameters =
  /([?&](?:sig|code|token|access_token|client_secret|assertion|key|password)=)[^&#]*/gi;

/** `url` with the values of credential-like query parameters (SAS `sig`, `code`, `token`, ...) masked. */
export function redactUrl(url: string): string {
  return url.replace(credentialParameters, `$1${redacted}`);
}

function redactSpanUrls(
  attributes: Record<string, unknown>,
  set: (key: string, value: string) => void,
): void {
  for (const key of urlAttributes) {
    const value = attributes[key];
    if (typeof value !== 'string') continue;
    // `url.query` has no leading `?`.
    const clean = key === 'url.query' ? redactUrl(`?${value}`).slice(1) : redactUrl(value);
    if (clean !== value) set(key, clean);
  }
}

// --- correlation ---------------------------------------------------------------------------------------------

const invocationIdKey = createContextKey('data-requests.invocation-id');

/** Tags each span with the invocation it belongs to, and masks credentials in its URLs. */
export const invocationSpanProcessor: SpanProcessor = {
  onStart(span: Span, parentContext) {
    const invocationId = parentContext.getValue(invocationIdKey);
    if (typeof invocationId === 'string') span.setAttribute('faas.invocation_id', invocationId);
    const attributes = (span as unknown as { attributes?: Record<string, unknown> }).attributes ?? {};
    redactSpanUrls(attributes, (key, value) => span.setAttribute(key, value));
  },
  onEnd(span: EndedSpan) {
    // Attributes set after start (the span is ended, so write the recorded attributes directly).
    const attributes = span.attributes as Record<string, unknown>;
    redactSpanUrls(attributes, (key, value) => {
      attributes[key] = value;
    });
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/** The OpenTelemetry context of an invocation: the host's trace context (traceparent) plus the invocation id. */
export function invocationContext(
  invocation: Pick<InvocationContext, 'invocationId' | 'traceContext'>,
): Context {
  const carrier: Record<string, string> = {};
  if (invocation.traceContext?.traceParent) carrier.traceparent = invocation.traceContext.traceParent;
  if (invocation.traceContext?.traceState) carrier.tracestate = invocation.traceContext.traceState;
  return propagation.extract(ROOT_CONTEXT, carrier).setValue(invocationIdKey, invocation.invocationId);
}

/** Runs each invocation inside its context, so that the spans it causes join the host's trace. */
function bindInvocationContext(hookContext: PreInvocationContext): void {
  const parent = invocationContext(hookContext.invocationContext);
  hookContext.functionHandler = otelContext.bind(parent, hookContext.functionHandler) as FunctionHandler;
}

// --- start -----------------------------------------------------------------------------------------------------

/** The Application Insights connection string, or undefined when telemetry is off. */
export function telemetryConnectionString(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  return value ? value : undefined;
}

function usesEntraId(env: NodeJS.ProcessEnv): boolean {
  return /(^|;)\s*Authorization\s*=\s*AAD\s*(;|$)/i.test(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '');
}

/**
 * Starts the distro when `env` configures it; resolves to whether it started. A failure is logged and the app
 * keeps running without telemetry.
 */
export async function startTelemetry(
  env: NodeJS.ProcessEnv,
  load: () => Promise<AzureMonitorDistro> = () => import('@azure/monitor-opentelemetry'),
): Promise<boolean> {
  const connectionString = telemetryConnectionString(env);
  if (connectionString === undefined) return false;
  try {
    const distro = await load();
    const clientId = env.AZURE_CLIENT_ID?.trim() || undefined;
    distro.useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString,
        ...(usesEntraId(env) ? { credential: getAzureCredential({ AZURE_CLIENT_ID: clientId }) } : {}),
      },
      enableLiveMetrics: false,
      spanProcessors: [invocationSpanProcessor],
    });
    // The bundle loaded these before the distro: requiring them again lets the HTTP instrumentation patch them.
    const requireBuiltin = createRequire(import.meta.url);
    requireBuiltin('node:http');
    requireBuiltin('node:https');
    app.hook.appTerminate(() => distro.shutdownAzureMonitor());
    return true;
  } catch (error) {
    console.error(`Telemetry is off: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

let secrets: readonly string[] | undefined;

app.hook.log((hookContext) => {
  if (hookContext.category !== 'user') return;
  secrets ??= configuredSecrets(process.env);
  hookContext.message = redactSecrets(hookContext.message, secrets);
});

if (telemetryConnectionString(process.env) !== undefined) {
  app.hook.preInvocation(bindInvocationContext);
  void startTelemetry(process.env);
}
