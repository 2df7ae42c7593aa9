import fs from 'node:fs';
import path from 'node:path';

/**
 * Just enough glob for `package.json#main` (the worker uses globby there): `*`, `**`, `?`, `{a,b}` and
 * `[abc]`, relative to the app folder, `node_modules` never descended into. Returns sorted relative paths.
 */
export function hasGlobMagic(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern);
}

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more whole directories; a trailing `**` matches everything below.
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          source += '(?:[^/]*/)*';
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '{') {
      const end = pattern.indexOf('}', i);
      if (end === -1) {
        source += '\\{';
      } else {
        const alternatives = pattern.slice(i + 1, end).split(',');
        source += `(?:${alternatives.map((alternative) => globToRegExp(alternative).source.slice(1, -1)).join('|')})`;
        i = end;
      }
    } else if (char === '[') {
      const end = pattern.indexOf(']', i);
      if (end === -1) {
        source += '\\[';
      } else {
        source += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else {
      source += char.replace(/[.+^$()|\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

export function glob(pattern: string, cwd: string): string[] {
  const normalized = pattern.replace(/\\/g, '/').replace(/^\.\//, '');
  const matcher = globToRegExp(normalized);
  // Walk only below the pattern's static prefix.
  const segments = normalized.split('/');
  const staticSegments: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (hasGlobMagic(segment)) break;
    staticSegments.push(segment);
  }
  const matches: string[] = [];
  const walk = (relativeDir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(cwd, relativeDir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(relative);
      } else if (matcher.test(relative)) {
        matches.push(relative);
      }
    }
  };
  walk(staticSegments.join('/'));
  return matches.sort();
}
