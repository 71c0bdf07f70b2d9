import { expect } from 'chai';
import { PAGE_ASSETS } from '../../../src/admin/page/index.js';
import { idsDeclaredIn, idsUsedBy } from './page-ids.js';

describe('admin/page', () => {
  describe('PAGE_ASSETS', () => {
    it('serves the page, its stylesheet and its script', () => {
      expect(Object.keys(PAGE_ASSETS).sort()).to.deep.equal([
        '/',
        '/assets/admin.css',
        '/assets/admin.js',
        '/assets/charts.js',
        '/assets/uplot.css',
        '/assets/uplot.js',
      ]);
      expect(PAGE_ASSETS['/']?.body).to.include(
        '<script type="module" src="/assets/admin.js"></script>',
      );
    });

    it('has every element the script looks up by id', () => {
      const script =
        (PAGE_ASSETS['/assets/admin.js']?.body ?? '') +
        (PAGE_ASSETS['/assets/charts.js']?.body ?? '');
      const html = PAGE_ASSETS['/']?.body ?? '';
      const ids = idsUsedBy(script);
      const declared = idsDeclaredIn(html);
      expect(ids.length).to.be.above(20);
      expect(ids.filter((id) => !declared.has(id))).to.deep.equal([]);
    });

    it('has no inline script or style, so the CSP can forbid them', () => {
      const html = PAGE_ASSETS['/']?.body ?? '';
      expect(html).to.not.match(/<script>|<style|\sstyle=|\son[a-z]+=/i);
    });

    it('never writes data as HTML', () => {
      const script = PAGE_ASSETS['/assets/admin.js']?.body ?? '';
      expect(script).to.not.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    });
  });
});
