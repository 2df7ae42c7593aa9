/**
 * Route templates as the Functions host understands them (ASP.NET Core routing): literal segments,
 * `{param}`, `{param?}`, `{param=default}`, inline constraints (`{id:int}`, `{id:int:min(1)}`,
 * `{code:regex(^[a-z]{{2}}$)}`), catch-all `{*rest}`, complex segments (`{name}.{ext}`), case-insensitive
 * literals, and ASP.NET's inbound precedence (literal beats constrained parameter beats parameter beats
 * catch-all).
 */

export interface RouteParameter {
  readonly kind: 'parameter';
  readonly name: string;
  readonly optional: boolean;
  readonly catchAll: boolean;
  readonly defaultValue: string | undefined;
  readonly constraints: readonly RouteConstraint[];
}

interface RouteLiteral {
  readonly kind: 'literal';
  readonly text: string;
}

type RoutePart = RouteLiteral | RouteParameter;

interface RouteSegment {
  readonly parts: readonly RoutePart[];
  /** For complex (multi-part) segments: matches the whole segment, one group per parameter. */
  readonly pattern?: RegExp;
}

export interface RouteConstraint {
  readonly text: string;
  test(value: string): boolean;
}

export interface RouteTemplate {
  readonly text: string;
  readonly segments: readonly RouteSegment[];
  /** ASP.NET inbound precedence digits, one per segment; compared lexicographically (lower first). */
  readonly precedence: readonly number[];
}

export class RouteTemplateError extends Error {}

const integerPattern = /^[+-]?\d+$/;
const floatPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const guidPattern =
  /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}|\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\))$/i;

function integerWithin(value: string, min: bigint, max: bigint): boolean {
  if (!integerPattern.test(value)) return false;
  const number = BigInt(value);
  return number >= min && number <= max;
}

const int32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const int64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;

function numberArguments(name: string, args: string | undefined, count: number[]): bigint[] {
  const values = (args ?? '').split(',').map((item) => item.trim());
  if (!count.includes(values.length) || values.some((item) => !integerPattern.test(item))) {
    throw new RouteTemplateError(
      `The route constraint '${name}' needs ${count.join(' or ')} integer argument(s)`,
    );
  }
  return values.map((item) => BigInt(item));
}

/** The inline constraints ASP.NET Core routing knows by default. */
function createConstraint(name: string, args: string | undefined): RouteConstraint['test'] {
  switch (name.toLowerCase()) {
    case 'int':
      return (value) => integerWithin(value, ...int32);
    case 'long':
      return (value) => integerWithin(value, ...int64);
    case 'bool':
      return (value) => /^(true|false)$/i.test(value);
    case 'guid':
      return (value) => guidPattern.test(value);
    case 'alpha':
      return (value) => /^[a-z]+$/i.test(value);
    case 'double':
    case 'float':
    case 'decimal':
      return (value) => floatPattern.test(value);
    case 'datetime':
      return (value) => !Number.isNaN(Date.parse(value));
    case 'required':
      return (value) => value !== '';
    case 'min': {
      const [min] = numberArguments(name, args, [1]) as [bigint];
      return (value) => integerWithin(value, min, int64[1]);
    }
    case 'max': {
      const [max] = numberArguments(name, args, [1]) as [bigint];
      return (value) => integerWithin(value, int64[0], max);
    }
    case 'range': {
      const [min, max] = numberArguments(name, args, [2]) as [bigint, bigint];
      return (value) => integerWithin(value, min, max);
    }
    case 'length': {
      const bounds = numberArguments(name, args, [1, 2]).map(Number);
      const [min, max] = bounds.length === 1 ? [bounds[0]!, bounds[0]!] : [bounds[0]!, bounds[1]!];
      return (value) => value.length >= min && value.length <= max;
    }
    case 'minlength': {
      const [min] = numberArguments(name, args, [1]).map(Number) as [number];
      return (value) => value.length >= min;
    }
    case 'maxlength': {
      const [max] = numberArguments(name, args, [1]).map(Number) as [number];
      return (value) => value.length <= max;
    }
    case 'regex': {
      if (args === undefined || args === '')
        throw new RouteTemplateError("The route constraint 'regex' needs a pattern");
      let pattern: RegExp;
      try {
        // ASP.NET: IgnoreCase | CultureInvariant, and not anchored unless the pattern anchors itself.
        pattern = new RegExp(args, 'i');
      } catch (error) {
        throw new RouteTemplateError(`Invalid regex route constraint '${args}': ${(error as Error).message}`);
      }
      return (value) => pattern.test(value);
    }
    default:
      throw new RouteTemplateError(`The constraint reference '${name}' could not be resolved`);
  }
}

