/**
 * A small subset of the Datadog logs search syntax, used by the `filter` parameter of ListDatastoreItems.
 *
 * Supported:
 * - `field:value` exact match (case-sensitive). `value` may be quoted (`name:"Mary Ann"`) and may
 *   contain `*` wildcards (`name:Jo*`). `field:*` matches items that have the field.
 *   Dotted names reach into nested objects (`address.city:Paris`) unless the item has a top-level
 *   field with the dotted name. An array field matches when any element matches.
 * - `field:>N`, `field:>=N`, `field:<N`, `field:<=N` numeric comparisons (string comparison when N is not a number).
 * - Free text `word` or `"a phrase"`: case-insensitive substring match on any string or number value, `*` allowed.
 * - `AND`, `OR`, `NOT`, a leading `-`, parentheses, and implicit AND between adjacent terms.
 *   `AND` binds tighter than `OR`.
 *
 * Rejected with `FilterSyntaxError`: ranges `[a TO b]`, `field:(a OR b)`, backslash escapes outside quotes.
 * `@` facet prefixes are not supported and are read as part of the field name.
 * NOTE: the real server's filter semantics (case rules, nested fields, type coercion) are not
 * documented, so results can differ from Datadog's.
 */

export type ItemPredicate = (value: Record<string, unknown>) => boolean;

/** Invalid filter text. The message names the problem and quotes the filter. */
export class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

type Token =
  | { type: 'lparen' }
  | { type: 'rparen' }
  | { type: 'and' }
  | { type: 'or' }
  | { type: 'not' }
  | { type: 'term'; field?: string; value: string; quoted: boolean };

/** Parses `filter` and returns a predicate over item values. Throws `FilterSyntaxError`. */
export function compileFilter(filter: string): ItemPredicate {
  const tokens = tokenize(filter);
  if (tokens.length === 0) {
    return () => true;
  }
  const parser = new Parser(tokens);
  const predicate = parser.parseOr();
  if (!parser.atEnd()) {
    throw new FilterSyntaxError(`unexpected ")" in filter "${filter}"`);
  }
  return predicate;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;

  const readQuoted = (): string => {
    // The opening quote is at `index`.
    let result = '';
    index += 1;
    while (index < text.length && text[index] !== '"') {
      if (text[index] === '\\' && index + 1 < text.length) {
        index += 1;
      }
      result += text[index];
      index += 1;
    }
    if (index >= text.length) {
      throw new FilterSyntaxError(`unterminated quote in filter "${text}"`);
    }
    index += 1;
    return result;
  };

  const isBoundary = (char: string | undefined): boolean =>
    char === undefined || /\s/.test(char) || char === '(' || char === ')';

  while (index < text.length) {
    const char = text[index];
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    if (char === '(' || char === ')') {
      tokens.push({ type: char === '(' ? 'lparen' : 'rparen' });
      index += 1;
      continue;
    }
    if (char === '-' && !isBoundary(text[index + 1])) {
      tokens.push({ type: 'not' });
      index += 1;
      continue;
    }
    if (char === '"') {
      tokens.push({ type: 'term', value: readQuoted(), quoted: true });
      continue;
    }

    if (char === '[' || char === '{') {
      throw new FilterSyntaxError(`ranges are not supported in filter "${text}"`);
    }
    let word = '';
    while (!isBoundary(text[index]) && text[index] !== ':') {
      word += text[index];
      index += 1;
    }
    if (word.includes('\\')) {
      throw new FilterSyntaxError(`backslash escapes are supported only inside quotes, in filter "${text}"`);
    }
    if (text[index] !== ':') {
      if (word === 'AND' || word === 'OR' || word === 'NOT') {
        tokens.push({ type: word.toLowerCase() as 'and' | 'or' | 'not' });
      } else {
        tokens.push({ type: 'term', value: word, quoted: false });
      }
      continue;
    }

    index += 1;
    if (word === '') {
      throw new FilterSyntaxError(`missing field name before ":" in filter "${text}"`);
    }
    if (text[index] === '"') {
      tokens.push({ type: 'term', field: word, value: readQuoted(), quoted: true });
      continue;
    }
    let value = '';
    while (!isBoundary(text[index])) {
      value += text[index];
      index += 1;
    }
    if (value === '') {
      throw new FilterSyntaxError(`missing value after "${word}:" in filter "${text}"`);
    }
    if (value.startsWith('[') || value.startsWith('{')) {
      throw new FilterSyntaxError(`ranges are not supported in filter "${text}"`);
    }
    if (value.includes('\\')) {
      throw new FilterSyntaxError(`backslash escapes are supported only inside quotes, in filter "${text}"`);
    }
    tokens.push({ type: 'term', field: word, value, quoted: false });
  }
  return tokens;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  atEnd(): boolean {
    return this.position >= this.tokens.length;
  }

  parseOr(): ItemPredicate {
    const alternatives = [this.parseAnd()];
    while (this.peek()?.type === 'or') {
      this.position += 1;
      alternatives.push(this.parseAnd());
    }
    return alternatives.length === 1 ? alternatives[0] : (value) => alternatives.some((test) => test(value));
  }

  private parseAnd(): ItemPredicate {
    const conjuncts = [this.parseUnary()];
    for (;;) {
      const next = this.peek();
      if (next === undefined || next.type === 'or' || next.type === 'rparen') {
        break;
      }
      if (next.type === 'and') {
        this.position += 1;
      }
      conjuncts.push(this.parseUnary());
    }
    return conjuncts.length === 1 ? conjuncts[0] : (value) => conjuncts.every((test) => test(value));
  }

  private parseUnary(): ItemPredicate {
    const token = this.next();
    switch (token.type) {
      case 'not': {
        const operand = this.parseUnary();
        return (value) => !operand(value);
      }
      case 'lparen': {
        const inner = this.parseOr();
        if (this.next().type !== 'rparen') {
          throw new FilterSyntaxError('missing ")" in filter');
        }
        return inner;
      }
      case 'term':
        return token.field === undefined ? freeTextPredicate(token.value) : fieldPredicate(token.field, token.value, token.quoted);
      default:
        throw new FilterSyntaxError(`unexpected "${token.type.toUpperCase()}" in filter`);
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position];
    if (token === undefined) {
      throw new FilterSyntaxError('filter ends too early');
    }
    this.position += 1;
    return token;
  }
}

