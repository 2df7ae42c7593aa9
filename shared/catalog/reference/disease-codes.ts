import { z } from 'zod';
import { diagnosisGroupSchema, type Diagnosis } from '../model';
import { SJ_DISEASE_CODES_TSV } from './disease-codes-tsv';

const diseaseRowSchema = z.tuple([z.string().min(1), z.string().min(1), diagnosisGroupSchema, z.string()]);

function parseDiseaseCodes(tsv: string): ReadonlyMap<string, Diagnosis> {
  const byCode = new Map<string, Diagnosis>();
  const [, ...rows] = tsv.trim().split('\n');
  for (const row of rows) {
    const [code, name, group, oncotree] = diseaseRowSchema.parse(row.split('\t'));
    if (!byCode.has(code))
      byCode.set(code, { code, name, group, oncotreeCode: oncotree === '' ? null : oncotree });
  }
  return byCode;
}

/** St. Jude disease codes by code (193 distinct codes). */
export const DISEASE_CODES: ReadonlyMap<string, Diagnosis> = parseDiseaseCodes(SJ_DISEASE_CODES_TSV);

export function diagnosisFor(code: string): Diagnosis {
  const diagnosis = DISEASE_CODES.get(code);
  if (diagnosis === undefined) throw new Error(`Unknown St. Jude disease code ${code}`);
  return diagnosis;
}
