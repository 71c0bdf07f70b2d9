import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Asset } from '../http.js';
import { PAGE_HTML } from './html.js';
import { PAGE_CSS } from './styles.js';

/**
 * The page's scripts, real files (src/admin/ui/*.js) that `npm run build` copies next to
 * this module's folder in dist/; read once at start.
 */
const ui = (file: string) => readFileSync(new URL(`../ui/${file}`, import.meta.url), 'utf8');
/** uPlot's own browser build, from the package (a runtime dependency of the admin). */
const uplot = (file: string) =>
  readFileSync(createRequire(import.meta.url).resolve(`uplot/dist/${file}`), 'utf8');
const JS = 'text/javascript; charset=utf-8';

/** The page and its assets, by path. */
export const PAGE_ASSETS: Record<string, Asset> = {
  '/': { contentType: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/assets/admin.css': { contentType: 'text/css; charset=utf-8', body: PAGE_CSS },
  '/assets/admin.js': { contentType: JS, body: ui('admin.js') },
  '/assets/charts.js': { contentType: JS, body: ui('charts.js') },
  '/assets/uplot.js': { contentType: JS, body: uplot('uPlot.iife.min.js') },
  '/assets/uplot.css': { contentType: 'text/css; charset=utf-8', body: uplot('uPlot.min.css') },
};
