/**
 * The body of an HTTP request as bytes, capped: refused at once when `Content-Length` says it is too large,
 * otherwise read chunk by chunk and abandoned as soon as it passes the cap (a sender that lies about its
 * length, or sends none, never makes us hold more than `maxBytes`). For webhooks whose signature covers the
 * exact bytes, file uploads and JSON bodies (`httpHandler`). Structural types only, so it works with
 * `@azure/functions`' `HttpRequest` and with a fetch `Request`.
 */
import { AppError, problems } from './errors';

export interface BodySource {
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
}

export async function readBodyBytes(request: BodySource, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new AppError(problems.payloadTooLarge, `The body must not exceed ${maxBytes} bytes.`);
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > maxBytes)
    throw tooLarge();
  const chunks: Uint8Array[] = [];
  let received = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      received += chunk.value.byteLength;
      if (received > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(chunk.value);
    }
  }
  return Buffer.concat(chunks);
}
