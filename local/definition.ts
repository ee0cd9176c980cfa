/**
 * The one CloudFormation resolver of the repository: reads a synthesized cloud assembly the way
 * CloudFormation would deploy it, so the local runtime and the tests execute exactly what `cdk deploy`
 * would, not a hand-written copy. Pure: no I/O, no AWS calls.
 *
 * `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::Sub`, `Fn::ImportValue` (through the
 * Outputs of any stack of the assembly), `Fn::Base64` and the pseudo parameters resolve to, in order: a
 * value the caller gives (`values`, keyed by logical id for `Ref` or `LogicalId.Attribute` for
 * `Fn::GetAtt`), else a name from the naming scheme:
 * - `local` (the local runtime): a resource's explicit name, else `<stack>-<logical id without its
 *   hash>`, lower-cased for buckets (`aqidatalake-lakebucket`, what `.local/s3/` shows); account
 *   000000000000. One assembly serves the definitions, the Lambdas' environments, the EventBridge rules
 *   and the BucketDeployments, so all agree on every bucket and table name.
 * - `logical-id` (tests, and `aqi-pipeline` comparing a deployment): the logical id itself, lower-cased
 *   for buckets, and `LogicalId.Attribute` for attributes other than an ARN; account 123456789012.
 */

export type CfnValue = unknown;

export interface CfnResource {
  Type: string;
  Properties?: Record<string, CfnValue>;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: CfnValue; Export?: { Name: CfnValue } }>;
}

/** The Amazon States Language document: the fields this repository reads typed, the rest as they come. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  [key: string]: unknown;
}

export interface AslState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  Branches?: AslDefinition[];
  [key: string]: unknown;
}

/** Thrown for a template the resolver cannot read as deployed; the message names the value and stack. */
export class DefinitionError extends Error {
  override readonly name = 'DefinitionError';
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

type PseudoParameter = 'AWS::Partition' | 'AWS::Region' | 'AWS::AccountId' | 'AWS::URLSuffix' | 'AWS::StackName';

export type NamingScheme = 'local' | 'logical-id';

export interface ResolveOptions {
  /** How a resource without a value in `values` is named. @default 'local' */
  readonly naming?: NamingScheme;
  /** Real values by logical id (`Ref`) or `LogicalId.Attribute` (`Fn::GetAtt`), in any stack. */
  readonly values?: Readonly<Record<string, string>>;
  /**
   * @default partition aws, region us-east-1, account 000000000000 (`local`) or 123456789012
   * (`logical-id`), the stack's own name (`local`) or `stack` (`logical-id`)
   */
  readonly pseudo?: Partial<Readonly<Record<PseudoParameter, string>>>;
}

const DEFAULT_ACCOUNT: Readonly<Record<NamingScheme, string>> = { local: LOCAL_ACCOUNT, 'logical-id': '123456789012' };

/** The property holding a resource's explicit physical name, where CloudFormation has one. */
const EXPLICIT_NAME: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::IAM::Role': 'RoleName',
};

/** An `Fn::ImportValue` no stack of the assembly exports. */
class MissingExport extends DefinitionError {
  constructor(readonly exportName: string) {
    super(`no stack exports '${exportName}'; stacks of the assembly are resolved together, so synthesize the exporting stack with it`);
  }
}

/** The stacks of one synthesized app, resolved together. */
export class CloudAssembly {
  private readonly naming: NamingScheme;

  constructor(
    private readonly stacks: Readonly<Record<string, CfnTemplate>>,
    private readonly options: ResolveOptions = {},
  ) {
    this.naming = options.naming ?? 'local';
  }

  stackNames(): string[] {
    return Object.keys(this.stacks);
  }

  template(stack: string): CfnTemplate {
    const template = this.stacks[stack];
    if (!template) throw new DefinitionError(`no stack '${stack}' in the assembly; stacks: ${this.stackNames().join(', ')}`);
    return template;
  }

  /** Logical ids of the stack's resources of this type. */
  resourcesOfType(stack: string, type: string): string[] {
    return Object.entries(this.template(stack).Resources ?? {})
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  }

  resource(stack: string, logicalId: string): CfnResource {
    const resource = this.template(stack).Resources?.[logicalId];
    if (!resource) throw new DefinitionError(`stack ${stack} has no resource '${logicalId}'`);
    return resource;
  }

  /** Every `AWS::StepFunctions::StateMachine` of the stack, by logical id, resolved. */
  stateMachineDefinitions(stack: string): Record<string, AslDefinition> {
    const ids = this.resourcesOfType(stack, 'AWS::StepFunctions::StateMachine');
    return Object.fromEntries(ids.map((logicalId) => [logicalId, this.stateMachineDefinition(stack, logicalId)]));
  }

