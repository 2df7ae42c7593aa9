/**
 * Just enough of Bicep to check infra/ against the code without the Bicep CLI: tree-sitter-bicep (WASM, through
 * web-tree-sitter) parses a file, and a small evaluator turns its declarations into values.
 *
 * Literals, objects, arrays, variables, loops (`[for x in list: ...]`) and member/index access on known values
 * evaluate to plain JavaScript values. Anything only Azure knows (module outputs, parameters without a binding,
 * function calls, conditions) becomes an `Expr`: its rendered text (variables inlined, so that
 * `'${dataEndpoints.blob}'` reads `${dataStorage.outputs.serviceEndpoints.blob}`) and the declared symbols it
 * depends on, which is how a setting is traced to the resource it points at.
 */
import path from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';

export class Expr {
  constructor(
    readonly text: string,
    readonly symbols: ReadonlySet<string>,
    /** An interpolated string: `text` is its content, spliced as is into an enclosing string. */
    readonly template = false,
  ) {}
}

export type Value =
  string | number | boolean | null | Expr | readonly Value[] | { readonly [key: string]: Value };

export interface Declaration {
  readonly name: string;
  readonly line: number;
}
export interface ParamDeclaration extends Declaration {
  readonly hasDefault: boolean;
}
export interface ModuleDeclaration extends Declaration {
  readonly source: string;
  /** The body object, or one object per loop element. */
  readonly body: Value;
  readonly condition: string | undefined;
}
export interface ResourceDeclaration extends Declaration {
  readonly type: string;
  readonly existing: boolean;
  readonly body: Value;
  readonly condition: string | undefined;
}

export interface BicepFile {
  readonly params: ReadonlyMap<string, ParamDeclaration>;
  readonly variables: ReadonlyMap<string, Value>;
  readonly modules: ReadonlyMap<string, ModuleDeclaration>;
  readonly resources: ReadonlyMap<string, ResourceDeclaration>;
  readonly outputs: ReadonlyMap<string, Value>;
}

export class BicepSyntaxError extends Error {
  override readonly name = 'BicepSyntaxError';
}

let parser: Promise<Parser> | undefined;

async function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const wasm = path.resolve(__dirname, '../../node_modules/tree-sitter-bicep/tree-sitter-bicep.wasm');
    const created = new Parser();
    created.setLanguage(await Language.load(wasm));
    return created;
  })();
  return parser;
}

const isComment = (node: Node): boolean => node.type === 'comment' || node.type === 'diagnostic_comment';
const named = (node: Node): Node[] => node.namedChildren.filter((child) => !isComment(child));

export function isObject(value: Value | undefined): value is { readonly [key: string]: Value } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Expr);
}

/** Bicep source text of a value (strings quoted), for rendering expressions. */
export function render(value: Value | undefined): string {
  if (value === undefined) return '<undefined>';
  if (value instanceof Expr) return value.text;
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  if (isObject(value)) {
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${render(item)}`)
      .join(', ')} }`;
  }
  return String(value);
}

function symbolsOf(values: readonly (Value | undefined)[]): Set<string> {
  const symbols = new Set<string>();
  const visit = (value: Value | undefined): void => {
    if (value instanceof Expr) for (const symbol of value.symbols) symbols.add(symbol);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (isObject(value)) Object.values(value).forEach(visit);
  };
  values.forEach(visit);
  return symbols;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_match, char: string) =>
    char === 'n' ? '\n' : char === 'r' ? '\r' : char === 't' ? '\t' : char,
  );
}

/**
 * Parses and evaluates a Bicep file. `bindings` give parameters values (a module's parameters as its caller
 * passes them); unbound parameters stay symbolic.
 */
