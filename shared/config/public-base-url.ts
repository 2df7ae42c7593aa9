import type { Settings } from './settings';

const loopbackHost = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i;

/**
 * The absolute base of links in mails and of webhook URLs: `PUBLIC_BASE_URL` when set (a custom domain),
 * otherwise the host the platform names in `WEBSITE_HOSTNAME` — `https://` in Azure, `http://` for the local
 * host on loopback. Read at use, not at start: the local host learns its port (0 = a free one in tests)
 * only after the app is loaded, and sets WEBSITE_HOSTNAME then.
 */
export function publicBaseUrl(
  settings: Pick<Settings, 'PUBLIC_BASE_URL'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (settings.PUBLIC_BASE_URL !== undefined) return settings.PUBLIC_BASE_URL.replace(/\/+$/, '');
  const hostname = env.WEBSITE_HOSTNAME?.trim();
  if (hostname === undefined || hostname === '') {
    throw new Error('PUBLIC_BASE_URL is not set and WEBSITE_HOSTNAME names no host to build links from');
  }
  return `${loopbackHost.test(hostname) ? 'http' : 'https'}://${hostname}`;
}
