/**
 * Reads a synthesized cloud assembly the way CloudFormation would deploy it, with local physical names:
 * resolves intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub, Fn::ImportValue and the
 * pseudo parameters) so the state machine definitions, the Lambdas' environments and the bucket
 * deployments all agree on the same bucket and table names.
 *
 * Local physical names: a resource's explicit name when it has one, else `<stack>-<logical id without
 * its hash>`, lower-cased for buckets: `aqidatalake-lakebucket` — what `.local/s3/` shows.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
const PARTITION = 'aws';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export class UnresolvableTemplate extends Error {
  override readonly name = 'UnresolvableTemplate';
}

const EXPLICIT_NAME: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::IAM::Role': 'RoleName',
};

export class CloudAssembly {
  constructor(private readonly stacks: Readonly<Record<string, CfnTemplate>>) {}

  stackNames(): string[] {
    return Object.keys(this.stacks);
  }

  template(stack: string): CfnTemplate {
    const template = this.stacks[stack];
    if (!template) throw new UnresolvableTemplate(`no stack '${stack}' in the assembly; stacks: ${this.stackNames().join(', ')}`);
    return template;
  }

  /** Logical ids of the stack's resources of this type. */
  resourcesOfType(stack: string, type: string): string[] {
    return Object.entries(this.template(stack).Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  }

  resource(stack: string, logicalId: string): CfnResource {
    const resource = this.template(stack).Resources[logicalId];
    if (!resource) throw new UnresolvableTemplate(`stack ${stack} has no resource '${logicalId}'`);
    return resource;
  }

  physicalName(stack: string, logicalId: string): string {
    const resource = this.resource(stack, logicalId);
    const explicitKey = EXPLICIT_NAME[resource.Type];
    const explicit = explicitKey ? resource.Properties?.[explicitKey] : undefined;
    if (explicit !== undefined) return String(this.resolve(stack, explicit));
    const name = `${stack}-${logicalId.replace(/[0-9A-F]{8}$/, '')}`;
    return resource.Type === 'AWS::S3::Bucket' ? name.toLowerCase().slice(0, 63) : name;
  }

  ref(stack: string, logicalId: string): string {
    const pseudo = PSEUDO_PARAMETERS[logicalId];
    if (pseudo !== undefined) return logicalId === 'AWS::StackName' ? stack : pseudo;
    const { Type } = this.resource(stack, logicalId);
    const name = this.physicalName(stack, logicalId);
    switch (Type) {
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${PARTITION}:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
      case 'AWS::SNS::Topic':
        return `arn:${PARTITION}:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
      default:
        return name;
    }
  }

  getAtt(stack: string, logicalId: string, attribute: string): unknown {
    const resource = this.resource(stack, logicalId);
    const name = this.physicalName(stack, logicalId);
    if (attribute === 'Arn') {
      switch (resource.Type) {
        case 'AWS::Lambda::Function':
          return `arn:${PARTITION}:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
        case 'AWS::S3::Bucket':
          return `arn:${PARTITION}:s3:::${name}`;
        case 'AWS::DynamoDB::Table':
          return `arn:${PARTITION}:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
        case 'AWS::IAM::Role':
          return `arn:${PARTITION}:iam::${LOCAL_ACCOUNT}:role/${name}`;
        case 'AWS::StepFunctions::StateMachine':
        case 'AWS::SNS::Topic':
          return this.ref(stack, logicalId);
        default:
          return `arn:${PARTITION}:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
      }
    }
    // A CDK BucketDeployment with OutputObjectKeys answers with the keys it copied.
    if (resource.Type === 'Custom::CDKBucketDeployment' && attribute === 'SourceObjectKeys') {
      return this.resolve(stack, resource.Properties?.SourceObjectKeys);
    }
    if (resource.Type === 'AWS::S3::Bucket' && attribute === 'DomainName') return `${name}.s3.amazonaws.com`;
    // The EMR cluster's own security groups (createCluster's Instances); no network exists locally.
    if (resource.Type === 'AWS::EC2::SecurityGroup' && attribute === 'GroupId') return `sg-${name}`;
    if (attribute === 'Name') return name;
    throw new UnresolvableTemplate(`${stack}/${logicalId} (${resource.Type}): attribute '${attribute}' has no local value`);
  }

  importValue(exportName: string): unknown {
    for (const stack of this.stackNames()) {
      for (const output of Object.values(this.template(stack).Outputs ?? {})) {
        if (output.Export && this.resolve(stack, output.Export.Name) === exportName) return this.resolve(stack, output.Value);
      }
    }
    throw new UnresolvableTemplate(`no stack exports '${exportName}'`);
  }

  /** The value with every intrinsic function resolved, in the context of `stack`. */
  resolve(stack: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      switch (fn) {
        case 'Ref':
          return this.ref(stack, String(arg));
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(stack, String(id), String(attribute));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(stack, parts) as unknown[]).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (this.resolve(stack, list) as unknown[])[Number(this.resolve(stack, index))];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return String(this.resolve(stack, text)).split(sep);
        }
        case 'Fn::ImportValue':
          return this.importValue(String(this.resolve(stack, arg)));
        case 'Fn::Sub':
          return this.sub(stack, arg);
        case 'Fn::Base64':
          return Buffer.from(String(this.resolve(stack, arg))).toString('base64');
        default:
          if (fn.startsWith('Fn::')) throw new UnresolvableTemplate(`${fn} is not resolvable locally (in stack ${stack})`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  private sub(stack: string, arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (name in vars) return String(this.resolve(stack, vars[name]));
      const [id, attribute] = name.split('.');
      return String(attribute ? this.getAtt(stack, id, attribute) : this.ref(stack, id));
    });
  }
}

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::Partition': PARTITION,
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': '',
};
