// Builds the code that runs in pages into dist/admin/ui/ (run by `npm run build`, after tsc):
// the admin page's scripts are copied as they are (ES modules, checked by `npm run typecheck`),
// and each try-it page (src/admin/ui/try/*-page.ts, served only under `exam-relay dev`) is
// bundled by esbuild with the client SDK and zod into one ES module.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = `${root}src/admin/ui/`;
const out = `${root}dist/admin/ui/`;

await mkdir(`${out}try`, { recursive: true });
await Promise.all(['admin.js', 'charts.js'].map((f) => copyFile(`${src}${f}`, `${out}${f}`)));
await build({
  entryPoints: [`${src}try/supervisor-page.ts`, `${src}try/examinee-page.ts`],
  outdir: `${out}try`,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