  /** The state machine's definition as deployed: the ASL document with every intrinsic resolved. */
  stateMachineDefinition(stack: string, logicalId: string): AslDefinition {
    const props = this.resource(stack, logicalId).Properties ?? {};
    if (props.DefinitionSubstitutions !== undefined) {
      throw new DefinitionError(`state machine ${stack}/${logicalId} uses DefinitionSubstitutions, which this resolver does not apply`);
    }
    const resolved = this.resolveIn(stack, props.DefinitionString ?? props.Definition, `a state machine definition (${stack}/${logicalId})`);
    return (typeof resolved === 'string' ? JSON.parse(resolved) : resolved) as AslDefinition;
  }

  /** The name `Ref` gives for most types: the caller's value, else the scheme's name. */
  physicalName(stack: string, logicalId: string): string {
    return this.options.values?.[logicalId] ?? this.schemeName(stack, logicalId);
  }

  /** The naming scheme's name of the resource (what an ARN or attribute without a given value is built from). */
  private schemeName(stack: string, logicalId: string): string {
    const resource = this.resource(stack, logicalId);
    if (this.naming === 'logical-id') return resource.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase() : logicalId;
    const explicitKey = EXPLICIT_NAME[resource.Type];
    const explicit = explicitKey ? resource.Properties?.[explicitKey] : undefined;
    if (explicit !== undefined) return String(this.resolve(stack, explicit));
    const name = `${stack}-${logicalId.replace(/[0-9A-F]{8}$/, '')}`;
    return resource.Type === 'AWS::S3::Bucket' ? name.toLowerCase().slice(0, 63) : name;
  }

  ref(stack: string, logicalId: string): string {
    if (isPseudoParameter(logicalId)) return this.pseudo(stack, logicalId);
    const given = this.options.values?.[logicalId];
    if (given !== undefined) return given;
    const { Type } = this.resource(stack, logicalId);
    const name = this.physicalName(stack, logicalId);
    switch (Type) {
      case 'AWS::StepFunctions::StateMachine':
        return this.arn(stack, 'states', `stateMachine:${name}`);
      case 'AWS::SNS::Topic':
        return this.arn(stack, 'sns', name);
      default:
        return name;
    }
  }

  getAtt(stack: string, logicalId: string, attribute: string): CfnValue {
    const given = this.options.values?.[`${logicalId}.${attribute}`];
    if (given !== undefined) return given;
    const resource = this.resource(stack, logicalId);
    if (attribute === 'Arn') return this.arnOf(stack, logicalId, resource.Type);
    // A CDK BucketDeployment with OutputObjectKeys answers with the keys it copied: a list, which no
    // placeholder string could stand for under Fn::Select.
    if (resource.Type === 'Custom::CDKBucketDeployment' && attribute === 'SourceObjectKeys') {
      return this.resolve(stack, resource.Properties?.SourceObjectKeys);
    }
    if (this.naming === 'logical-id') return `${logicalId}.${attribute}`;
    const name = this.schemeName(stack, logicalId);
    if (resource.Type === 'AWS::S3::Bucket' && attribute === 'DomainName') return `${name}.s3.amazonaws.com`;
    // The EMR cluster's own security groups (createCluster's Instances); no network exists locally.
    if (resource.Type === 'AWS::EC2::SecurityGroup' && attribute === 'GroupId') return `sg-${name}`;
    if (attribute === 'Name') return name;
    throw new DefinitionError(`${stack}/${logicalId} (${resource.Type}): attribute '${attribute}' has no local value`);
  }

  importValue(exportName: string): CfnValue {
    for (const stack of this.stackNames()) {
      for (const output of Object.values(this.template(stack).Outputs ?? {})) {
        if (output.Export && this.resolve(stack, output.Export.Name) === exportName) return this.resolve(stack, output.Value);
      }
    }
    throw new MissingExport(exportName);
  }

  /** The value with every intrinsic function resolved, in the context of `stack`. */
  resolve(stack: string, value: CfnValue): CfnValue {
    return this.resolveIn(stack, value, `stack ${stack}`);
  }