/** Splits `name:int:regex(a:b)=x?` into its pieces; constraint arguments may hold `:` and `)`. */
function parseParameter(text: string, template: string): RouteParameter {
  let rest = text;
  let catchAll = false;
  if (rest.startsWith('**')) {
    catchAll = true;
    rest = rest.slice(2);
  } else if (rest.startsWith('*')) {
    catchAll = true;
    rest = rest.slice(1);
  }
  const nameMatch = /^[^:=?]+/.exec(rest);
  if (nameMatch === null) throw new RouteTemplateError(`A parameter in route '${template}' has no name`);
  const name = nameMatch[0];
  if (/[{}/*]/.test(name))
    throw new RouteTemplateError(`Invalid parameter name '${name}' in route '${template}'`);
  rest = rest.slice(name.length);

  const constraints: RouteConstraint[] = [];
  while (rest.startsWith(':')) {
    const constraintName = /^:([^:(=?]*)/.exec(rest)![1]!;
    let consumed = 1 + constraintName.length;
    let args: string | undefined;
    if (rest[consumed] === '(') {
      // The arguments end at the first ')' followed by the end, another constraint, a default or '?'.
      let close = -1;
      for (let i = consumed + 1; i < rest.length; i++) {
        if (rest[i] === ')' && (i + 1 === rest.length || ':=?'.includes(rest[i + 1]!))) {
          close = i;
          break;
        }
      }
      if (close === -1) throw new RouteTemplateError(`Unclosed constraint arguments in route '${template}'`);
      args = rest.slice(consumed + 1, close);
      consumed = close + 1;
    }
    if (constraintName === '') throw new RouteTemplateError(`An empty constraint in route '${template}'`);
    const constraintText = rest.slice(1, consumed);
    constraints.push({ text: constraintText, test: createConstraint(constraintName, args) });
    rest = rest.slice(consumed);
  }

  let optional = false;
  let defaultValue: string | undefined;
  if (rest.startsWith('=')) {
    defaultValue = rest.slice(1);
  } else if (rest === '?') {
    optional = true;
  } else if (rest !== '') {
    throw new RouteTemplateError(`Unexpected '${rest}' in parameter '${name}' of route '${template}'`);
  }
  if (catchAll && optional) {
    throw new RouteTemplateError(`A catch-all parameter cannot be marked optional in route '${template}'`);
  }
  return { kind: 'parameter', name, optional, catchAll, defaultValue, constraints };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits a template into segments of literal and parameter parts, honouring `{{`/`}}` escapes. */
function parseSegments(template: string): RoutePart[][] {
  const segments: RoutePart[][] = [[]];
  let literal = '';
  const flushLiteral = (): void => {
    if (literal !== '') segments[segments.length - 1]!.push({ kind: 'literal', text: literal });
    literal = '';
  };
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    if (char === '{' && template[i + 1] === '{') {
      literal += '{';
      i++;
    } else if (char === '}' && template[i + 1] === '}') {
      literal += '}';
      i++;
    } else if (char === '{') {
      flushLiteral();
      let text = '';
      let j = i + 1;
      for (; j < template.length; j++) {
        if (template[j] === '}' && template[j + 1] === '}') {
          text += '}';
          j++;
        } else if (template[j] === '{' && template[j + 1] === '{') {
          text += '{';
          j++;
        } else if (template[j] === '}') {
          break;
        } else {
          text += template[j];
        }
      }
      if (j >= template.length) throw new RouteTemplateError(`Unclosed '{' in route '${template}'`);
      segments[segments.length - 1]!.push(parseParameter(text, template));
      i = j;
    } else if (char === '}') {
      throw new RouteTemplateError(`Unmatched '}' in route '${template}'`);
    } else if (char === '/') {
      flushLiteral();
      segments.push([]);
    } else {
      literal += char;
    }
  }
  flushLiteral();
  return segments;
}

export function parseRouteTemplate(text: string): RouteTemplate {
  const template = text.replace(/^~?\/+/, '').replace(/\/+$/, '');
  const partLists = template === '' ? [] : parseSegments(template);
  const names = new Set<string>();
  const segments: RouteSegment[] = partLists.map((parts, index) => {
    if (parts.length === 0) throw new RouteTemplateError(`Route '${text}' has an empty segment`);
    for (const part of parts) {
      if (part.kind !== 'parameter') continue;
      const key = part.name.toLowerCase();
      if (names.has(key))
        throw new RouteTemplateError(`Parameter '${part.name}' appears twice in route '${text}'`);
      names.add(key);
      if (part.catchAll && index !== partLists.length - 1) {
        throw new RouteTemplateError(`A catch-all parameter must be the last segment of route '${text}'`);
      }
    }
    if (parts.length === 1) return { parts };
    if (parts.some((part) => part.kind === 'parameter' && (part.catchAll || part.optional))) {
      throw new RouteTemplateError(
        `A segment of route '${text}' mixes text with an optional or catch-all parameter`,
      );
    }
    for (let i = 1; i < parts.length; i++) {
      if (parts[i]!.kind === 'parameter' && parts[i - 1]!.kind === 'parameter') {
        throw new RouteTemplateError(
          `Route '${text}' has two adjacent parameters without a literal between them`,
        );
      }
    }
    // ASP.NET matches complex segments from the right, which greedy groups reproduce.
    const source = parts.map((part) => (part.kind === 'literal' ? escapeRegExp(part.text) : '(.+)')).join('');
    return { parts, pattern: new RegExp(`^${source}$`, 'i') };
  });
  // Optional (or defaulted) parameters may only be followed by more of their kind.
  let sawOptional = false;
  for (const segment of segments) {
    const [part] = segment.parts;
    const skippable = segment.parts.length === 1 && part?.kind === 'parameter' && isSkippable(part);
    if (sawOptional && !skippable) {
      throw new RouteTemplateError(`An optional parameter must be at the end of route '${text}'`);
    }
    sawOptional ||= skippable;
  }
  return { text: template, segments, precedence: segments.map(precedenceDigit) };
}

function isSkippable(part: RouteParameter): boolean {
  return part.optional || part.catchAll || part.defaultValue !== undefined;
}

function precedenceDigit(segment: RouteSegment): number {
  if (segment.parts.length > 1) return 2;
  const part = segment.parts[0]!;
  if (part.kind === 'literal') return 1;
  const digit = part.catchAll ? 5 : 3;
  return part.constraints.length > 0 ? digit - 1 : digit;
}

export function comparePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const difference = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function satisfies(parameter: RouteParameter, value: string): boolean {
  return parameter.constraints.every((constraint) => constraint.test(value));
}

/**
 * Matches decoded path segments (after the route prefix) against a template; returns the route parameters
 * or undefined. Optional parameters that are absent are left out; defaulted ones take their default.
 */
export function matchRoute(
  template: RouteTemplate,
  segments: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.segments.length; i++) {
    const segment = template.segments[i]!;
    const value = segments[i];
    const [first] = segment.parts;
    if (segment.pattern !== undefined) {
      const match = value === undefined ? null : segment.pattern.exec(value);
      if (match === null) return undefined;
      const parameters = segment.parts.filter((part): part is RouteParameter => part.kind === 'parameter');
      for (const [index, parameter] of parameters.entries()) {
        const captured = match[index + 1]!;
        if (!satisfies(parameter, captured)) return undefined;
        params[parameter.name] = captured;
      }
    } else if (first!.kind === 'literal') {
      if (value === undefined || value.toLowerCase() !== first!.text.toLowerCase()) return undefined;
    } else if (first!.catchAll) {
      const rest = segments.slice(i).join('/');
      if (rest === '' && first!.defaultValue !== undefined) {
        params[first!.name] = first!.defaultValue;
      } else {
        if (rest !== '' && !satisfies(first!, rest)) return undefined;
        // An empty catch-all is left out, like an absent optional parameter.
        if (rest !== '') params[first!.name] = rest;
      }
      return params;
    } else if (value === undefined || value === '') {
      if (first!.defaultValue !== undefined) params[first!.name] = first!.defaultValue;
      else if (!first!.optional) return undefined;
    } else {
      if (!satisfies(first!, value)) return undefined;
      params[first!.name] = value;
    }
  }
  return segments.length <= template.segments.length ? params : undefined;
}
