import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/**
 * serverless.yml as the local deploy reads it. The environment the handlers get is derived from the same
 * file the stack deploys, not listed again by hand: the Serverless Framework variables it uses
 * (`${param:…}`, `${sls:stage}`, `${self:…}`, `${opt:…, default}`, `${file(…):…}`) and the CloudFormation
 * intrinsic functions of its environment and conditions (Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Equals,
 * Fn::And, Fn::Or, Fn::Not, Condition) are resolved with the local deployment's values. Anything else is
 * refused with its path, so a new construct in serverless.yml cannot be silently misread.
 */
export interface LocalStack {
  root: string;
  stage: string;
  region: string;
  account: string;
  /** `--param` values (the rest come from serverless.yml's params.default). */
  params: Record<string, string>;
  /** What Ref and Fn::GetAtt give for the resources the local deploy creates, by logical id. */
  resources: Record<string, { ref: string; arn?: string }>;
}

/** The partition of the local cloud's ARNs, and what AWS::Partition resolves to in its deploy. */
export const LOCAL_PARTITION = 'aws';

type Doc = Record<string, unknown> & {
  service?: string;
  params?: { default?: Record<string, unknown> };
  provider?: { environment?: Record<string, unknown> };
  functions?: Record<string, { environment?: Record<string, unknown> }>;
  resources?: { Parameters?: unknown; Conditions?: unknown };
};

export function readServerless(root: string): Doc {
  return YAML.parse(fs.readFileSync(path.join(root, 'serverless.yml'), 'utf8')) as Doc;
}

/**
 * Every variable the stack sets for its functions (provider.environment, then each function's own), as
 * strings. One process runs every handler here, so a name two functions set differently is refused.
 */
export function stackEnvironment(stack: LocalStack, doc = readServerless(stack.root)): Record<string, string> {
  const resolver = new Resolver(stack, doc);
  const env: Record<string, string> = {};
  const setBy: Record<string, string> = {};
  const add = (owner: string, vars: Record<string, unknown> | undefined, where: string) => {
    for (const [name, raw] of Object.entries(vars ?? {})) {
      const value = resolver.value(raw, `${where}.${name}`);
      if (value === undefined) continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`serverless.yml ${where}.${name}: resolves to ${JSON.stringify(value)}, not a string`);
      if (setBy[name] && env[name] !== String(value)) throw new Error(`serverless.yml: ${name} is ${env[name]} for ${setBy[name]} but ${String(value)} for ${owner}; the local cloud runs every function in one process`);
      env[name] = String(value);
      setBy[name] ??= owner;
    }
  };
  add('every function', doc.provider?.environment, 'provider.environment');
  for (const [name, fn] of Object.entries(doc.functions ?? {})) add(name, fn.environment, `functions.${name}.environment`);
  return env;
}

/** Any part of serverless.yml (an event pattern, say), resolved for the local deployment. */
export function resolveStackValue(stack: LocalStack, node: unknown, where: string, doc = readServerless(stack.root)): unknown {
  return new Resolver(stack, doc).value(node, where);
}

const NO_VALUE = Symbol('AWS::NoValue');

class Resolver {
  private readonly conditions: Record<string, unknown>;
  private readonly parameters: Record<string, { Default?: unknown }>;

  constructor(
    private readonly stack: LocalStack,
    private readonly doc: Doc,
  ) {
    // Evaluated when a Ref or Fn::If needs them, not now (they refer to each other).
    this.conditions = (this.included(doc.resources?.Conditions) as Record<string, unknown> | undefined) ?? {};
    this.parameters = (this.included(doc.resources?.Parameters) as Record<string, { Default?: unknown }> | undefined) ?? {};
  }

