/** The published JSON Schema of dist-golden/1 against the bundled files and against broken ones. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { BUNDLED_GOLDEN } from '../src/golden-files.js';

const schema = JSON.parse(readFileSync(new URL('../schema/dist-golden-1.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020({ allErrors: true }).compile(schema);

const smallCase = {
  name: 'tiny',
  B: 1,
  C: 2,
  beta: 2,
  gamma: 2,
  tau: 6,
  eps: 1e-8,
  logits_s: [0.5, -1],
  logits_t: [1, 0.25],
  loss: 1.5,
  inter: 0.5,
  intra: 0.25,
  grad_s: [0.1, -0.1],
};

describe('schema/dist-golden-1.schema.json', () => {
  it.each(BUNDLED_GOLDEN.map((url) => [url.pathname.replace(/^.*\//, ''), url]))('accepts the bundled %s', (_, url) => {
    const valid = validate(JSON.parse(readFileSync(url, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('accepts a minimal file, with the optional eps_mode and tol', () => {
    expect(validate({ format: 'dist-golden/1', cases: [{ ...smallCase, eps_mode: 'official', tol: { loss_atol: 1e-6, grad_atol: 1e-6 } }] })).toBe(true);
  });

  it.each([
    ['another format', { format: 'dist-golden/2', cases: [smallCase] }, '/format'],
    ['no cases', { format: 'dist-golden/1', cases: [] }, '/cases'],
    ['a case without its loss', { format: 'dist-golden/1', cases: [{ ...smallCase, loss: undefined }] }, '/cases/0'],
    ['a zero batch', { format: 'dist-golden/1', cases: [{ ...smallCase, B: 0 }] }, '/cases/0/B'],
    ['an unknown eps placement', { format: 'dist-golden/1', cases: [{ ...smallCase, eps_mode: 'inside' }] }, '/cases/0/eps_mode'],
    ['a logit that is a string', { format: 'dist-golden/1', cases: [{ ...smallCase, logits_s: ['0.5', -1] }] }, '/cases/0/logits_s/0'],
    ['a negative tolerance', { format: 'dist-golden/1', cases: [{ ...smallCase, tol: { loss_atol: -1, grad_atol: 0 } }] }, '/cases/0/tol/loss_atol'],
  ])('rejects %s, pointing at it', (_, document, where) => {
    expect(validate(JSON.parse(JSON.stringify(document)))).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath)).toContain(where);
  });
});
