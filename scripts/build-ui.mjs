// Puts the code that runs in pages into dist/admin/ui/ (run by `npm run build`, after tsc):
// the admin page's scripts are copied as they are (ES modules, checked by `npm run typecheck`
// with src/admin/ui/tsconfig.json, which tsc's build no longer compiles).
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = `${root}src/admin/ui/`;
const out = `${root}dist/admin/ui/`;

await mkdir(out, { recursive: true });
await Promise.all(['admin.js', 'charts.js'].map((f) => copyFile(`${src}${f}`, `${out}${f}`)));
