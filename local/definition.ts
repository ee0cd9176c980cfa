/**
 * Turns a synthesized CloudFormation template into the state machine definitions it deploys, with the
 * intrinsic functions resolved — so the local runtime and the tests execute exactly what `cdk deploy`
 * would, not a hand-written copy. Pure: no I/O, no AWS calls.
 *
 * Resolution order for `Ref` / `Fn::GetAtt`: a value the caller provides (`values`, keyed by logical id,
 * or `LogicalId.Attribute`), else a deterministic placeholder derived from the logical id and resource
 * type (bucket and table names, Lambda ARNs, ...). `Fn::ImportValue` is resolved through the Outputs of
 * `exportingTemplates` (the data-lake stack), then the same way.
 */

export type CfnValue = unknown;

export interface CfnTemplate {
  Resources?: Record<string, { Type: string; Properties?: Record<string, CfnValue> }>;
  Outputs?: Record<string, { Value: CfnValue; Export?: { Name: CfnValue } }>;
}

export interface DefinitionOptions {
  /** Real values by logical id (`Ref`) or `LogicalId.Attribute` (`Fn::GetAtt`). */
  readonly values?: Readonly<Record<string, string>>;
  /** Templates whose exports `Fn::ImportValue` refers to. */
  readonly exportingTemplates?: readonly CfnTemplate[];
  /** @default partition aws, region us-east-1, account 123456789012 */
  readonly pseudo?: Partial<Readonly<Record<PseudoParameter, string>>>;
}

type PseudoParameter = 'AWS::Partition' | 'AWS::Region' | 'AWS::AccountId' | 'AWS::URLSuffix' | 'AWS::StackName';

const DEFAULT_PSEUDO: Record<PseudoParameter, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'stack',
};

/** The Amazon States Language document (only what callers need to type here). */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  [key: string]: unknown;
}

export interface AslState {
  Type: string;
  [key: string]: unknown;
}

export class DefinitionError extends Error {
  override readonly name = 'DefinitionError';
}

/** Every `AWS::StepFunctions::StateMachine` of the template, by logical id, resolved. */
export function stateMachineDefinitions(template: CfnTemplate, options: DefinitionOptions = {}): Record<string, AslDefinition> {
  const resolver = new Resolver(template, options);
  const out: Record<string, AslDefinition> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const props = resource.Properties ?? {};
    const raw = props.DefinitionString ?? props.Definition;
    const resolved = resolver.resolve(raw);
    out[logicalId] = (typeof resolved === 'string' ? JSON.parse(resolved) : resolved) as AslDefinition;
  }
  return out;
}

/** The one state machine whose logical id starts with `logicalIdPrefix` (CDK appends a hash). */
export function stateMachineDefinition(
  template: CfnTemplate,
  logicalIdPrefix: string,
  options: DefinitionOptions = {},
): AslDefinition {
  const all = stateMachineDefinitions(template, options);
  const matches = Object.keys(all).filter((id) => id.startsWith(logicalIdPrefix));
  if (matches.length !== 1) {
    throw new DefinitionError(
      `expected exactly one state machine whose logical id starts with "${logicalIdPrefix}", found ` +
        `${matches.length === 0 ? 'none' : matches.join(', ')} (state machines: ${Object.keys(all).join(', ') || 'none'})`,
    );
  }
  return all[matches[0] as string] as AslDefinition;
}

class Resolver {
  private readonly pseudo: Record<PseudoParameter, string>;
  private readonly exports = new Map<string, { value: CfnValue; resolver: Resolver }>();

  constructor(
    private readonly template: CfnTemplate,
    private readonly options: DefinitionOptions,
  ) {
    this.pseudo = { ...DEFAULT_PSEUDO, ...options.pseudo };
    for (const exporting of options.exportingTemplates ?? []) {
      const resolver = new Resolver(exporting, { ...options, exportingTemplates: [] });
      for (const output of Object.values(exporting.Outputs ?? {})) {
        if (output.Export === undefined) continue;
        this.exports.set(String(resolver.resolve(output.Export.Name)), { value: output.Value, resolver });
      }
    }
  }

