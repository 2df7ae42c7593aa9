// ESLint flat config: typescript-eslint's strict rules for all TypeScript, Prettier owns formatting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', '.deploy/', 'coverage/', 'test/fixtures/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
  {
    // The domain never imports Azure SDKs or DocuSign (DESIGN §3): only adapters and the composition root do.
    files: ['shared/**/domain/**/*.ts', 'shared/**/model.ts', 'shared/**/use-cases/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@azure/*', 'docusign-esign', 'durable-functions'],
              message: 'Domain code uses ports; adapters import SDKs.',
            },
          ],
        },
      ],
    },
  },
);
