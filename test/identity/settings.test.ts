import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../shared/config/settings';

const example = (
  JSON.parse(readFileSync(path.join(__dirname, '../../local.settings.example.json'), 'utf8')) as {
    Values: Record<string, string>;
  }
).Values;

describe('AUTH__* settings', () => {
  it('are in local.settings.example.json and parse with their defaults', () => {
    const withoutOptional = { ...example };
    delete withoutOptional.AUTH__requiredScope;
    delete withoutOptional.AUTH__adminRole;
    expect(parseSettings(withoutOptional)).toMatchObject({
      AUTH__issuer: 'http://127.0.0.1:7080',
      AUTH__audience: 'api://data-requests',
      AUTH__jwksUri: 'http://127.0.0.1:7080/.well-known/jwks.json',
      AUTH__requiredScope: 'access_as_user',
      AUTH__adminRole: 'admin',
    });
  });

  it('fail at start naming a missing issuer', () => {
    const settings = { ...example };
    delete settings.AUTH__issuer;
    expect(() => parseSettings(settings)).toThrow(/AUTH__issuer is missing/);
  });

  it('refuse a JWKS over plain http anywhere but loopback', () => {
    expect(() => parseSettings({ ...example, AUTH__jwksUri: 'http://login.example.com/keys' })).toThrow(
      /AUTH__jwksUri is invalid: must use https/,
    );
    expect(() => parseSettings({ ...example, AUTH__jwksUri: 'http://localhost.evil.example/keys' })).toThrow(
      /AUTH__jwksUri/,
    );
    expect(
      parseSettings({
        ...example,
        AUTH__jwksUri:
          'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/discovery/v2.0/keys',
      }).AUTH__jwksUri,
    ).toMatch(/^https:/);
  });
});
