/**
 * The `durableClient` input binding value (protocols §2.7, the extension's `BindingHelper` and
 * `HttpApiHandler` links). `rpcBaseUrl` makes every `DurableClient` call go to this host's management API;
 * the management URLs are what `createCheckStatusResponse` hands to callers.
 *
 * The URLs carry no `code`: the real extension puts its system key there, but the local management API, like
 * `func start`, checks no key (the SDK's rpc calls never send one), and the host's master key must never
 * reach whoever calls an HTTP starter.
 */

export const managementPathPrefix = '/runtime/webhooks/durabletask/';
/** The placeholder `DurableClient` replaces with the instance id. */
const instanceIdPlaceholder = 'INSTANCEID';

export interface ClientBindingOptions {
  readonly baseUrl: string;
  readonly taskHub: string;
}

export function managementUrls(options: ClientBindingOptions, instanceId: string): Record<string, string> {
  // Encoded so that ids with spaces or non-ASCII characters still make valid URLs and Location headers.
  const encodedId = instanceId === instanceIdPlaceholder ? instanceId : encodeURIComponent(instanceId);
  const base = `${options.baseUrl}${managementPathPrefix}instances/${encodedId}`;
  const common = `taskHub=${encodeURIComponent(options.taskHub)}&connection=Storage`;
  return {
    id: instanceId,
    statusQueryGetUri: `${base}?${common}`,
    sendEventPostUri: `${base}/raiseEvent/{eventName}?${common}`,
    terminatePostUri: `${base}/terminate?reason={text}&${common}`,
    rewindPostUri: `${base}/rewind?reason={text}&${common}`,
    purgeHistoryDeleteUri: `${base}?${common}`,
    restartPostUri: `${base}/restart?${common}`,
    suspendPostUri: `${base}/suspend?reason={text}&${common}`,
    resumePostUri: `${base}/resume?reason={text}&${common}`,
  };
}

export function durableClientBindingJson(options: ClientBindingOptions): string {
  const webhooks = `${options.baseUrl}${managementPathPrefix}`;
  return JSON.stringify({
    taskHubName: options.taskHub,
    creationUrls: {
      createNewInstancePostUri: `${webhooks}orchestrators/{functionName}[/{instanceId}]`,
      createAndWaitOnNewInstancePostUri: `${webhooks}orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}`,
    },
    managementUrls: managementUrls(options, instanceIdPlaceholder),
    baseUrl: webhooks.slice(0, -1),
    requiredQueryStringParameters: '',
    // The trailing slash matters: the SDK resolves relative paths against it with `new URL`.
    rpcBaseUrl: webhooks,
  });
}