export async function parseBicep(
  text: string,
  bindings: Readonly<Record<string, Value>> = {},
): Promise<BicepFile> {
  const tree = (await bicepParser()).parse(text);
  if (tree === null) throw new BicepSyntaxError('tree-sitter returned no tree');
  const root = tree.rootNode;
  if (root.hasError) {
    const bad = root.descendantsOfType('ERROR')[0] ?? findMissing(root);
    const at =
      bad === undefined
        ? ''
        : ` at line ${bad.startPosition.row + 1}, column ${bad.startPosition.column + 1}`;
    throw new BicepSyntaxError(`Bicep syntax error${at}: ${bad?.text.slice(0, 80) ?? ''}`);
  }

  const params = new Map<string, ParamDeclaration>();
  const variableNodes = new Map<string, Node>();
  const moduleNodes: Node[] = [];
  const resourceNodes: Node[] = [];
  const outputNodes: Node[] = [];
  for (const node of named(root)) {
    const name = named(node)[0]?.text ?? '';
    const line = node.startPosition.row + 1;
    if (node.type === 'parameter_declaration') {
      params.set(name, { name, line, hasDefault: node.children.some((child) => child.type === '=') });
    } else if (node.type === 'variable_declaration') variableNodes.set(name, node);
    else if (node.type === 'module_declaration') moduleNodes.push(node);
    else if (node.type === 'resource_declaration') resourceNodes.push(node);
    else if (node.type === 'output_declaration') outputNodes.push(node);
  }
  const declared = new Set([
    ...params.keys(),
    ...[...moduleNodes, ...resourceNodes].map((node) => named(node)[0]!.text),
  ]);

  const variables = new Map<string, Value>();
  const evaluating = new Set<string>();
  const variable = (name: string): Value => {
    const known = variables.get(name);
    if (known !== undefined) return known;
    if (evaluating.has(name)) throw new BicepSyntaxError(`variable ${name} refers to itself`);
    evaluating.add(name);
    const node = variableNodes.get(name)!;
    const value = evaluate(named(node).at(-1)!, new Map());
    evaluating.delete(name);
    variables.set(name, value);
    return value;
  };

  type Scope = ReadonlyMap<string, Value>;

  function evaluate(node: Node, scope: Scope): Value {
    switch (node.type) {
      case 'string':
        return evaluateString(node, scope);
      case 'number':
        return Number(node.text);
      case 'boolean':
        return node.text === 'true';
      case 'null':
        return null;
      case 'array':
        return named(node).map((item) => evaluate(item, scope));
      case 'object': {
        const entries: [string, Value][] = [];
        for (const property of named(node)) {
          if (property.type !== 'object_property') continue;
          const [key, value] = named(property);
          const keyValue = key!.type === 'string' ? evaluateString(key!, scope) : key!.text;
          entries.push([typeof keyValue === 'string' ? keyValue : render(keyValue), evaluate(value!, scope)]);
        }
        return Object.fromEntries(entries);
      }
      case 'identifier': {
        const name = node.text;
        if (scope.has(name)) return scope.get(name)!;
        if (variableNodes.has(name)) return variable(name);
        if (name in bindings) return bindings[name]!;
        return new Expr(name, declared.has(name) ? new Set([name]) : new Set());
      }
      case 'parenthesized_expression':
        return evaluate(named(node)[0]!, scope);
      case 'member_expression': {
        const object = evaluate(node.childForFieldName('object')!, scope);
        const property = node.childForFieldName('property')!.text;
        if (isObject(object) && property in object) return object[property]!;
        return new Expr(`${render(object)}.${property}`, symbolsOf([object]));
      }
      case 'subscript_expression': {
        const object = evaluate(node.childForFieldName('object')!, scope);
        const index = evaluate(node.childForFieldName('index')!, scope);
        if (Array.isArray(object) && typeof index === 'number' && index < object.length)
          return object[index]!;
        if (isObject(object) && typeof index === 'string' && index in object) return object[index]!;
        return new Expr(`${render(object)}[${render(index)}]`, symbolsOf([object, index]));
      }
      case 'call_expression': {
        const callee = node.childForFieldName('function')!.text;
        const argumentsNode = node.childForFieldName('arguments');
        const values = argumentsNode === null ? [] : named(argumentsNode).map((arg) => evaluate(arg, scope));
        return new Expr(`${callee}(${values.map(render).join(', ')})`, symbolsOf(values));
      }
      default: {
        // Operators, ternaries, lambdas: rendered from their parts.
        const parts = node.children.filter((child) => !isComment(child));
        const values = parts.map((child) => (child.isNamed ? evaluate(child, scope) : undefined));
        const text = parts
          .map((child, index) => (child.isNamed ? render(values[index]) : child.text))
          .join(' ');
        return new Expr(text, symbolsOf(values));
      }
    }
  }

  function evaluateString(node: Node, scope: Scope): Value {
    const parts: Value[] = [];
    for (const child of named(node)) {
      if (child.type === 'interpolation') parts.push(evaluate(named(child)[0]!, scope));
      else parts.push(unescape(child.text));
    }
    if (parts.every((part) => typeof part !== 'object' || part === null)) return parts.map(String).join('');
    const text = parts
      .map((part) =>
        typeof part === 'string'
          ? part
          : part instanceof Expr && part.template
            ? part.text
            : `\${${render(part)}}`,
      )
      .join('');
    return new Expr(text, symbolsOf(parts), true);
  }

  /** A declaration's body: an object, `if (...) {...}`, or `[for x in list: ...]` (one value per element). */
  function evaluateBody(node: Node): { body: Value; condition: string | undefined } {
    if (node.type === 'if_statement') {
      const [condition, body] = named(node);
      return { body: evaluate(body!, new Map()), condition: render(evaluate(condition!, new Map())) };
    }
    if (node.type === 'for_statement') {
      // `for <variable> in <iterable>: <body>`; the variable may be `(item, index)`.
      const parts = named(node);
      const [variableNode, iterable] = [parts[0]!, parts[1]!];
      const body = parts.at(-1)!;
      const names = variableNode.descendantsOfType('identifier').map((identifier) => identifier.text);
      const loopNames = names.length === 0 ? [variableNode.text] : names;
      const items = evaluate(iterable, new Map());
      const list: readonly Value[] = Array.isArray(items)
        ? items
        : [new Expr(loopNames[0]!, symbolsOf([items]))];
      let condition: string | undefined;
      const bodies = list.map((item, index) => {
        const scope = new Map<string, Value>([[loopNames[0]!, item]]);
        if (loopNames[1] !== undefined) scope.set(loopNames[1], index);
        if (body.type === 'if_statement') {
          const [conditionNode, objectNode] = named(body);
          condition = render(evaluate(conditionNode!, scope));
          return evaluate(objectNode!, scope);
        }
        return evaluate(body, scope);
      });
      return { body: bodies, condition };
    }
    return { body: evaluate(node, new Map()), condition: undefined };
  }

  for (const name of variableNodes.keys()) variable(name);

  const modules = new Map<string, ModuleDeclaration>();
  for (const node of moduleNodes) {
    const [identifier, source, bodyNode] = named(node);
    const { body, condition } = evaluateBody(bodyNode!);
    const sourceValue = evaluateString(source!, new Map());
    modules.set(identifier!.text, {
      name: identifier!.text,
      line: node.startPosition.row + 1,
      source: typeof sourceValue === 'string' ? sourceValue : render(sourceValue),
      body,
      condition,
    });
  }
  const resources = new Map<string, ResourceDeclaration>();
  for (const node of resourceNodes) {
    const [identifier, type, bodyNode] = named(node);
    const { body, condition } = evaluateBody(bodyNode!);
    resources.set(identifier!.text, {
      name: identifier!.text,
      line: node.startPosition.row + 1,
      type: type!.text.replace(/^'|'$/g, ''),
      existing: node.children.some((child) => child.type === 'existing'),
      body,
      condition,
    });
  }
  const outputs = new Map<string, Value>();
  for (const node of outputNodes) {
    const parts = named(node);
    outputs.set(parts[0]!.text, evaluate(parts.at(-1)!, new Map()));
  }
  return { params, variables, modules, resources, outputs };
}

function findMissing(node: Node): Node | undefined {
  if (node.isMissing) return node;
  for (const child of node.children) {
    const found = child.hasError ? findMissing(child) : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `value.a.b...` when every step is an object property; undefined otherwise. */
export function at(value: Value | undefined, ...keys: string[]): Value | undefined {
  let current = value;
  for (const key of keys) {
    if (!isObject(current) || !(key in current)) return undefined;
    current = current[key];
  }
  return current;
}
