/**
 * `RequestSignerProgress` through `RequestProgress`: the signers' progress merged into the request's
 * agreement (forward only, so a late or repeated delivery changes nothing). An envelope whose request is
 * gone (purged) is skipped: its delivery is still acknowledged.
 */
import { AppError } from '../../http/errors';
import type { RequestProgress } from '../../requests/progress';
import type { RequestSignerProgress } from '../ports';
import { signersProgressed } from '../request-agreement';

export function requestSignerProgress(progress: () => Pick<RequestProgress, 'apply'>): RequestSignerProgress {
  return {
    async record(requestId, envelopeId, signers) {
      try {
        await progress().apply(requestId, signersProgressed(envelopeId, signers));
      } catch (error) {
        if (!(error instanceof AppError && error.status === 404)) throw error;
      }
    },
  };
}