  /** A section given as `${file(path):key}`, as written there (nothing in it resolved yet). */
  private included(node: unknown): unknown {
    const file = typeof node === 'string' ? /^\$\{file\((.+)\):(.+)\}$/.exec(node) : null;
    if (!file) return node;
    const loaded = YAML.parse(fs.readFileSync(path.join(this.stack.root, file[1]!), 'utf8')) as unknown;
    return file[2]!.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], loaded);
  }

  /** The value with variables and intrinsic functions resolved; undefined for AWS::NoValue. */
  value(node: unknown, where: string): unknown {
    const out = this.resolve(node, where);
    return out === NO_VALUE ? undefined : out;
  }

  private resolve(node: unknown, where: string): unknown {
    if (typeof node === 'string') return this.variables(node, where);
    if (Array.isArray(node)) return node.map((n, i) => this.resolve(n, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
    if (!node || typeof node !== 'object') return node;
    const entries = Object.entries(node as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0] === 'Condition' || first[0].startsWith('Fn::'))) return this.intrinsic(first[0], first[1], where);
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v, `${where}.${k}`)]).filter(([, v]) => v !== NO_VALUE));
  }

  /** `${…}` variables; a string that is one variable becomes that variable's value (an object for file()). */
  private variables(text: string, where: string): unknown {
    const whole = /^\$\{([^{}]+)\}$/.exec(text);
    if (whole) return this.variable(whole[1]!, where);
    return text.replace(/\$\{([^{}]+)\}/g, (_m, v: string) => String(this.variable(v, where)));
  }

  private variable(spec: string, where: string): unknown {
    const [ref, fallback] = spec.split(/,\s*/, 2);
    const unquote = (s: string | undefined) => s?.replace(/^['"]|['"]$/g, '');
    const [kind, ...rest] = ref!.split(':');
    const name = rest.join(':');
    switch (kind) {
      case 'param': {
        const value = this.stack.params[name] ?? this.doc.params?.default?.[name];
        if (value === undefined) throw new Error(`serverless.yml ${where}: \${param:${name}} has no value (no --param and no params.default)`);
        return this.resolve(value, `params.${name}`);
      }
      case 'sls':
        if (name === 'stage') return this.stack.stage;
        break;
      case 'opt':
        if (name === 'stage') return this.stack.stage;
        if (name === 'region') return this.stack.region;
        return unquote(fallback);
      case 'self':
        return this.resolve(name.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], this.doc), `self:${name}`);
      default:
        if (/^file\(.+\)/.test(ref!)) {
          const picked = this.included(`\${${ref}}`);
          if (picked === undefined) throw new Error(`serverless.yml ${where}: \${${spec}} names nothing in its file`);
          return this.resolve(picked, `\${${ref}}`);
        }
    }
    throw new Error(`serverless.yml ${where}: the local cloud cannot resolve \${${spec}}`);
  }

  private intrinsic(fn: string, arg: unknown, where: string): unknown {
    const at = `${where}.${fn}`;
    switch (fn) {
      case 'Ref':
        return this.ref(String(arg), at);
      case 'Condition':
        return this.condition(String(arg));
      case 'Fn::GetAtt': {
        const [id, attr] = (Array.isArray(arg) ? arg : String(arg).split('.')) as [string, string];
        const arn = attr === 'Arn' ? this.stack.resources[id]?.arn : undefined;
        if (arn === undefined) throw new Error(`serverless.yml ${at}: the local deploy has no ${id}.${attr}`);
        return arn;
      }
      case 'Fn::Sub': {
        const [template, vars = {}] = (Array.isArray(arg) ? arg : [arg]) as [string, Record<string, unknown>];
        return String(template).replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
          if (name in vars) return String(this.value(vars[name], at));
          const [id, attr] = name.split('.');
          return String(attr ? this.intrinsic('Fn::GetAtt', [id, attr], at) : this.ref(id!, at));
        });
      }
      case 'Fn::If': {
        const [cond, yes, no] = arg as [string, unknown, unknown];
        return this.resolve(this.condition(cond) ? yes : no, at);
      }
      case 'Fn::Equals': {
        const [a, b] = (arg as unknown[]).map((x) => this.value(x, at));
        return String(a) === String(b);
      }
      case 'Fn::And':
        return (arg as unknown[]).every((x) => this.value(x, at) === true);
      case 'Fn::Or':
        return (arg as unknown[]).some((x) => this.value(x, at) === true);
      case 'Fn::Not':
        return this.value((arg as unknown[])[0], at) !== true;
      default:
        throw new Error(`serverless.yml ${at}: the local cloud cannot resolve ${fn}`);
    }
  }

  private ref(id: string, where: string): unknown {
    switch (id) {
      case 'AWS::AccountId':
        return this.stack.account;
      case 'AWS::Region':
        return this.stack.region;
      case 'AWS::Partition':
        return LOCAL_PARTITION;
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const resource = this.stack.resources[id];
    if (resource) return resource.ref;
    // A parameter may be written in place or included from a file (`${file(path):Parameters.Name}`).
    const parameter = this.included(this.parameters[id]) as { Default?: unknown } | undefined;
    if (parameter) return this.value(parameter.Default, `resources.Parameters.${id}.Default`);
    throw new Error(`serverless.yml ${where}: Ref ${id} names nothing the local deploy creates`);
  }

  private condition(name: string): boolean {
    if (!(name in this.conditions)) throw new Error(`serverless.yml: no condition ${name}`);
    return this.value(this.conditions[name], `resources.Conditions.${name}`) === true;
  }
}