function wildcardPattern(value: string, flags: string): RegExp {
  const escaped = value.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, flags);
}

function fieldValues(item: Record<string, unknown>, field: string): unknown[] {
  let value: unknown;
  if (Object.prototype.hasOwnProperty.call(item, field)) {
    value = item[field];
  } else {
    value = item;
    for (const part of field.split('.')) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return [];
      }
      if (!Object.prototype.hasOwnProperty.call(value, part)) {
        return [];
      }
      value = (value as Record<string, unknown>)[part];
    }
  }
  return Array.isArray(value) ? value : [value];
}

function fieldPredicate(field: string, value: string, quoted: boolean): ItemPredicate {
  if (!quoted && value === '*') {
    return (item) => fieldValues(item, field).length > 0;
  }
  const comparison = quoted ? null : /^(>=|<=|>|<)(.+)$/.exec(value);
  if (comparison !== null) {
    const [, operator, operand] = comparison;
    const number = Number(operand);
    return (item) =>
      fieldValues(item, field).some((candidate) => {
        if (!Number.isNaN(number) && typeof candidate === 'number') {
          return compare(candidate, number, operator);
        }
        return typeof candidate === 'string' && compare(candidate, operand, operator);
      });
  }
  const pattern = !quoted && value.includes('*') ? wildcardPattern(value, '') : undefined;
  return (item) =>
    fieldValues(item, field).some((candidate) => {
      if (candidate === null || typeof candidate === 'object') {
        return false;
      }
      const text = String(candidate);
      return pattern === undefined ? text === value : pattern.test(text);
    });
}

function compare<T extends number | string>(left: T, right: T, operator: string): boolean {
  switch (operator) {
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '<':
      return left < right;
    default:
      return left <= right;
  }
}

function freeTextPredicate(text: string): ItemPredicate {
  const pattern = text.includes('*') ? wildcardPattern(`*${text}*`, 'i') : undefined;
  const needle = text.toLowerCase();
  const matches = (candidate: unknown): boolean => {
    if (typeof candidate === 'string' || typeof candidate === 'number') {
      const haystack = String(candidate);
      return pattern === undefined ? haystack.toLowerCase().includes(needle) : pattern.test(haystack);
    }
    if (candidate !== null && typeof candidate === 'object') {
      return Object.values(candidate).some(matches);
    }
    return false;
  };
  return (item) => Object.values(item).some(matches);
}
