// Lint: typescript-eslint's recommended rules plus the type-checked promise rules that keep an
// async mistake from passing silently, the jest plugin's checks, and Prettier for layout.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import jest from 'eslint-plugin-jest';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/valid-expect': ['error', { alwaysAwait: true }],
      // describe(Thing.name) is the house style (STYLE.md rule 9).
      'jest/valid-title': ['error', { ignoreTypeOfDescribeName: true }],
      // Table-driven tests keep their expectations in functions the table's test calls.
      'jest/no-standalone-expect': 'off',
      'jest/expect-expect': 'off',
      'jest/no-conditional-expect': 'off',
      // Test clients read loosely typed JSON bodies on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  prettier,
);
