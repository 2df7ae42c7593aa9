/**
 * The function app's entry point (bundled to dist/index.js, package.json `main`): importing a function file
 * registers its functions with the Functions runtime.
 */
import './telemetry';
import { getSettings } from '../shared/config/settings';
import './health';
import './me';
import './requests';
import './agreement-template';
import './samples';
import './openapi';
import './notifications';
import './request-lifecycle';
import './docusign-webhook';
import './provisioning';
import './admin';
import './agreements';
import './reviews';
import './review-links';

// A missing or malformed setting stops the app at start, naming the setting, instead of failing the first
// request that needs it.
getSettings();
