/**
 * The function app's entry point (bundled to dist/index.js, package.json `main`): importing a function file
 * registers its functions with the Functions runtime.
 */
import './health';
import './me';
import './agreement-template';
import './samples';
import './openapi';
