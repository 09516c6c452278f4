import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../lambdas/core/ecs.ts';
import { enrich } from '../../lambdas/core/enrich.ts';

const enriched = (event: EcsEvent): EcsEvent => {
  enrich(event);
  return event;
};

describe('enrich: url', () => {
  it('splits an absolute url.original into its parts, with the default port', () => {
    expect(enriched({ url: { original: 'https://www.example.com/a/b?x=1#top' } }).url).toEqual({
      original: 'https://www.example.com/a/b?x=1#top',
      full: 'https://www.example.com/a/b?x=1#top',
      scheme: 'https',
      domain: 'www.example.com',
      registered_domain: 'example.com',
      subdomain: 'www',
      top_level_domain: 'com',
      port: 443,
      path: '/a/b',
      query: 'x=1',
      fragment: 'top',
    });
  });

  it.each([
    ['/login', { path: '/login' }],
    ['/search?q=a?b', { path: '/search', query: 'q=a?b' }],
    ['/page#part?not-a-query', { path: '/page', fragment: 'part?not-a-query' }],
    ['/?', { path: '/' }],
  ])('splits a request target %s into path, query and fragment', (target, parts) => {
    expect(enriched({ url: { original: target } }).url).toEqual({ original: target, ...parts });
  });

  it('leaves the parts a mapper set alone', () => {
    const url = enriched({ url: { original: '/a?b=1', path: '/chosen', domain: 'example.com' } }).url;
    expect(url).toMatchObject({ path: '/chosen', domain: 'example.com' });
    expect(url).not.toHaveProperty('query');
  });

  it('keeps a value that is neither an absolute URL nor a request target as it is', () => {
    expect(enriched({ url: { original: 'not a url' } }).url).toEqual({ original: 'not a url' });
  });
});
