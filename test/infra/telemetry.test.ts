/**
 * functions/telemetry.ts: the distro starts only when Application Insights is configured, spans carry the
 * invocation id, and secrets never leave the process in a log line or a span URL.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  configuredSecrets,
  invocationContext,
  invocationSpanProcessor,
  redactSecrets,
  redactUrl,
  startTelemetry,
  telemetryConnectionString,
  type AzureMonitorDistro,
} from '../../functions/telemetry';

const connectionString =
  'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x/';

function fakeDistro(): AzureMonitorDistro & { options: unknown[] } {
  const options: unknown[] = [];
  return {
    options,
    useAzureMonitor: (value) => void options.push(value),
    shutdownAzureMonitor: () => Promise.resolve(),
  };
}

describe('starting telemetry', () => {
  it('stays off without APPLICATIONINSIGHTS_CONNECTION_STRING and never loads the distro', async () => {
    const load = vi.fn(() => Promise.resolve(fakeDistro()));
    expect(telemetryConnectionString({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' })).toBeUndefined();
    await expect(startTelemetry({}, load)).resolves.toBe(false);
    await expect(startTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: '' }, load)).resolves.toBe(false);
    expect(load).not.toHaveBeenCalled();
  });

  it('starts with the connection string, the invocation span processor and, with AAD, the identity', async () => {
    const distro = fakeDistro();
    const env = {
      APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=abc;Authorization=AAD',
      AZURE_CLIENT_ID: 'abc',
    };
    await expect(startTelemetry(env, () => Promise.resolve(distro))).resolves.toBe(true);
    const [options] = distro.options as [
      {
        azureMonitorExporterOptions: { connectionString: string; credential?: unknown };
        spanProcessors: unknown[];
      },
    ];
    expect(options.azureMonitorExporterOptions.connectionString).toBe(connectionString);
    expect(options.azureMonitorExporterOptions.credential).toBeDefined();
    expect(options.spanProcessors).toEqual([invocationSpanProcessor]);

    const keyed = fakeDistro();
    await startTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString }, () =>
      Promise.resolve(keyed),
    );
    const [plain] = keyed.options as [{ azureMonitorExporterOptions: { credential?: unknown } }];
    expect(plain.azureMonitorExporterOptions.credential).toBeUndefined();
  });

  it('keeps the app running when the distro cannot load', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failing = (): Promise<AzureMonitorDistro> => Promise.reject(new Error('Cannot find module'));
    await expect(
      startTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString }, failing),
    ).resolves.toBe(false);
    expect(error).toHaveBeenCalledWith('Telemetry is off: Cannot find module');
    error.mockRestore();
  });
});

describe('spans', () => {
  function fakeSpan(attributes: Record<string, unknown>) {
    return {
      attributes,
      setAttribute(key: string, value: unknown) {
        attributes[key] = value;
        return this;
      },
    };
  }

  it('carry the invocation id (the X-Correlation-Id) of the invocation that caused them', () => {
    const span = fakeSpan({});
    const context = invocationContext({ invocationId: 'inv-123', traceContext: { traceParent: undefined } });
    invocationSpanProcessor.onStart(span as never, context);
    expect(span.attributes['faas.invocation_id']).toBe('inv-123');
  });

  it('lose the values of credential-like query parameters', () => {
    const span = fakeSpan({
      'url.full': 'https://st.blob.core.windows.net/c/b?sv=2024&sig=SECRET%2B&se=2030',
      'url.query': 'token=abc&page=2',
    });
    invocationSpanProcessor.onStart(span as never, invocationContext({ invocationId: 'x' }));
    expect(span.attributes['url.full']).toBe(
      'https://st.blob.core.windows.net/c/b?sv=2024&sig=[redacted]&se=2030',
    );
    expect(span.attributes['url.query']).toBe('token=[redacted]&page=2');
    const ended = { attributes: { 'http.url': 'https://x/cb?code=abc' } };
    invocationSpanProcessor.onEnd(ended as never);
    expect(ended.attributes['http.url']).toBe('https://x/cb?code=[redacted]');
    expect(redactUrl('https://x/api/catalog?tab=study')).toBe('https://x/api/catalog?tab=study');
  });
});

describe('log lines', () => {
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';

  it('lose configured secret values: the DocuSign key (also \\n-escaped), every HMAC key, emulator keys', () => {
    const env = {
      DocuSign__privateKey: pem.replace(/\n/g, '\\n'),
      DocuSign__connectHmacKeys: 'hmac-key-new-0001, hmac-key-old-0002',
      CosmosDb__accountKey: 'cosmos-account-key==',
      Email__connectionString: 'endpoint=https://127.0.0.1:8025/;accesskey=acs-access-key==',
      DataStorage__accountKey: 'short',
    };
    const secrets = configuredSecrets(env);
    expect(secrets).toEqual(
      expect.arrayContaining([
        'hmac-key-new-0001',
        'hmac-key-old-0002',
        'cosmos-account-key==',
        'acs-access-key==',
        pem,
      ]),
    );
    const line = redactSecrets(
      'verified with hmac-key-old-0002, cosmos-account-key== and acs-access-key==',
      secrets,
    );
    expect(line).toBe('verified with [redacted], [redacted] and [redacted]');
    // Too short to be a real secret: masking it would mangle ordinary words.
    expect(redactSecrets('a short note', secrets)).toBe('a short note');
  });

  it('lose secret-shaped text: PEM keys, bearer tokens, JWTs, access keys, SAS signatures, link tokens', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJl';
    const line = [
      `key ${pem}`,
      'Authorization: Bearer abc.def-ghi',
      `token ${jwt}`,
      'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=c2VjcmV0==;EndpointSuffix=core.windows.net',
      'https://st.blob.core.windows.net/c/b.bam?sv=2024&sig=abc%2Fdef&se=2030',
      'https://app/api/reviews/decide?token=xyz&dau=1',
    ].join('\n');
    const clean = redactSecrets(line, []);
    for (const secret of ['MIIEvQ', 'abc.def-ghi', jwt, 'c2VjcmV0', 'abc%2Fdef', 'xyz'])
      expect(clean).not.toContain(secret);
    expect(clean).toContain('AccountName=st;AccountKey=[redacted];EndpointSuffix');
    expect(clean).toContain('&dau=1');
  });
});
