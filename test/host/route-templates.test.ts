import { describe, expect, it } from 'vitest';
import {
  comparePrecedence,
  matchRoute,
  parseRouteTemplate,
  RouteTemplateError,
} from '../../infra/local/host/routing';

const match = (template: string, path: string): Record<string, string> | undefined =>
  matchRoute(parseRouteTemplate(template), path === '' ? [] : path.split('/'));

describe('route template parsing', () => {
  it.each([
    ['an unclosed brace', 'items/{id'],
    ['an unmatched closing brace', 'items/id}'],
    ['an unknown constraint', 'items/{id:number}'],
    ['a bad regex', 'items/{id:regex(()}'],
    ['min without an argument', 'items/{id:min}'],
    ['a catch-all before the end', '{*rest}/more'],
    ['an optional parameter before a required segment', '{a?}/b'],
    ['a repeated parameter name', '{id}/{ID}'],
    ['an empty segment', 'a//b'],
    ['two adjacent parameters in one segment', '{a}{b}'],
    ['an optional catch-all', '{*rest?}'],
  ])('rejects %s', (_name, template) => {
    expect(() => parseRouteTemplate(template)).toThrow(RouteTemplateError);
  });

  it('ignores leading and trailing slashes and ~/', () => {
    expect(parseRouteTemplate('/items/{id}/').text).toBe('items/{id}');
    expect(parseRouteTemplate('~/items').text).toBe('items');
  });
});

describe('route matching', () => {
  it('matches constraints with arguments containing colons and parentheses', () => {
    expect(match('t/{time:regex(^\\d\\d:\\d\\d$)}', 't/10:30')).toEqual({ time: '10:30' });
    expect(match('t/{time:regex(^\\d\\d:\\d\\d$)}', 't/1030')).toBeUndefined();
    expect(match('p/{v:regex(^(a|b)$)}', 'p/b')).toEqual({ v: 'b' });
  });

  it('supports range, minlength and maxlength', () => {
    expect(match('{n:range(5,10)}', '5')).toEqual({ n: '5' });
    expect(match('{n:range(5,10)}', '11')).toBeUndefined();
    expect(match('{s:minlength(2):maxlength(3)}', 'abc')).toEqual({ s: 'abc' });
    expect(match('{s:minlength(2):maxlength(3)}', 'abcd')).toBeUndefined();
    expect(match('{s:length(2,3)}', 'a')).toBeUndefined();
  });

  it('accepts the guid formats .NET parses', () => {
    for (const guid of [
      '0f8fad5bd9cb469fa16570867728950e',
      '{0f8fad5b-d9cb-469f-a165-70867728950e}',
      '(0F8FAD5B-D9CB-469F-A165-70867728950E)',
    ]) {
      expect(match('{g:guid}', guid)).toEqual({ g: guid });
    }
    expect(match('{g:guid}', '0f8fad5b-d9cb-469f-a165-70867728950')).toBeUndefined();
  });

  it('matches an empty template only at the root', () => {
    expect(match('', '')).toEqual({});
    expect(match('', 'x')).toBeUndefined();
  });

  it('constrains a catch-all over the whole rest', () => {
    expect(match('f/{*rest:regex(\\.txt$)}', 'f/a/b.txt')).toEqual({ rest: 'a/b.txt' });
    expect(match('f/{*rest:regex(\\.txt$)}', 'f/a/b.png')).toBeUndefined();
  });
});

describe('route precedence', () => {
  it('orders literal, constrained parameter, parameter, constrained catch-all, catch-all', () => {
    const templates = ['{*all}', 'a/{x}', '{*all:alpha}', 'a/b', 'a/{x:int}', '{x}'].map(parseRouteTemplate);
    const ordered = [...templates].sort(comparePrecedence).map((template) => template.text);
    expect(ordered).toEqual(['a/b', 'a/{x:int}', 'a/{x}', '{x}', '{*all:alpha}', '{*all}']);
  });
});