  resolve(value: CfnValue): CfnValue {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, CfnValue>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0] as [string, CfnValue];
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt':
          return this.getAtt(arg);
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, CfnValue[]];
          return (this.resolve(parts) as CfnValue[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [CfnValue, CfnValue];
          return (this.resolve(list) as CfnValue[])[Number(this.resolve(index))];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, CfnValue];
          return String(this.resolve(text)).split(sep);
        }
        case 'Fn::ImportValue':
          return this.importValue(String(this.resolve(arg)));
        case 'Fn::Sub':
          return this.sub(arg);
        default:
          if (fn.startsWith('Fn::')) throw new DefinitionError(`unsupported intrinsic ${fn} in a state machine definition`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(name: string): string {
    if (name in this.pseudo) return this.pseudo[name as PseudoParameter];
    const given = this.options.values?.[name];
    if (given !== undefined) return given;
    const resource = this.template.Resources?.[name];
    if (resource === undefined) throw new DefinitionError(`Ref to ${name}, which is not a resource of the template`);
    return placeholderRef(name, resource.Type, this.pseudo);
  }

  private getAtt(arg: CfnValue): string {
    const [logicalId, attribute] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
    const given = this.options.values?.[`${logicalId}.${attribute}`];
    if (given !== undefined) return given;
    const resource = this.template.Resources?.[logicalId];
    if (resource === undefined) throw new DefinitionError(`Fn::GetAtt of ${logicalId}, which is not a resource of the template`);
    return placeholderAttribute(logicalId, resource.Type, attribute, this.pseudo);
  }

  private importValue(name: string): CfnValue {
    const exported = this.exports.get(name);
    if (exported === undefined) {
      throw new DefinitionError(`Fn::ImportValue ${name}: pass the exporting stack's template in exportingTemplates`);
    }
    return exported.resolver.resolve(exported.value);
  }

  private sub(arg: CfnValue): string {
    const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, CfnValue>];
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name in vars) return String(this.resolve(vars[name]));
      if (name.includes('.')) return this.getAtt(name);
      return this.ref(name);
    });
  }
}

function placeholderRef(logicalId: string, type: string, pseudo: Record<PseudoParameter, string>): string {
  switch (type) {
    case 'AWS::S3::Bucket':
      return logicalId.toLowerCase();
    case 'AWS::SNS::Topic':
      return arn(pseudo, 'sns', logicalId);
    case 'AWS::StepFunctions::StateMachine':
      return arn(pseudo, 'states', `stateMachine:${logicalId}`);
    default:
      return logicalId;
  }
}

function placeholderAttribute(logicalId: string, type: string, attribute: string, pseudo: Record<PseudoParameter, string>): string {
  if (attribute !== 'Arn') return `${logicalId}.${attribute}`;
  switch (type) {
    case 'AWS::Lambda::Function':
      return arn(pseudo, 'lambda', `function:${logicalId}`);
    case 'AWS::DynamoDB::Table':
      return arn(pseudo, 'dynamodb', `table/${logicalId}`);
    case 'AWS::S3::Bucket':
      return `arn:${pseudo['AWS::Partition']}:s3:::${logicalId.toLowerCase()}`;
    case 'AWS::IAM::Role':
      return `arn:${pseudo['AWS::Partition']}:iam::${pseudo['AWS::AccountId']}:role/${logicalId}`;
    default: {
      const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
      return arn(pseudo, service, logicalId);
    }
  }
}

function arn(pseudo: Record<PseudoParameter, string>, service: string, resource: string): string {
  return `arn:${pseudo['AWS::Partition']}:${service}:${pseudo['AWS::Region']}:${pseudo['AWS::AccountId']}:${resource}`;
}

/** The longest delay a Node timer can wait: 2^31 − 1 ms, about 24.8 days. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * The definition as the local interpreter should run it. aws-local-stepfunctions arms the execution's
 * `TimeoutSeconds` with a Node timer, which fires at once when asked to wait longer than about 24.8 days
 * (the backfill's timeout is months); no local run lasts that long, so such a timeout is left out.
 */
export function forLocalInterpreter<T extends { TimeoutSeconds?: number }>(definition: T): T {
  if (definition.TimeoutSeconds === undefined || definition.TimeoutSeconds <= MAX_TIMER_SECONDS) return definition;
  const copy = { ...definition };
  delete copy.TimeoutSeconds;
  return copy;
}
