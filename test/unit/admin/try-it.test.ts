import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { examineeHtml, indexHtml, supervisorHtml } from '../../../src/admin/try-it/html.js';
import { idsDeclaredIn, idsUsedBy } from './page-ids.js';

const source = (file: string) =>
  readFileSync(new URL(`../../../src/admin/ui/try/${file}`, import.meta.url), 'utf8');
/** Both pages run dom.ts and connect.ts besides their own script. */
const shared = source('dom.ts') + source('connect.ts');

describe('admin/try-it', () => {
  describe('pages', () => {
    for (const [name, html, script] of [
      ['supervisor', supervisorHtml(), source('supervisor-page.ts')],
      ['examinee', examineeHtml(), source('examinee-page.ts')],
    ] as const) {
      it(`${name}: has every element its scripts look up by id`, () => {
        const ids = idsUsedBy(script + shared);
        const declared = idsDeclaredIn(html);
        expect(ids.length).to.be.above(5);
        expect(ids.filter((id) => !declared.has(id))).to.deep.equal([]);
      });

      it(`${name}: loads its bundle and has no inline script or style`, () => {
        expect(html).to.include(`<script type="module" src="/try/assets/${name}.js"></script>`);
        expect(html).to.not.match(/<script>|<style|\sstyle=|\son[a-z]+=/i);
      });
    }

    it('examinee: shows the status in an element with role="status"', () => {
      expect(examineeHtml()).to.match(/<p id="status" role="status"/);
    });

    it('index: links one page per identity', () => {
      const html = indexHtml('EXAM1', [
        { clientId: 'S001', role: 'supervisor', serverId: 'serverB' },
        { clientId: 'E001', role: 'examinee', serverId: 'serverA' },
      ]);
      expect([...html.matchAll(/<a href="(\/try\/[^"]+)"/g)].map((m) => m[1])).to.deep.equal([
        '/try/supervisor?as=S001',
        '/try/examinee?as=E001',
      ]);
    });
  });

  describe('scripts', () => {
    it('never write data as HTML', () => {
      const all = shared + source('supervisor-page.ts') + source('examinee-page.ts');
      expect(all).to.not.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    });
  });
});
