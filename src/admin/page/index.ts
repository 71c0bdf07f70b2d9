import type { Asset } from '../http.js';
import { PAGE_HTML } from './html.js';
import { PAGE_CSS } from './styles.js';
import { SCRIPT_CORE } from './script-core.js';
import { SCRIPT_PANELS } from './script-panels.js';

/** The page's script: both parts in one scope, started once the document is parsed. */
const SCRIPT = `(() => {\n${SCRIPT_CORE}\n${SCRIPT_PANELS}\ninit();\n})();\n`;

/** The page and its assets, by path. */
export const PAGE_ASSETS: Record<string, Asset> = {
  '/': { contentType: 'text/html; charset=utf-8', body: PAGE_HTML },
  '/assets/admin.css': { contentType: 'text/css; charset=utf-8', body: PAGE_CSS },
  '/assets/admin.js': { contentType: 'text/javascript; charset=utf-8', body: SCRIPT },
};
