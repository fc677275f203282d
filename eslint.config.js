// Lint enforces the runtime boundaries (STYLE.md, pattern 1):
// - src-shared imports no Node, Electron, DOM, main or renderer code;
// - the engine and the CLI never import electron;
// - the renderer never imports src-main, Node or Electron;
// - raw ipcMain / ipcRenderer exist only in the one bridge
//   (src-main/ipc/electron.ts and src-main/preload/index.ts).
// test/lint/boundaries.test.ts proves each rule fires.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));
const noNode = [
  { regex: '^node:', message: 'This code runs on both sides of the app: no Node APIs here.' },
  { group: nodeBuiltins.flatMap((m) => [m, `${m}/*`]), message: 'This code runs on both sides of the app: no Node APIs here.' },
];
const noElectron = { group: ['electron', 'electron/*'], message: 'Only src-main/app, src-main/ipc/electron.ts and the preload may import electron.' };
const noMain = { group: ['**/src-main/**', '**/src-main'], message: 'The renderer reaches the engine only through the contract in src-shared.' };
const noRenderer = { group: ['**/src-renderer/**'], message: 'src-shared and src-main never import the renderer.' };
const rawIpc = {
  paths: [{ name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: 'Use the contract: raw ipcMain/ipcRenderer live only in src-main/ipc/electron.ts and src-main/preload/index.ts.' }],
};
const rawIpcSyntax = {
  selector: 'MemberExpression[property.name=/^ipc(Main|Renderer)$/]',
  message: 'Use the contract: raw ipcMain/ipcRenderer live only in src-main/ipc/electron.ts and src-main/preload/index.ts.',
};
const domGlobals = ['window', 'document', 'navigator', 'location', 'localStorage', 'sessionStorage', 'HTMLElement', 'process', 'Buffer', 'require', '__dirname'];

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'bench/.work/**', 'test/lint-fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // Everywhere: no raw IPC outside the bridge.
  {
    files: ['**/*.{ts,tsx,js}'],
    ignores: ['src-main/ipc/electron.ts', 'src-main/preload/index.ts'],
    rules: {
      'no-restricted-imports': ['error', rawIpc],
      'no-restricted-syntax': ['error', rawIpcSyntax],
    },
  },
  {
    files: ['src-main/engine/**', 'src-main/cli/**', 'src-main/ipc/**'],
    ignores: ['src-main/ipc/electron.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noElectron, noRenderer] }] },
  },
  {
    files: ['src-shared/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...noNode, noElectron, noMain, noRenderer] }],
      'no-restricted-globals': ['error', ...domGlobals.map((name) => ({ name, message: 'src-shared is runtime-neutral: no DOM or Node globals.' }))],
    },
  },
  {
    files: ['src-renderer/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...noNode, noElectron, noMain] }] },
  },
);
