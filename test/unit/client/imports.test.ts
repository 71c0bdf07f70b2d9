import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm;

/** Every file the client's index reaches, and the packages they import. */
function reach(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (spec === undefined) continue;
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(join(SRC, entry));
  return { files, packages };
}

describe('client/index', () => {
  describe('imports', () => {
    const { files, packages } = reach('client/index.ts');

    it('reach only src/client, the I/O-free protocol schemas and the shared backoff', () => {
      const outside = [...files]
        .map((f) => relative(SRC, f))
        .filter((f) => !f.startsWith('client/'));
      expect(outside.sort()).to.deep.equal([
        'protocol/client-frame.ts',
        'protocol/codes.ts',
        'protocol/common.ts',
        'protocol/parse.ts',
        'protocol/server-frame.ts',
        'shared/backoff.ts',
      ]);
    });

    it('use no package but zod, and nothing of Node', () => {
      expect([...packages]).to.deep.equal(['zod']);
      for (const file of files) {
        const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
        expect(code, relative(SRC, file)).to.not.match(/\b(Buffer|process|require|__dirname)\b/);
        expect(code, relative(SRC, file)).to.not.match(/NodeJS\./);
      }
    });
  });
});
