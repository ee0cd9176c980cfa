/**
 * The part of DynamoDB's expression language the pipeline uses, evaluated for real against stored items:
 * condition expressions (comparisons, AND/OR/NOT, parentheses, attribute_exists, attribute_not_exists,
 * begins_with) and update expressions (SET a = :v, REMOVE a). Anything else is refused by name, so an
 * unsupported expression fails loudly instead of being approximated.
 */

export type AttributeValue = { S: string } | { N: string } | { BOOL: boolean } | { NULL: true } | Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export interface ExpressionContext {
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
}

type Token = { kind: 'name' | 'value' | 'ident' | 'op' | 'lparen' | 'rparen' | 'comma'; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_.]*)|(<>|<=|>=|=|<|>)|(\()|(\))|(,))/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    pattern.lastIndex = at;
    const m = pattern.exec(expression);
    if (!m) throw new Error(`cannot parse DynamoDB expression '${expression}' at '${expression.slice(at)}'`);
    at = pattern.lastIndex;
    if (m[1]) tokens.push({ kind: 'name', text: m[1] });
    else if (m[2]) tokens.push({ kind: 'value', text: m[2] });
    else if (m[3]) tokens.push({ kind: 'ident', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'op', text: m[4] });
    else if (m[5]) tokens.push({ kind: 'lparen', text: '(' });
    else if (m[6]) tokens.push({ kind: 'rparen', text: ')' });
    else tokens.push({ kind: 'comma', text: ',' });
  }
  return tokens;
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly expression: string,
    private readonly context: ExpressionContext,
  ) {}

  done(): boolean {
    return this.at >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.at];
  }

  peekAt(offset: number): Token | undefined {
    return this.tokens[this.at + offset];
  }

  next(): Token {
    const token = this.tokens[this.at++];
    if (!token) throw new Error(`DynamoDB expression '${this.expression}' ends too early`);
    return token;
  }

  keyword(word: string): boolean {
    const token = this.peek();
    if (token?.kind === 'ident' && token.text.toUpperCase() === word) {
      this.at++;
      return true;
    }
    return false;
  }

  expect(kind: Token['kind']): Token {
    const token = this.next();
    if (token.kind !== kind) throw new Error(`DynamoDB expression '${this.expression}': expected ${kind}, found '${token.text}'`);
    return token;
  }

  attributeName(token: Token): string {
    if (token.kind === 'name') {
      const name = this.context.names?.[token.text];
      if (name === undefined) throw new Error(`ExpressionAttributeNames has no '${token.text}' (used in '${this.expression}')`);
      return name;
    }
    if (token.kind === 'ident') return token.text;
    throw new Error(`DynamoDB expression '${this.expression}': expected an attribute name, found '${token.text}'`);
  }

  operand(item: Item): AttributeValue | undefined {
    const token = this.next();
    if (token.kind === 'value') {
      const value = this.context.values?.[token.text];
      if (value === undefined) throw new Error(`ExpressionAttributeValues has no '${token.text}' (used in '${this.expression}')`);
      return value;
    }
    return item[this.attributeName(token)];
  }
}

/** Whether `item` (undefined: no such item) satisfies the condition expression. */
export function evaluateCondition(expression: string, item: Item | undefined, context: ExpressionContext): boolean {
  const parser = new Parser(tokenize(expression), expression, context);
  const result = orExpr(parser, item ?? {});
  if (!parser.done()) throw new Error(`DynamoDB expression '${expression}': unexpected '${parser.peek()!.text}'`);
  return result;
}

function orExpr(p: Parser, item: Item): boolean {
  let value = andExpr(p, item);
  while (p.keyword('OR')) {
    const right = andExpr(p, item);
    value = value || right;
  }
  return value;
}

function andExpr(p: Parser, item: Item): boolean {
  let value = notExpr(p, item);
  while (p.keyword('AND')) {
    const right = notExpr(p, item);
    value = value && right;
  }
  return value;
}

function notExpr(p: Parser, item: Item): boolean {
  if (p.keyword('NOT')) return !notExpr(p, item);
  return primary(p, item);
}

const FUNCTIONS = new Set(['attribute_exists', 'attribute_not_exists', 'begins_with']);

function primary(p: Parser, item: Item): boolean {
  const token = p.peek();
  if (token?.kind === 'lparen') {
    p.next();
    const value = orExpr(p, item);
    p.expect('rparen');
    return value;
  }
  if (token?.kind === 'ident' && p.peekAt(1)?.kind === 'lparen') {
    const fn = p.next().text;
    if (!FUNCTIONS.has(fn)) throw new Error(`DynamoDB function '${fn}' is not supported locally; supported: ${[...FUNCTIONS].join(', ')}`);
    p.expect('lparen');
    if (fn === 'begins_with') {
      const subject = p.operand(item);
      p.expect('comma');
      const prefix = p.operand(item);
      p.expect('rparen');
      return scalar(subject) !== undefined && String(scalar(subject)).startsWith(String(scalar(prefix)));
    }
    const name = p.attributeName(p.next());
    p.expect('rparen');
    return fn === 'attribute_exists' ? item[name] !== undefined : item[name] === undefined;
  }
  const left = p.operand(item);
  const op = p.expect('op').text;
  const right = p.operand(item);
  return compare(left, op, right);
}

function scalar(value: AttributeValue | undefined): string | number | boolean | undefined {
  if (value === undefined) return undefined;
  if ('S' in value) return value.S as string;
  if ('N' in value) return Number(value.N);
  if ('BOOL' in value) return value.BOOL as boolean;
  return undefined;
}

function compare(left: AttributeValue | undefined, op: string, right: AttributeValue | undefined): boolean {
  const a = scalar(left);
  const b = scalar(right);
  // DynamoDB: a comparison with a missing attribute, or across types, is false (and <> is true only for equal types).
  if (a === undefined || b === undefined || typeof a !== typeof b) return false;
  switch (op) {
    case '=':
      return a === b;
    case '<>':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      throw new Error(`comparison '${op}' is not supported`);
  }
}

/** Applies `SET a = :v, #b = :w REMOVE c` to `item` in place. */
export function applyUpdate(expression: string, item: Item, context: ExpressionContext): void {
  const parser = new Parser(tokenize(expression), expression, context);
  while (!parser.done()) {
    if (parser.keyword('SET')) {
      do {
        const name = parser.attributeName(parser.next());
        const op = parser.expect('op');
        if (op.text !== '=') throw new Error(`DynamoDB update '${expression}': expected '=' after ${name}`);
        const value = parser.operand(item);
        if (value === undefined) throw new Error(`DynamoDB update '${expression}': the value for ${name} is missing`);
        item[name] = value;
      } while (parser.peek()?.kind === 'comma' && parser.next());
    } else if (parser.keyword('REMOVE')) {
      do {
        delete item[parser.attributeName(parser.next())];
      } while (parser.peek()?.kind === 'comma' && parser.next());
    } else {
      throw new Error(`DynamoDB update '${expression}': only SET and REMOVE clauses are supported locally; found '${parser.peek()!.text}'`);
    }
  }
}
