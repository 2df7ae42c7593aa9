/**
 * Generated forgeries of a valid Connect delivery: each takes a delivery DocuSign really signed and changes
 * something a forger (or a broken proxy) could change. None may be accepted.
 */
import fc from 'fast-check';
import { connectSignature } from '../../shared/agreements/connect';

/** Header values as sent on the wire: an array is the same header sent several times. */
export type WireHeaders = Record<string, string | string[]>;

export interface Delivery {
  readonly body: Buffer;
  readonly headers: WireHeaders;
}

export interface Mutation extends Delivery {
  readonly kind: string;
}

const signatureName = /^x-docusign-signature-\d+$/i;

function withoutSignatures(headers: WireHeaders): WireHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !signatureName.test(name)));
}

function signatures(headers: WireHeaders): [string, string][] {
  return Object.entries(headers)
    .filter(([name]) => signatureName.test(name))
    .map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : value]);
}

function flipBit(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  const index = Math.floor(bit / 8) % copy.length;
  copy[index] = copy[index]! ^ (1 << (bit % 8));
  return copy;
}

/**
 * Every kind of forgery of `valid` (signed with one of `secrets`). `otherEnvelopeIds` are envelopes that exist:
 * a replay naming one of them would change real state if it were accepted.
 */
export function mutationOf(
  valid: Delivery,
  secrets: readonly string[],
  otherEnvelopeIds: readonly string[],
  envelopeId: string,
): fc.Arbitrary<Mutation> {
  const { body, headers } = valid;
  const [[firstName, firstValue] = ['x-docusign-signature-1', '']] = signatures(headers);
  const wrongSecret = fc
    .string({ minLength: 1, maxLength: 64 })
    .filter((secret) => !secrets.includes(secret));
  const bit = fc.nat({ max: body.length * 8 - 1 });

  const bodyBitFlip = bit.map((at) => ({ kind: 'body bit flip', body: flipBit(body, at), headers }));
  const truncated = fc
    .nat({ max: body.length - 1 })
    .map((length) => ({ kind: 'truncated', body: body.subarray(0, length), headers }));
  const appended = fc
    .constantFrom(' ', '\n', '\r\n', '{}', '\u0000')
    .map((tail) => ({ kind: 'appended', body: Buffer.concat([body, Buffer.from(tail)]), headers }));
  const resignedWrongKey = wrongSecret.map((secret) => ({
    kind: 're-signed with a wrong key',
    body,
    headers: { ...withoutSignatures(headers), 'x-docusign-signature-1': connectSignature(body, secret) },
  }));
  const removed = fc.constant({
    kind: 'signature header removed',
    body,
    headers: withoutSignatures(headers),
  });
  const emptied = fc.constantFrom('', ' ', '=', 'HMACSHA256').map((value) => ({
    kind: 'signature header emptied',
    body,
    headers: { ...withoutSignatures(headers), [firstName]: value },
  }));
  const duplicated = fc
    .constantFrom<'same' | 'wrong-first' | 'wrong-second'>('same', 'wrong-first', 'wrong-second')
    .chain((variant) =>
      wrongSecret.map((secret) => {
        const wrong = connectSignature(body, secret);
        const values =
          variant === 'same'
            ? [firstValue, firstValue]
            : variant === 'wrong-first'
              ? [wrong, firstValue]
              : [firstValue, wrong];
        return {
          kind: `signature header duplicated (${variant})`,
          body,
          headers: { ...withoutSignatures(headers), [firstName]: values },
        };
      }),
    );
  const renamed = fc
    .constantFrom(
      'x-docusign-signature',
      'x-docusign-signature-',
      'x-docusign-signature-1000',
      'x-docusign-sig-1',
    )
    .map((name) => ({
      kind: `signature under another header (${name})`,
      body,
      headers: { ...withoutSignatures(headers), [name]: firstValue },
    }));
  // The low five bits of a character: the result stays a printable character a header can carry.
  const headerBitFlip = fc
    .record({ char: fc.nat({ max: firstValue.length - 1 }), bit: fc.nat({ max: 4 }) })
    .map(({ char, bit: flipped }) =>
      flipBit(Buffer.from(firstValue, 'latin1'), char * 8 + flipped).toString('latin1'),
    )
    .filter((value) => /^[\x21-\x7e]+$/.test(value))
    .map((value) => ({
      kind: 'signature bit flip',
      body,
      headers: { ...withoutSignatures(headers), [firstName]: value },
    }));
  // The low two bits of the last base64 digit are padding: flipping them keeps the decoded digest.
  const nonCanonical = fc.constantFrom(1, 2, 3).map((delta) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = alphabet.indexOf(firstValue.at(-2)!);
    const spelled = `${firstValue.slice(0, -2)}${alphabet[(last & ~3) | ((last + delta) & 3)]}=`;
    return {
      kind: 'signature spelled non-canonically',
      body,
      headers: { ...withoutSignatures(headers), [firstName]: spelled },
    };
  });
  const caseOrEncoding = fc
    .constantFrom<'hex' | 'base64url' | 'lowercase'>('hex', 'base64url', 'lowercase')
    .map((variant) => {
      const digest = Buffer.from(firstValue, 'base64');
      const spelled =
        variant === 'hex'
          ? digest.toString('hex')
          : variant === 'base64url'
            ? digest.toString('base64url')
            : firstValue.toLowerCase();
      return {
        kind: `signature re-encoded (${variant})`,
        body,
        headers: { ...withoutSignatures(headers), [firstName]: spelled },
      };
    });
  const replayed = fc.constantFrom(...otherEnvelopeIds).map((other) => ({
    kind: 'replayed with another envelope id',
    body: Buffer.from(body.toString('utf8').split(envelopeId).join(other)),
    headers,
  }));
  const replayedRetry = fc.integer({ min: 1, max: 10 }).map((retryCount) => ({
    kind: 'replayed with another retryCount',
    body: Buffer.from(body.toString('utf8').replace(/"retryCount":\d+/, `"retryCount":${retryCount}`)),
    headers,
  }));
  return fc.oneof(
    bodyBitFlip,
    truncated,
    appended,
    resignedWrongKey,
    removed,
    emptied,
    duplicated,
    renamed,
    headerBitFlip,
    nonCanonical,
    caseOrEncoding,
    replayed,
    replayedRetry,
  );
}

/** Wire headers as a Functions host hands them over: a repeated header joined with ", ". */
export function asReceived(headers: WireHeaders): Headers {
  const received = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    for (const each of Array.isArray(value) ? value : [value]) received.append(name, each);
  }
  return received;
}
