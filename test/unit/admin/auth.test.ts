import { expect } from 'chai';
import { createAuthenticator } from '../../../src/admin/auth.js';

const TOKEN = 'admin-token-0123456789abcdef';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('admin/auth', () => {
  describe('#createAuthenticator', () => {
    const authenticate = createAuthenticator(TOKEN);

    it('accepts basic auth with user admin and the token as password', () => {
      expect(authenticate(basic('admin', TOKEN))).to.equal(true);
    });

    it('accepts the token as a bearer token, whatever the scheme case', () => {
      expect(authenticate(`Bearer ${TOKEN}`)).to.equal(true);
      expect(authenticate(`bearer ${TOKEN}`)).to.equal(true);
    });

    it('refuses a missing or empty header', () => {
      expect(authenticate(undefined)).to.equal(false);
      expect(authenticate('')).to.equal(false);
    });

    it('refuses a wrong password, a wrong user and a wrong bearer token', () => {
      expect(authenticate(basic('admin', `${TOKEN}x`))).to.equal(false);
      expect(authenticate(basic('root', TOKEN))).to.equal(false);
      expect(authenticate(`Bearer ${TOKEN.slice(0, -1)}`)).to.equal(false);
    });

    it('refuses malformed headers and other schemes', () => {
      expect(authenticate('Basic')).to.equal(false);
      expect(authenticate('Basic !!!not-base64')).to.equal(false);
      expect(authenticate(`Basic ${Buffer.from(`admin${TOKEN}`).toString('base64')}`)).to.equal(
        false,
      );
      expect(authenticate(`Digest ${TOKEN}`)).to.equal(false);
      expect(authenticate(TOKEN)).to.equal(false);
    });

    it('keeps the colon in a password after the first one', () => {
      const withColon = createAuthenticator('part:one-0123456789');
      expect(withColon(basic('admin', 'part:one-0123456789'))).to.equal(true);
    });
  });
});
