import { readFileSync } from 'node:fs';
import type { Asset } from '../http.js';
import { PAGE_HTML } from './html.js';
import { PAGE_CSS } from './styles.js';

/**
 * The page's script, a real file (src/admin/ui/admin.js) that `npm run build` copies next to
 * this module's folder in dist/; read once at start.
 */
const SCRIPT = readFileSync(new URL('../ui/admin.js', import.meta.url), 'utf8');

/** The page and its assets, by path. */
export const PAGE_ASSETS: Record<string, Asset> = {
  '/': { contentType: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/assets/admin.css': { contentType: 'text/css; charset=utf-8', body: PAGE_CSS },
  '/assets/admin.js': { contentType: 'text/javascript; charset=utf-8', body: SCRIPT },
};