  private resolveIn(stack: string, value: CfnValue, where: string): CfnValue {
    if (Array.isArray(value)) return value.map((v) => this.resolveIn(stack, v, where));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, CfnValue>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0] as [string, CfnValue];
      switch (fn) {
        case 'Ref':
          return this.ref(stack, String(arg));
        case 'Fn::GetAtt': {
          const [id, attribute] = (Array.isArray(arg) ? arg : String(arg).split('.')) as [string, string];
          return this.getAtt(stack, String(id), String(attribute));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, CfnValue[]];
          return (this.resolveIn(stack, parts, where) as CfnValue[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [CfnValue, CfnValue];
          return (this.resolveIn(stack, list, where) as CfnValue[])[Number(this.resolveIn(stack, index, where))];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, CfnValue];
          return String(this.resolveIn(stack, text, where)).split(sep);
        }
        case 'Fn::ImportValue':
          return this.importValue(String(this.resolveIn(stack, arg, where)));
        case 'Fn::Sub':
          return this.sub(stack, arg, where);
        case 'Fn::Base64':
          return Buffer.from(String(this.resolveIn(stack, arg, where))).toString('base64');
        default:
          if (fn.startsWith('Fn::')) {
            throw new DefinitionError(
              `unsupported intrinsic ${fn} in ${where}; only Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub, Fn::ImportValue and Fn::Base64 resolve here`,
            );
          }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolveIn(stack, v, where)]));
  }

  private sub(stack: string, arg: CfnValue, where: string): string {
    const [text, vars] = (Array.isArray(arg) ? arg : [String(arg), {}]) as [string, Record<string, CfnValue>];
    return text.replace(/\$\{(!?)([^}]*)\}/g, (_, escaped: string, name: string) => {
      // `${!Literal}` is CloudFormation's escape for a literal `${Literal}`.
      if (escaped) return `\${${name}}`;
      if (name in vars) return String(this.resolveIn(stack, vars[name], where));
      if (isPseudoParameter(name)) return this.pseudo(stack, name);
      const [id, attribute] = name.split('.') as [string, string | undefined];
      return String(attribute === undefined ? this.ref(stack, id) : this.getAtt(stack, id, attribute));
    });
  }

  private pseudo(stack: string, name: PseudoParameter): string {
    const given = this.options.pseudo?.[name];
    if (given !== undefined) return given;
    switch (name) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::AccountId':
        return DEFAULT_ACCOUNT[this.naming];
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.naming === 'local' ? stack : 'stack';
    }
  }

  private arnOf(stack: string, logicalId: string, type: string): string {
    const name = this.schemeName(stack, logicalId);
    switch (type) {
      case 'AWS::Lambda::Function':
        return this.arn(stack, 'lambda', `function:${name}`);
      case 'AWS::DynamoDB::Table':
        return this.arn(stack, 'dynamodb', `table/${name}`);
      case 'AWS::S3::Bucket':
        return `arn:${this.pseudo(stack, 'AWS::Partition')}:s3:::${name}`;
      case 'AWS::IAM::Role':
        return `arn:${this.pseudo(stack, 'AWS::Partition')}:iam::${this.pseudo(stack, 'AWS::AccountId')}:role/${name}`;
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SNS::Topic':
        return this.ref(stack, logicalId);
      default:
        return this.arn(stack, type.split('::')[1]?.toLowerCase() ?? 'unknown', name);
    }
  }

  private arn(stack: string, service: string, resource: string): string {
    const p = (name: PseudoParameter) => this.pseudo(stack, name);
    return `arn:${p('AWS::Partition')}:${service}:${p('AWS::Region')}:${p('AWS::AccountId')}:${resource}`;
  }
}

const PSEUDO_PARAMETERS: readonly string[] = ['AWS::Partition', 'AWS::Region', 'AWS::AccountId', 'AWS::URLSuffix', 'AWS::StackName'];

function isPseudoParameter(name: string): name is PseudoParameter {
  return PSEUDO_PARAMETERS.includes(name);
}

export interface DefinitionOptions extends Omit<ResolveOptions, 'naming'> {
  /** Templates whose exports `Fn::ImportValue` refers to (the data-lake stack's). */
  readonly exportingTemplates?: readonly CfnTemplate[];
  /** @default 'logical-id' */
  readonly naming?: NamingScheme;
}

/** Every `AWS::StepFunctions::StateMachine` of the template, by logical id, resolved. */
export function stateMachineDefinitions(template: CfnTemplate, options: DefinitionOptions = {}): Record<string, AslDefinition> {
  const stacks: Record<string, CfnTemplate> = { template };
  (options.exportingTemplates ?? []).forEach((exporting, i) => (stacks[`exporting-${i}`] = exporting));
  const assembly = new CloudAssembly(stacks, { ...options, naming: options.naming ?? 'logical-id' });
  try {
    return assembly.stateMachineDefinitions('template');
  } catch (error) {
    if (error instanceof MissingExport) {
      throw new DefinitionError(`Fn::ImportValue ${error.exportName}: pass the exporting stack's template in exportingTemplates`);
    }
    throw error;
  }
}

/** The one state machine whose logical id starts with `logicalIdPrefix` (CDK appends a hash). */
export function stateMachineDefinition(template: CfnTemplate, logicalIdPrefix: string, options: DefinitionOptions = {}): AslDefinition {
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
