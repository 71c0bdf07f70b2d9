import { expect } from 'chai';
import { PAGE_ASSETS } from '../../../src/admin/page/index.js';

describe('admin/page', () => {
  describe('PAGE_ASSETS', () => {
    it('serves the page, its stylesheet and its script', () => {
      expect(Object.keys(PAGE_ASSETS).sort()).to.deep.equal([
        '/',
        '/assets/admin.css',
        '/assets/admin.js',
      ]);
      expect(PAGE_ASSETS['/']?.body).to.include('<script src="/assets/admin.js" defer></script>');
    });

    it('has a script that parses', () => {
      const script = PAGE_ASSETS['/assets/admin.js']?.body ?? '';
      // Parses without running: a syntax error in the string would throw here.
      expect(() => new Function(script)).to.not.throw();
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
