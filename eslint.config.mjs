import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'dist-vsix/', 'dist-cli/', 'node_modules/', '.vscode-test/', 'test-results/', '.test-workspace/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-restricted-syntax': [
        'error',
        { selector: "AssignmentExpression[left.property.name='innerHTML']", message: 'Untrusted text goes in with textContent, never innerHTML.' },
        { selector: "AssignmentExpression[left.property.name='outerHTML']", message: 'Untrusted text goes in with textContent, never outerHTML.' },
        { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: 'Untrusted text goes in with textContent.' },
      ],
    },
  },
  {
    // Code shared with the webview, and the engine, must run without VS Code.
    files: ['src/shared/**/*.ts', 'src/worker/**/*.ts', 'src/devtools/**/*.ts', 'src/host/engine/**/*.ts', 'webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'This folder runs without VS Code (plain Node or the browser).', allowTypeImports: true }] }],
    },
  },
);
