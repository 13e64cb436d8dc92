/** Just enough of a CloudFormation template's shape to read what the framework generated. */
export interface Resource {
  readonly Type: string;
  readonly Condition?: string;
  readonly Properties?: Record<string, unknown>;
}

export interface Template {
  readonly Parameters?: Record<string, { readonly Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, unknown>;
}

export type Statement = Record<string, unknown>;

export interface FoundStatement {
  /** Where the statement's policy document sits, e.g. `Resources.HttpRole.Properties.Policies[0]`. */
  readonly where: string;
  readonly statement: Statement;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** `{ "Fn::GetAtt": [name, "Arn"] }` → name; anything else → undefined. */
export function getAttArnOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const getAtt = value['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string'
    ? getAtt[0]
    : undefined;
}

/** `{ "Fn::GetAtt": [name, attribute] }` → `name.attribute`; anything else → undefined. */
export function getAttOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const getAtt = value['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string'
    ? `${getAtt[0]}.${getAtt[1]}`
    : undefined;
}

/** `{ "Ref": name }` → name; anything else → undefined. */
export function refOf(value: unknown): string | undefined {
  return isObject(value) && typeof value.Ref === 'string' ? value.Ref : undefined;
}

/**
 * A readable rendering of a policy value: literal text stays as it is, so any `*` written into
 * the template (in a string, a Sub template or a Join part) shows; references render as `{Name}`.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isObject(value)) {
    const ref = refOf(value);
    if (ref !== undefined) return `{${ref}}`;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `{${getAtt.map(String).join('.')}}`;
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') return sub;
    if (Array.isArray(sub) && typeof sub[0] === 'string') return sub[0];
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(render).join(join[0]);
    }
  }
  return JSON.stringify(value);
}

/** Statements of a `Statement` element, with both branches of any `Fn::If`. */
function statementsOf(value: unknown): Statement[] {
  if (Array.isArray(value)) return value.flatMap(statementsOf);
  if (!isObject(value)) return [];
  const branches = value['Fn::If'];
  if (Array.isArray(branches)) return branches.slice(1).flatMap(statementsOf);
  if (refOf(value) === 'AWS::NoValue') return [];
  return [value];
}

/**
 * Every statement of every policy document in the template's resources: role inline policies,
 * trust policies, IAM and managed policies, resource policies (bucket, queue, ...).
 */
export function policyStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${path}[${index}]`));
      return;
    }
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if ((key === 'PolicyDocument' || key === 'AssumeRolePolicyDocument') && isObject(child)) {
        for (const statement of statementsOf(child.Statement)) {
          found.push({ where: `${path}.${key}`, statement });
        }
      } else {
        visit(child, `${path}.${key}`);
      }
    }
  };
  visit(template.Resources, 'Resources');
  return found;
}

/**
 * What an Allow statement grants beyond named actions on named resources: wildcards in actions
 * (`*`, `s3:*`, `s3:Get*`) or resources (`*`, `arn:...:table/*`), a `*` principal, or the
 * NotAction/NotResource forms that allow everything except a list.
 */
export function wildcardGrants(statement: Statement): string[] {
  if (statement.Effect !== 'Allow') return [];
  const grants: string[] = [];
  if ('NotAction' in statement) grants.push('NotAction');
  if ('NotResource' in statement) grants.push('NotResource');
  for (const action of asList(statement.Action)) {
    if (render(action).includes('*')) grants.push(`Action ${render(action)}`);
  }
  for (const resource of asList(statement.Resource)) {
    if (render(resource).includes('*')) grants.push(`Resource ${render(resource)}`);
  }
  const principal = statement.Principal;
  if (principal === '*' || (isObject(principal) && asList(principal.AWS).includes('*'))) {
    grants.push('Principal *');
  }
  return grants;
}

/** Paths (`a.b[0].c`) of every string in `value` equal to `needle`. */
export function pathsOfString(value: unknown, needle: string, path = ''): string[] {
  if (value === needle) return [path];
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => pathsOfString(item, needle, `${path}[${index}]`));
  }
  if (isObject(value)) {
    return Object.entries(value).flatMap(([key, child]) =>
      pathsOfString(child, needle, path ? `${path}.${key}` : key),
    );
  }
  return [];
}
